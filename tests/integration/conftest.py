"""The real-server tier. Its fixtures live in ``tests/realserver.py`` (shared with tests/ui)."""

from tests.realserver import RealServer

__all__ = ["RealServer"]
