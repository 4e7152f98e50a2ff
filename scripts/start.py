"""Install Skyvern Desktop with a Skyvern server of its own, and start it.

    python3 scripts/start.py [skyvern-desktop options]

The first time it makes a virtual environment (.venv in this folder, or
$SKYVERN_DESKTOP_VENV) and installs the app with its `local` extra into it; later it
starts at once. Options are passed to the app after --local, e.g. --self-test.
"""

import sys

import _bootstrap

if __name__ == "__main__":
    python = _bootstrap.ensure_environment({"local"})
    _bootstrap.exec_python(python, ["-m", "skyvern_desktop", "--local", *sys.argv[1:]])
