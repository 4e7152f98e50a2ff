"""The virtual environment that scripts/start.py and scripts/test.py install into.

Standard library only, and no syntax newer than Python 3.6, so that an old Python gets a
plain sentence instead of a traceback. Debian, Ubuntu and Homebrew refuse ``pip install``
outside a virtual environment (PEP 668), so everything goes into one: ``.venv`` in the
checkout, or ``$SKYVERN_DESKTOP_VENV``.

The environment is made once; pip is upgraded in it (an old pip backtracks for minutes
through litellm's releases) and the app is installed, editable, with
``packaging/constraints.txt`` pinning every package. A stamp records what was installed, so
a second start installs nothing and opens the app at once.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSTRAINTS = os.path.join(ROOT, "packaging", "constraints.txt")
MIN_PYTHON = (3, 11)
STAMP = "skyvern-desktop-install.json"


def say(message):
    print("[skyvern-desktop] " + message, flush=True)


def fail(message):
    say(message)
    sys.exit(1)


def check_python():
    if sys.version_info[:2] < MIN_PYTHON:
        fail(
            "Skyvern Desktop needs Python {}.{} or newer; this is Python {}.{} ({}). Install a"
            " newer Python and run this command with it.".format(
                *MIN_PYTHON, *sys.version_info[:2], sys.executable
            )
        )


def venv_dir():
    return os.path.abspath(os.environ.get("SKYVERN_DESKTOP_VENV") or os.path.join(ROOT, ".venv"))


def venv_python(venv):
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def _run(cmd, **kwargs):
    say("$ " + " ".join(cmd))
    done = subprocess.run(cmd, **kwargs)
    return done.returncode


def _python_version(python):
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _has_ensurepip():
    done = subprocess.run(
        [sys.executable, "-c", "import ensurepip"], capture_output=True, timeout=60
    )
    return done.returncode == 0


def _install_venv_package():
    """Debian and Ubuntu ship ``venv`` without pip (package pythonX.Y-venv). Install it the
    way the person would: directly as root, through sudo (it asks for the password) at a
    terminal, or else say the one command to run."""
    package = "python{}.{}-venv".format(*sys.version_info[:2])
    command = ["apt-get", "install", "-y", package]
    if shutil.which("apt-get") is None:
        fail(
            "This Python ({}) cannot make virtual environments: its 'ensurepip' module is"
            " missing. Install your system's venv support for Python, then run this command"
            " again.".format(sys.executable)
        )
    if os.geteuid() == 0:
        say("Debian's Python needs {} for a virtual environment; installing it.".format(package))
        if _run(["apt-get", "update", "-qq"]) == 0 and _run(command) == 0:
            return
    elif shutil.which("sudo") and sys.stdin is not None and sys.stdin.isatty():
        say(
            "Debian's Python needs {} to make a virtual environment; installing it with sudo"
            " (it may ask for your password).".format(package)
        )
        if _run(["sudo", *command]) == 0:
            return
    fail(
        "This Python cannot make a virtual environment yet. Run this once, then run this"
        " command again:\n\n    sudo apt install {}\n".format(package)
    )


def _stamp_key(extras):
    digest = hashlib.sha256()
    for path in (os.path.join(ROOT, "pyproject.toml"), CONSTRAINTS):
        with open(path, "rb") as f:
            digest.update(f.read())
    digest.update(ROOT.encode())
    return {"inputs": digest.hexdigest(), "extras": sorted(extras)}


def _read_stamp(venv):
    try:
        with open(os.path.join(venv, STAMP), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ensure_environment(extras):
    """Make (or reuse) the environment and install the app with ``extras`` into it.
    Returns the environment's Python."""
    check_python()
    venv = venv_dir()
    python = venv_python(venv)
    wanted = "{}.{}".format(*sys.version_info[:2])
    if os.path.exists(python) and _python_version(python) != wanted:
        say("{} was made with another Python; making it anew with {}.".format(venv, wanted))
        shutil.rmtree(venv)
    started = time.monotonic()
    fresh = not os.path.exists(python)
    if fresh:
        if not _has_ensurepip():
            _install_venv_package()
        say("Making a virtual environment in {} (Python {})".format(venv, wanted))
        if _run([sys.executable, "-m", "venv", venv]) != 0:
            fail("The virtual environment could not be made in {}.".format(venv))
    stamp = _read_stamp(venv)
    installed = set(stamp["extras"]) if stamp else set()
    key = _stamp_key(installed | set(extras))
    if stamp is not None and set(extras) <= installed and stamp.get("inputs") == key["inputs"]:
        return python
    quiet = [] if os.environ.get("SKYVERN_DESKTOP_VERBOSE") else ["--quiet"]
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    upgrade = [*pip, "install", *quiet, "--upgrade", "pip>=25"]
    if (fresh or stamp is None) and _run(upgrade) != 0:
        fail("pip could not be upgraded in {}: see the lines above.".format(venv))
    spec = ".[{}]".format(",".join(key["extras"])) if key["extras"] else "."
    if "local" in key["extras"] and "local" not in installed:
        say("Installing Skyvern Desktop and a Skyvern server (about 2.2 GB; a minute or more)")
    else:
        say("Installing Skyvern Desktop{}".format(" with " + spec[2:-1] if key["extras"] else ""))
    install = [*pip, "install", *quiet, "--constraint", CONSTRAINTS, "--editable", spec]
    code = _run(install, cwd=ROOT)
    if code != 0:
        fail("The install failed: see pip's lines above. Nothing else was changed.")
    with open(os.path.join(venv, STAMP), "w", encoding="utf-8") as f:
        json.dump(key, f)
    say("Installed in {:.0f} s.".format(time.monotonic() - started))
    return python


def exec_python(python, args):
    """Run ``python args`` in place of this process (signals reach it directly)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":
        sys.exit(subprocess.call([python, *args]))
    os.execv(python, [python, *args])
