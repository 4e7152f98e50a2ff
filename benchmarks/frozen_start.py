"""The frozen app against the source app: bundle size, and time to a finished --self-test.

Both run ``--self-test`` offscreen with no connection configured (the main window is built,
shown and the app exits), the same number of times, alternating, in this run. The baseline
is the source app started as ``python -m skyvern_desktop``.

    python benchmarks/frozen_start.py                 # builds the bundle into a temp folder
    BUNDLE=dist/skyvern-desktop python benchmarks/frozen_start.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(out: Path) -> Path:
    env = {**os.environ, "DIST_DIR": str(out), "BUILD_DIR": str(out / "work"),
           "PYTHON": sys.executable}  # fmt: skip
    subprocess.run([str(ROOT / "packaging" / "build"), "--bundle-only"], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return out / "skyvern-desktop"


def timed(command: list[str], home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    env.update(QT_QPA_PLATFORM="offscreen", SKYVERN_DESKTOP_HOME=str(home))
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or "OK:" not in done.stdout:
        raise SystemExit(f"{command[0]} failed: {done.stdout}{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        given = os.environ.get("BUNDLE")
        bundle = Path(given) if given else build(Path(tmp) / "dist")
        exe = bundle / ("skyvern-desktop.exe" if os.name == "nt" else "skyvern-desktop")
        home = Path(tmp) / "home"
        frozen_cmd = [str(exe), "--self-test"]
        source_cmd = [sys.executable, "-m", "skyvern_desktop", "--self-test"]
        timed(frozen_cmd, home)  # warm the file cache for both, once
        timed(source_cmd, home)
        frozen, source = [], []
        for _ in range(RUNS):
            frozen.append(timed(frozen_cmd, home))
            source.append(timed(source_cmd, home))
        size = folder_size(bundle) / 1e6
        f, s = statistics.median(frozen) * 1000, statistics.median(source) * 1000
        print(f"bundle: {bundle} — {size:.0f} MB on disk")
        print(f"runs: {RUNS} each, alternating; --self-test offscreen, no connection")
        print(f"baseline: source app (python -m skyvern_desktop), median {s:7.0f} ms")
        print(f"frozen:   one-folder bundle,                  median {f:7.0f} ms = {f / s:4.2f}x")


if __name__ == "__main__":
    main()
