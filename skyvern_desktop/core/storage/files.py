"""Setting a damaged file aside: renamed with the time, never deleted."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path

# The errors that mean "this folder cannot take writes now" rather than "this file is bad".
_CANNOT_WRITE = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def cannot_write(exc: OSError) -> bool:
    """A full disk, a read-only or forbidden folder: the app goes on from memory."""
    return exc.errno in _CANNOT_WRITE or isinstance(exc, (NotADirectoryError, FileExistsError))


def set_aside(path: Path, *companions: str, now: float | None = None) -> Path | None:
    """Rename ``path`` (and ``path + suffix`` for each companion, such as SQLite's
    ``-wal``) to ``<name>.damaged-<date>-<time><suffix>`` beside it. Returns the new name,
    or None when it could not be renamed (then it is left exactly where it was)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists() or any(Path(f"{target}{c}").exists() for c in companions):
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    for suffix in companions:
        with contextlib.suppress(OSError):
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    return target
