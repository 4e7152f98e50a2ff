"""Install the test tools into the app's virtual environment and run every test.

    python3 scripts/test.py [pytest options]

Uses the same environment as scripts/start.py (.venv, or $SKYVERN_DESKTOP_VENV), adding
the `test` extra. On Linux it then runs scripts/run-tests, which installs the Debian
packages the tests use (it says so first), builds the cached Skyvern test server once per
version, and runs pytest with a real keyring. Elsewhere it runs pytest directly.
"""

import os
import sys

import _bootstrap

if __name__ == "__main__":
    python = _bootstrap.ensure_environment({"test"})
    if os.name == "posix":
        os.environ["PYTHON"] = python
        runner = os.path.join(_bootstrap.ROOT, "scripts", "run-tests")
        sys.stdout.flush()
        os.execv("/bin/bash", ["/bin/bash", runner, *sys.argv[1:]])
    _bootstrap.exec_python(python, ["-m", "pytest", *sys.argv[1:]])
