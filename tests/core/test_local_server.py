"""The local server's pieces that need no real Skyvern: dotenv, ports, paths, env, browser links."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from skyvern_desktop.core.server import runtime as server_runtime
from skyvern_desktop.core.server.process import LocalServer, free_port, read_env_value
from skyvern_desktop.core.server.runtime import (
    SKYVERN_VERSION,
    LocalServerError,
    default_cache_dir,
)
from tests.conftest import NoSkyvern
from tests.support import server_build
from tests.support.server_build import ServerEnvironment, missing_system_tools

# ---------------------------------------------------------------------- read_env_value


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("SKYVERN_API_KEY='sk-single-quoted'", "sk-single-quoted"),
        ('SKYVERN_API_KEY="sk-double-quoted"', "sk-double-quoted"),
        ("SKYVERN_API_KEY=sk-bare", "sk-bare"),
        ("export SKYVERN_API_KEY=sk-exported", "sk-exported"),
        ("export SKYVERN_API_KEY='sk-exported-quoted'", "sk-exported-quoted"),
        ("  SKYVERN_API_KEY = 'sk-spaced'  ", "sk-spaced"),
        ("SKYVERN_API_KEY=a=b=c", "a=b=c"),
        ("SKYVERN_API_KEY='it\"s'", 'it"s'),
        ("SKYVERN_API_KEY='mismatched\"", "'mismatched\""),
        ("SKYVERN_API_KEY=", None),
        ("SKYVERN_API_KEY=''", None),
        ('SKYVERN_API_KEY=""', None),
    ],
)
def test_read_env_value(tmp_path: Path, line: str, value: str | None) -> None:
    env = tmp_path / ".env"
    env.write_text(f"# written by skyvern\nOTHER=1\n{line}\nLAST=2\n", encoding="utf-8")
    assert read_env_value(env, "SKYVERN_API_KEY") == value


def test_read_env_value_missing_file(tmp_path: Path) -> None:
    assert read_env_value(tmp_path / "no-such.env", "SKYVERN_API_KEY") is None


def test_read_env_value_missing_key(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "# SKYVERN_API_KEY='commented-out'\n"
        "SKYVERN_API_KEY_OLD='not-this-one'\n"
        "MY_SKYVERN_API_KEY='nor-this'\n"
        "SKYVERN_API_KEY\n"
        "\n",
        encoding="utf-8",
    )
    assert read_env_value(env, "SKYVERN_API_KEY") is None
    assert read_env_value(env, "SKYVERN_API_KEY_OLD") == "not-this-one"


def test_read_env_value_first_match_wins_and_other_names_work(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PORT=8000\nexport ENV='local'\nPORT=9000\n", encoding="utf-8")
    assert read_env_value(env, "PORT") == "8000"
    assert read_env_value(env, "ENV") == "local"


def test_api_key_comes_from_the_data_dir_env_file(tmp_path: Path) -> None:
    server = LocalServer(ServerEnvironment(tmp_path / "venv"), data_dir=tmp_path / "data")
    assert server.env_file == tmp_path / "data" / ".env"
    assert server.api_key() is None
    server.data_dir.mkdir()
    server.env_file.write_text("SKYVERN_API_KEY='sk-local-0001'\n", encoding="utf-8")
    assert server.api_key() == "sk-local-0001"


# ---------------------------------------------------------------------- ports


def test_free_port_returns_a_bindable_port() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert sock.getsockname()[1] == port


# ---------------------------------------------------------------------- ServerEnvironment


def test_default_environment_paths(tmp_path: Path) -> None:
    env = ServerEnvironment.default(cache_dir=tmp_path)
    assert env.version == SKYVERN_VERSION
    assert env.root == tmp_path / f"skyvern-server-{SKYVERN_VERSION}"
    if os.name != "nt":
        assert env.python == env.root / "bin" / "python"
    assert env.browsers_path == env.root / "ms-playwright"
    assert env.is_installed() is False
    assert not env.root.exists()


def test_default_environment_other_version(tmp_path: Path) -> None:
    env = ServerEnvironment.default("9.9.9", cache_dir=tmp_path)
    assert env.root == tmp_path / "skyvern-server-9.9.9"
    assert env.version == "9.9.9"


def test_default_cache_dir_follows_the_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYVERN_DESKTOP_CACHE", str(tmp_path / "cache"))
    assert default_cache_dir() == tmp_path / "cache"
    assert ServerEnvironment.default().root == tmp_path / "cache" / (
        f"skyvern-server-{SKYVERN_VERSION}"
    )


def test_an_environment_without_its_python_is_not_installed(tmp_path: Path) -> None:
    env = ServerEnvironment.default(cache_dir=tmp_path)
    env.root.mkdir(parents=True)
    (env.root / f".installed-skyvern-{env.version}").write_text("skyvern[server]\n")
    assert env.is_installed() is False
    env.python.parent.mkdir(parents=True)
    env.python.write_text("#!/bin/sh\n")
    assert env.is_installed() is True
    assert ServerEnvironment(env.root, version="0.0.1").is_installed() is False


# ---------------------------------------------------------------------- LocalServer


def test_start_without_an_installed_environment_says_so(tmp_path: Path) -> None:
    server = LocalServer(ServerEnvironment.default(cache_dir=tmp_path), data_dir=tmp_path / "d")
    with pytest.raises(LocalServerError) as caught:
        server.start()
    assert str(caught.value) == "The Skyvern server is not installed yet."
    assert server.pid is None
    assert server.is_running() is False
    assert not server.data_dir.exists()
    server.stop()  # stopping a server that never started is fine


def test_base_url_and_paths(tmp_path: Path) -> None:
    server = LocalServer(ServerEnvironment(tmp_path / "venv"), data_dir=tmp_path / "d", port=8123)
    assert server.base_url == "http://127.0.0.1:8123"
    assert server.log_path == tmp_path / "d" / "server.log"
    assert server.log_tail() == "(no log)"
    server.data_dir.mkdir()
    server.log_path.write_text("".join(f"line {i}\n" for i in range(50)), encoding="utf-8")
    assert server.log_tail(3) == "line 47\nline 48\nline 49"


def test_child_env_pins_the_server_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYVERN_API_KEY", "sk-parent-key-0001")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/else")
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("BROWSER_TYPE", "chromium-headful")
    monkeypatch.setenv("SKYVERN_TELEMETRY", "true")
    monkeypatch.setenv("DATABASE_STRING", "postgresql://prod/db")
    monkeypatch.setenv("UNRELATED_SETTING", "kept")
    environment = ServerEnvironment(tmp_path / "venv")
    data = tmp_path / "data"
    server = LocalServer(environment, data_dir=data, port=8765)

    env = server.child_env()

    assert "SKYVERN_API_KEY" not in env
    assert "sk-parent-key-0001" not in env.values()
    assert "VIRTUAL_ENV" not in env
    assert env["PORT"] == "8765"
    assert env["SKYVERN_TELEMETRY"] == "false"
    assert env["BROWSER_TYPE"] == "chromium-headless"
    assert env["DATABASE_STRING"] == f"sqlite+aiosqlite:///{data / 'data.db'}"
    assert env["SKYVERN_ENV_FILE"] == str(data / ".env")
    assert env["PLAYWRIGHT_BROWSERS_PATH"] == str(environment.browsers_path)
    for name, sub in [
        ("ARTIFACT_STORAGE_PATH", "artifacts"),
        ("VIDEO_PATH", "videos"),
        ("HAR_PATH", "har"),
        ("LOG_PATH", "log"),
        ("DOWNLOAD_PATH", "downloads"),
    ]:
        assert env[name] == str(data / sub)
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["UNRELATED_SETTING"] == "kept"
    assert os.environ["SKYVERN_API_KEY"] == "sk-parent-key-0001"  # the parent is untouched


def test_child_env_extra_env_wins(tmp_path: Path) -> None:
    server = LocalServer(
        ServerEnvironment(tmp_path / "venv"),
        data_dir=tmp_path / "data",
        extra_env={"BROWSER_TYPE": "chromium-headful", "ENABLE_THING": "1"},
    )
    env = server.child_env()
    assert env["BROWSER_TYPE"] == "chromium-headful"
    assert env["ENABLE_THING"] == "1"


def test_missing_system_tools() -> None:
    assert missing_system_tools(["sh", "no-such-tool-7f3a"]) == ["no-such-tool-7f3a"]
    assert missing_system_tools([]) == []


# ---------------------------------------------------------------------- Playwright browsers

_BROWSERS_JSON = {
    "comment": "Do not edit this file, use utils/roll_browser.js",
    "browsers": [
        {"name": "chromium", "revision": "1169", "installByDefault": True},
        {"name": "chromium-headless-shell", "revision": 1169, "installByDefault": True},
        {"name": "firefox", "revision": "1482", "installByDefault": True},
        {"name": "ffmpeg", "revision": "1011", "installByDefault": True},
    ],
}


def _fake_environment(tmp_path: Path, browsers: object = _BROWSERS_JSON) -> ServerEnvironment:
    env = ServerEnvironment.default(cache_dir=tmp_path)
    package = env.root / "lib/python3.12/site-packages/playwright/driver/package"
    package.mkdir(parents=True)
    (package / "browsers.json").write_text(json.dumps(browsers), encoding="utf-8")
    return env


def test_playwright_revisions(tmp_path: Path) -> None:
    env = _fake_environment(tmp_path)
    assert env.playwright_revisions() == {
        "chromium": "1169",
        "chromium-headless-shell": "1169",
        "firefox": "1482",
        "ffmpeg": "1011",
    }


def test_playwright_revisions_without_playwright(tmp_path: Path) -> None:
    env = ServerEnvironment.default(cache_dir=tmp_path)
    with pytest.raises(LocalServerError, match="Playwright is missing"):
        env.playwright_revisions()


def test_playwright_revisions_of_an_empty_list(tmp_path: Path) -> None:
    assert _fake_environment(tmp_path, {"comment": "none"}).playwright_revisions() == {}


_SYSTEM_CHROMIUM = "/usr/lib/chromium/chromium"


@pytest.mark.skipif(
    not os.access(_SYSTEM_CHROMIUM, os.X_OK), reason=f"no system Chromium at {_SYSTEM_CHROMIUM}"
)
def test_link_system_browser_points_playwright_at_the_system_chromium(tmp_path: Path) -> None:
    env = _fake_environment(tmp_path)
    assert env.link_system_browser() is True
    base = env.browsers_path
    chrome = base / "chromium-1169" / "chrome-linux64" / "chrome"
    shell = base / "chromium_headless_shell-1169" / "chrome-headless-shell-linux64"
    shell /= "chrome-headless-shell"
    for link in (chrome, shell):
        assert link.is_symlink()
        assert os.readlink(link) == _SYSTEM_CHROMIUM
    assert (base / "chromium-1169" / "INSTALLATION_COMPLETE").is_file()
    assert (base / "chromium_headless_shell-1169" / "INSTALLATION_COMPLETE").is_file()
    ffmpeg = base / "ffmpeg-1011" / "ffmpeg-linux"
    if os.access("/usr/bin/ffmpeg", os.X_OK):
        assert os.readlink(ffmpeg) == "/usr/bin/ffmpeg"
        assert (base / "ffmpeg-1011" / "INSTALLATION_COMPLETE").is_file()
    else:
        assert not ffmpeg.exists()
    assert not (base / "firefox-1482").exists()

    # Running it again (a second start) replaces the links, including a dangling one.
    chrome.unlink()
    chrome.symlink_to(tmp_path / "gone")
    assert env.link_system_browser() is True
    assert os.readlink(chrome) == _SYSTEM_CHROMIUM


def test_link_system_browser_without_chromium_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_build, "_SYSTEM_CHROMIUM", (str(tmp_path / "no-chromium"),))
    env = _fake_environment(tmp_path)
    assert env.link_system_browser() is False
    assert not env.browsers_path.exists()


def test_link_system_browser_with_a_fake_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs everywhere: a stand-in executable, and no ffmpeg.
    chromium = tmp_path / "bin" / "chromium"
    chromium.parent.mkdir()
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setattr(server_build, "_SYSTEM_CHROMIUM", (str(chromium),))
    monkeypatch.setattr(server_build, "_SYSTEM_FFMPEG", (str(tmp_path / "no-ffmpeg"),))
    env = _fake_environment(tmp_path)
    assert env.link_system_browser() is True
    folders = sorted(p.name for p in env.browsers_path.iterdir())
    assert folders == ["chromium-1169", "chromium_headless_shell-1169"]
    assert os.readlink(env.browsers_path / "chromium-1169/chrome-linux64/chrome") == str(chromium)


# ---------------------------------------------------------------------- where the server comes from


def _script(path: Path, first_line: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{first_line}\nimport sys\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_the_python_behind_a_program_is_read_from_its_first_line(tmp_path: Path) -> None:
    python = Path(sys.executable)
    program = _script(tmp_path / "bin" / "skyvern", f"#!{python}")
    assert server_runtime.python_of_executable(program) == python
    via_env = _script(tmp_path / "env" / "skyvern", "#!/usr/bin/env python3")
    assert server_runtime.python_of_executable(via_env).name.startswith("python3")


def test_a_program_without_a_first_line_uses_the_python_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "Scripts"
    folder.mkdir()
    (folder / "skyvern.exe").write_bytes(b"MZ\x90\x00launcher")
    (folder / "python.exe").write_bytes(b"MZ")
    assert server_runtime.python_of_executable(folder / "skyvern.exe") == folder / "python.exe"


def test_a_missing_or_foreign_program_is_named(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="There is no program at"):
        server_runtime.python_of_executable(tmp_path / "nope")
    foreign = tmp_path / "alone" / "tool"
    foreign.parent.mkdir()
    foreign.write_bytes(b"\x7fELF")
    with pytest.raises(LocalServerError, match="does not look like Skyvern's program"):
        server_runtime.python_of_executable(foreign)


def test_a_chosen_program_whose_python_lacks_skyvern_says_how_to_install(
    tmp_path: Path, no_skyvern: NoSkyvern
) -> None:
    program = _script(tmp_path / "bin" / "skyvern", f"#!{no_skyvern.python}")
    with pytest.raises(server_runtime.ServerMissingError) as caught:
        server_runtime.locate_runtime(str(program))
    assert "cannot import skyvern" in str(caught.value)
    assert caught.value.command == server_runtime.install_command()


def test_nothing_installed_gives_the_exact_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKYVERN_DESKTOP_SKYVERN", raising=False)
    monkeypatch.setattr(server_runtime, "own_runtime", lambda: None)
    empty = ServerEnvironment.default(cache_dir=tmp_path)
    with pytest.raises(server_runtime.ServerMissingError) as caught:
        server_runtime.locate_runtime(None, empty)
    command = caught.value.command
    assert command.startswith(sys.executable)
    assert command.endswith(f"-m pip install 'skyvern[server]=={SKYVERN_VERSION}'")


def test_the_order_is_chosen_program_then_own_environment_then_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKYVERN_DESKTOP_SKYVERN", raising=False)
    own = server_runtime.ServerRuntime(Path("/own/python"), "own")
    monkeypatch.setattr(server_runtime, "own_runtime", lambda: own)
    cached = ServerEnvironment.default(cache_dir=tmp_path)
    assert server_runtime.locate_runtime(None, cached) is own
    monkeypatch.setattr(server_runtime, "own_runtime", lambda: None)
    cached.python.parent.mkdir(parents=True)
    cached.python.write_text("")
    cached.marker.write_text("")
    assert server_runtime.locate_runtime(None, cached) is cached


def test_a_stale_state_file_is_not_reused_and_the_port_is_kept(tmp_path: Path) -> None:
    server = LocalServer(ServerEnvironment(tmp_path / "venv"), data_dir=tmp_path / "d")
    server.data_dir.mkdir()
    port = free_port()
    # A process id that is not running (the app was killed and the server with it).
    server.state_file.write_text(json.dumps({"pid": 2**22 + 12345, "port": port}))
    assert server.adopt_running() is None
    assert server.port == 0
    assert server._choose_port() == port  # the same address as last time, when free
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        assert server._choose_port() != port
    server.state_file.write_text("not json")
    assert server.adopt_running() is None


def test_the_examples_point_at_the_local_server() -> None:
    from skyvern_desktop.core.server.examples import SERVER_URL_MARK, example_definitions

    definitions = example_definitions("http://127.0.0.1:8123/")
    assert len(definitions) == 4
    text = json.dumps(definitions)
    assert SERVER_URL_MARK not in text
    assert "http://127.0.0.1:8123/v1/version" in text
    kinds = {
        p["workflow_parameter_type"]
        for d in definitions
        for p in d["workflow_definition"]["parameters"]
    }
    assert kinds >= {"string", "integer", "float", "boolean", "json"}
    blocks = {b["block_type"] for d in definitions for b in d["workflow_definition"]["blocks"]}
    assert blocks == {"wait", "http_request", "goto_url"}


def test_a_program_wrapped_by_sh_names_its_python_on_the_exec_line(tmp_path: Path) -> None:
    """pip writes this when the environment's path has spaces or is long."""
    program = tmp_path / "my env" / "bin" / "skyvern"
    program.parent.mkdir(parents=True)
    program.write_text(
        f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\nimport sys\n",
        encoding="utf-8",
    )
    assert server_runtime.python_of_executable(program) == Path(sys.executable)


def test_a_windows_global_install_finds_python_above_scripts(tmp_path: Path) -> None:
    scripts = tmp_path / "Python312" / "Scripts"
    scripts.mkdir(parents=True)
    (scripts / "skyvern.exe").write_bytes(b"MZ launcher")
    (scripts.parent / "python.exe").write_bytes(b"MZ")
    assert (
        server_runtime.python_of_executable(scripts / "skyvern.exe")
        == scripts.parent / "python.exe"
    )


def test_a_packaged_app_gives_a_separate_environment_to_install_into(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    command = server_runtime.install_command()
    assert "-m venv" in command and f"skyvern[server]=={SKYVERN_VERSION}" in command
    assert sys.executable not in command
    # The packaged app's own library path is not handed to the server.
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/skyvern-desktop/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/local/lib")
    assert server_runtime.child_environ()["LD_LIBRARY_PATH"] == "/usr/local/lib"
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")
    assert "LD_LIBRARY_PATH" not in server_runtime.child_environ()
