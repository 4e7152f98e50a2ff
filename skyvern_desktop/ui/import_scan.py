"""PySide6 reads the source of every module imported after it; this makes that read cheap.

Once PySide6 is loaded, its ``__feature__`` support (``from __feature__ import
snake_case``) hooks every import: for each new module it calls
``shibokensupport.feature._mod_uses_pyside``, which runs ``inspect.getsource`` on the
module and looks for the word "PySide6". ``inspect.getsource`` is slow (it resolves the
file, fills ``linecache`` with every line of it and joins them again): on the way to the
first workflow list about 360 modules load after Qt (httpx, pydantic, the API models, the
screens), and the scan took ~70 ms of the ~450 ms between the window and the list.

:func:`make_cheap` swaps in a check with the same answer: the module's ``.py`` file is
read as bytes and searched for the same word (Python source is in an ASCII-compatible
encoding, so the bytes hold it exactly when the text does). Anything that is not a plain
``.py`` file on disk (an extension, a frozen or zipped module) goes to PySide's own
check, so every answer is the one PySide would give. If a PySide release changes or drops
the hook, this does nothing.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import ModuleType

log = logging.getLogger(__name__)

_WORD = b"PySide6"


def uses_pyside(module: ModuleType, fallback: Callable[[ModuleType], bool]) -> bool:
    """PySide's answer for ``module``, reading its ``.py`` file directly where there is one."""
    path = getattr(module, "__file__", None)
    if isinstance(path, str) and path.endswith(".py"):
        try:
            with open(path, "rb") as source:
                return _WORD in source.read()
        except OSError:
            pass
    return fallback(module)


def make_cheap() -> bool:
    """Install the cheaper check; True if PySide's hook was found and replaced (once)."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "__wrapped__", None) is not None:
        return True  # already installed

    def check(module: ModuleType) -> bool:
        return uses_pyside(module, original)

    check.__wrapped__ = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = check  # type: ignore[attr-defined]
    log.debug("PySide's per-import source scan reads files directly")
    return True
