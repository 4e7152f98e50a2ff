"""Entry point for ``skyvern-desktop`` and ``python -m skyvern_desktop``.

Argument handling stays free of Qt so ``--version`` answers instantly; the GUI
modules are imported only when a window is needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import APP_NAME, __version__
from .ui.screens import SCREEN_KEYS

# Every screen of the table, and the dialogs and panes --screenshot can also render.
VIEWS = (
    *SCREEN_KEYS, "launch", "run", "compare", "schedule-editor", "connections", "first-run",
    "batch",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skyvern-desktop",
        description=f"{APP_NAME}: run and watch Skyvern workflows from your desktop.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="build the main window offscreen, connect if configured, print one line, exit",
    )
    parser.add_argument(
        "--screenshot", metavar="FILE", help="render a view offscreen to a PNG file and exit"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="start (or reuse) a Skyvern server on this computer and connect to it;"
        " it stops when the app quits",
    )
    parser.add_argument(
        "--view",
        default="workflows",
        choices=VIEWS,
        help="the view --screenshot renders (default: workflows)",
    )
    parser.add_argument(
        "--workflow",
        metavar="WPID",
        help="the workflow --view launch opens the launcher for (or --view batch a batch of)",
    )
    parser.add_argument(
        "--rows",
        metavar="FILE",
        help="--view batch: the spreadsheet (CSV or XLSX) whose rows it previews and checks;"
        " nothing is started",
    )
    parser.add_argument(
        "--run",
        metavar="RUN_ID",
        action="append",
        help="the run --view run shows; --view compare takes two (--run A --run B)",
    )
    parser.add_argument(
        "--tab",
        choices=("overview", "inputs", "steps"),
        default="overview",
        help="the tab of the run --view run shows (default: overview)",
    )
    parser.add_argument(
        "--schedule",
        metavar="SCHEDULE_ID",
        help="the schedule --view schedule-editor opens (with --workflow); new when left out",
    )
    parser.add_argument(
        "--cron", metavar="EXPR", help="type this into --view schedule-editor's cron field"
    )
    return parser


def _give_streams_a_home() -> None:
    """A windowed build (Windows, macOS) starts with no stdout or stderr: ``print`` and
    argparse would fail. Their output then goes to ``console.log`` in the log folder."""
    if sys.stdout is not None and sys.stderr is not None:
        return
    from .core.paths import app_paths

    log_dir = app_paths().log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    stream = (log_dir / "console.log").open("a", encoding="utf-8", buffering=1)
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream


def main(argv: Sequence[str] | None = None) -> int:
    _give_streams_a_home()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .app import run_app  # Qt is imported only from here on.

        code: int = run_app(args)
    except KeyboardInterrupt:
        # Ctrl+C before the window's own handler is in place (while Qt loads): no traceback.
        print(f"{APP_NAME}: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
