"""Install Skyvern Desktop with a Skyvern server of its own, and start it.

    python3 scripts/start.py [--no-local] [skyvern-desktop options]

The first time it makes a virtual environment (.venv in this folder, or
$SKYVERN_DESKTOP_VENV) and installs the app with its `local` extra (a Skyvern server) into
it; later it starts at once. The app starts with --local: it runs that server and connects
to it. With --no-local only the app is installed, and it starts plainly (its welcome dialog
asks for Skyvern Cloud or a company server). Other options go to the app, e.g. --self-test.
"""

import sys

import _bootstrap

if __name__ == "__main__":
    args = sys.argv[1:]
    local = "--no-local" not in args
    args = [a for a in args if a != "--no-local"]
    python = _bootstrap.ensure_environment({"local"} if local else set())
    mode = ["--local"] if local else []
    _bootstrap.exec_python(python, ["-m", "skyvern_desktop", *mode, *args])
