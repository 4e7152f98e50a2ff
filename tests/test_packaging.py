"""The package list in pyproject.toml is written by hand (resources/ is mapped into the
package); every Python package in the tree must be on it, or an installed app lacks it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    in_tree = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "skyvern_desktop").rglob("__init__.py")
    }
    assert in_tree - listed == set(), "add these to [tool.setuptools] packages"
    # resources/ is mapped in; its icons/ folder is data, listed so setuptools installs it
    # (a folder of data inside a package that is not listed draws its "would be ignored").
    assert listed - in_tree == {"skyvern_desktop.resources", "skyvern_desktop.resources.icons"}
    icons = config["tool"]["setuptools"]["package-data"]["skyvern_desktop.resources.icons"]
    assert icons == ["*.png"] and list((ROOT / "resources" / "icons").glob("*.png"))


def test_the_wheel_holds_the_app_and_no_test_tooling(tmp_path: Path) -> None:
    """What ``pip install`` puts on a person's machine: every module of the app, its
    resources, and nothing of the tests (the test server's builder lives in tests/support)."""
    import importlib.util
    import subprocess
    import sys
    import zipfile

    # With setuptools here (the app's dependencies bring it), the wheel builds offline and
    # fast; without it (a bare venv of Python 3.12), pip fetches it for an isolated build.
    isolation = [] if importlib.util.find_spec("setuptools") else ["--use-pep517"]
    no_isolation = [] if isolation else ["--no-build-isolation"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *no_isolation, *isolation, "-q",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("skyvern_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if "server_build" in n or n.startswith("tests/")]
    in_tree = {
        path.relative_to(ROOT).as_posix() for path in (ROOT / "skyvern_desktop").rglob("*.py")
    }
    assert in_tree - names == set()
    assert "skyvern_desktop/core/storage/db.py" in names
    assert "skyvern_desktop/resources/icons/icon-256.png" in names or any(
        n.startswith("skyvern_desktop/resources/icons/") for n in names
    )
