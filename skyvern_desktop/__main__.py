"""Entry point for ``skyvern-desktop`` and ``python -m skyvern_desktop``.

Argument handling stays free of Qt so ``--version`` answers instantly; the GUI
modules are imported only when a window is needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import APP_NAME, __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skyvern-desktop",
        description=f"{APP_NAME}: run and watch Skyvern workflows from your desktop.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .app import run_app  # Qt is imported only from here on.

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
