"""The app's small SQLite files (the run registry, the batch store), opened one way.

Each write is committed at once (autocommit, WAL), so a crash or ``kill -9`` loses nothing
already written. A file that cannot serve never stops the app:

- **damaged, not a database, or from a newer version of the app**: it is set aside (renamed
  with the time, never deleted), whatever tables could still be read are copied into a new
  file (the owner's ``salvaged`` hook then marks what it cannot trust), and a notice says so;
- **the disk is full, or the folder read-only**: the file's rows are copied into memory and
  the app goes on there, a notice says so once, and each later write first tries the disk
  again (at most every ``retry_s``): when the disk takes it, what was kept in memory is
  written back whole and the notice says it is kept again.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .files import cannot_write, set_aside
from .notices import FileNotice, Notices, Trouble

log = logging.getLogger(__name__)

# SQLite's primary result codes (the low byte of an extended one).
_CORRUPT, _NOTADB = 11, 26
_CANNOT_WRITE_CODES = {3, 8, 10, 13, 14}  # PERM, READONLY, IOERR, FULL, CANTOPEN
_COMPANIONS = ("-wal", "-shm", "-journal")

Salvaged = Callable[[sqlite3.Connection], None]


class ForeignVersionError(sqlite3.DatabaseError):
    """The file was written by a newer version of the app."""


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damaged(exc: BaseException) -> bool:
    if isinstance(exc, ForeignVersionError):
        return True
    if isinstance(exc, sqlite3.DatabaseError):
        code = _code(exc)
        if code in (_CORRUPT, _NOTADB):
            return True
        text = str(exc).lower()
        return "not a database" in text or "malformed" in text
    return False


def is_cannot_write(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return cannot_write(exc)
    if isinstance(exc, sqlite3.Error) and not is_damaged(exc):
        if _code(exc) in _CANNOT_WRITE_CODES:
            return True
        text = str(exc).lower()
        return any(
            words in text
            for words in ("disk is full", "readonly", "read-only", "unable to open", "disk i/o")
        )
    return False


def _connect(path: Path, schema: str, version: int) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        if found > version:
            raise ForeignVersionError(
                f"written by a newer version of the app (format {found}, this one reads {version})"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(schema)
        if found < version:
            db.execute(f"PRAGMA user_version = {int(version)}")
    except BaseException:
        db.close()
        raise
    return db


def _memory(schema: str, version: int) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.executescript(schema)
    db.execute(f"PRAGMA user_version = {int(version)}")
    return db


def _read_into(path: Path, memory: sqlite3.Connection) -> None:
    """Copy the file's rows into ``memory`` from a folder that refuses writes: read-only,
    or (a WAL file with no ``-shm`` cannot be opened read-only there) from a copy of the
    file and its WAL in a temporary folder, so rows only in the WAL are read too."""
    import shutil
    import tempfile

    try:
        source = _read_only(path)
        try:
            source.backup(memory)
            return
        finally:
            source.close()
    except sqlite3.Error:
        pass
    with tempfile.TemporaryDirectory(prefix="skyvern-desktop-read-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        wal = Path(f"{path}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{copy}-wal"))
        source = sqlite3.connect(copy, check_same_thread=False)
        try:
            source.backup(memory)
        finally:
            source.close()


def _tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_")]


def _readable_rows(source: sqlite3.Connection, table: str) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` that can still be read, in rowid order: past a damaged page,
    reading starts again further on (twice as far each time) until it reads again."""
    last = 2**63 - 1
    after: int | None = None  # from the first row
    step = 1
    while True:
        try:  # the first row is read by execute() itself: it is inside the try too
            if after is None:
                cursor = source.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')
            else:
                cursor = source.execute(
                    f'SELECT rowid, * FROM "{table}" WHERE rowid > ? ORDER BY rowid', (after,)
                )
            while row := cursor.fetchone():
                after, step = int(row[0]), 1
                yield tuple(row[1:])
            return
        except sqlite3.DatabaseError:
            base = after if after is not None else 0
            if base > last - step:
                return
            after, step = base + step, step * 2


def _copy_rows(source: sqlite3.Connection, target: sqlite3.Connection) -> int:
    """Copy every row that can still be read from ``source``'s tables into the same tables
    of ``target``; returns how many."""
    copied = 0
    for table in _tables(target):
        try:
            names = [str(r[1]) for r in source.execute(f'PRAGMA table_info("{table}")')]
            if not names:
                continue
            columns = ", ".join(f'"{n}"' for n in names)
            marks = ", ".join("?" for _ in names)
            insert = f'INSERT OR REPLACE INTO "{table}" ({columns}) VALUES ({marks})'
            for row in _readable_rows(source, table):
                with contextlib.suppress(sqlite3.Error):
                    target.execute(insert, row)
                    copied += 1
        except sqlite3.Error:
            continue
    return copied


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)


class LocalDb:
    """One SQLite file of the app, with the rules above. ``execute``, ``executemany`` and
    ``transaction`` are what the stores use; the connection itself is never handed out."""

    def __init__(
        self,
        path: Path,
        schema: str,
        *,
        what: str,
        after: str = "",
        notices: Notices | None = None,
        version: int = 1,
        salvaged: Salvaged | None = None,
        retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.what = what
        self.after = after
        self.notices = notices if notices is not None else Notices()
        self._schema = schema
        self._version = version
        self._salvaged = salvaged
        self._retry_s = retry_s
        self._clock = clock
        self._in_memory = False
        self._memory_has_file = True  # the memory copy began with the file's rows
        self._next_try = 0.0
        self._tx: list[tuple[str, Any, bool]] | None = None  # statements of the open transaction
        self._db = self._open()

    @property
    def in_memory(self) -> bool:
        """True while the disk refuses writes and the rows live in memory."""
        return self._in_memory

    # ------------------------------------------------------------------ opening

    def _open(self) -> sqlite3.Connection:
        try:
            return _connect(self.path, self._schema, self._version)
        except (sqlite3.Error, OSError) as exc:
            if is_damaged(exc):
                return self._replace_damaged(exc)
            if is_cannot_write(exc):
                return self._go_to_memory(exc, None)
            raise

    def _replace_damaged(self, exc: BaseException) -> sqlite3.Connection:
        """Set the file aside, start a new one with whatever could be read from it."""
        salvage = _memory(self._schema, self._version)
        rescued = 0
        with contextlib.suppress(sqlite3.Error, OSError):
            old = _read_only(self.path)
            try:
                if not isinstance(exc, ForeignVersionError):
                    rescued = _copy_rows(old, salvage)
            finally:
                old.close()
        kept_as = set_aside(self.path, *_COMPANIONS)
        log.warning(
            "%s (%s) could not be read (%s); set aside as %s, %d rows rescued",
            self.what, self.path, exc, kept_as, rescued,
        )  # fmt: skip
        self.notices.add(
            FileNotice(Trouble.SET_ASIDE, self.what, self.path, kept_as, _reason(exc), self.after)
        )
        if rescued and self._salvaged is not None:
            try:  # the owner marks what it cannot trust, before anything is written
                self._salvaged(salvage)
            except sqlite3.Error:
                log.exception("%s: the rescued rows could not be checked; dropped", self.what)
                salvage.close()
                salvage = _memory(self._schema, self._version)
                rescued = 0
        if kept_as is None:  # it could not even be renamed: never write over it
            self._memory_has_file = False
            self._in_memory = True
            self._next_try = float("inf")
            return salvage
        db: sqlite3.Connection | None = None
        try:
            db = _connect(self.path, self._schema, self._version)
            if rescued:
                salvage.backup(db)
        except (sqlite3.Error, OSError) as again:
            if db is not None:
                db.close()
            if not is_cannot_write(again):
                raise
            self._in_memory = True
            self._memory_has_file = False  # merged into the new file when it can be written
            self._next_try = self._clock() + self._retry_s
            self.notices.add(
                FileNotice(Trouble.NOT_KEPT, self.what, self.path, None, _reason(again))
            )
            return salvage
        salvage.close()
        return db

    def _go_to_memory(
        self, exc: BaseException, current: sqlite3.Connection | None
    ) -> sqlite3.Connection:
        """The disk refuses writes: copy what the file holds into memory and go on there."""
        memory = _memory(self._schema, self._version)
        has_file = False
        try:
            if current is not None:
                current.backup(memory)
                has_file = True
            elif self.path.exists():
                _read_into(self.path, memory)
                has_file = True
            else:
                has_file = True  # nothing on disk to lose
        except (sqlite3.Error, OSError):
            log.warning("%s: could not read %s into memory", self.what, self.path)
        if current is not None:
            with contextlib.suppress(sqlite3.Error):
                current.close()
        self._in_memory = True
        self._memory_has_file = has_file
        self._next_try = self._clock() + self._retry_s
        log.warning("%s (%s) cannot be written (%s): kept in memory", self.what, self.path, exc)
        self.notices.add(FileNotice(Trouble.NOT_KEPT, self.what, self.path, None, _reason(exc)))
        return memory

    def try_disk(self, *, force: bool = False) -> bool:
        """While in memory: write everything back to the file if the disk takes it now.
        Called before each write (at most every ``retry_s``) and by the owner's timer.
        A memory copy that holds all the file had replaces it; one that could not read the
        file (it began empty) is merged into it, row by row, so nothing the file has is
        lost."""
        if not self._in_memory or self._tx is not None:
            return not self._in_memory
        if not force and self._clock() < self._next_try:
            return False
        self._next_try = self._clock() + self._retry_s
        try:
            disk = self._open_for_write_back()
        except (sqlite3.Error, OSError) as exc:
            log.debug("%s: the disk still refuses (%s)", self.what, exc)
            return False
        try:
            if self._memory_has_file:
                self._db.backup(disk)
            else:
                disk.execute("BEGIN")
                _copy_rows(self._db, disk)
                disk.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                disk.execute("ROLLBACK")
            disk.close()
            log.debug("%s: writing back failed (%s)", self.what, exc)
            return False
        self._db.close()
        self._db = disk
        self._in_memory = False
        self._memory_has_file = True
        log.info("%s (%s) is kept on disk again", self.what, self.path)
        self.notices.add(FileNotice(Trouble.KEPT_AGAIN, self.what, self.path))
        return True

    def _open_for_write_back(self) -> sqlite3.Connection:
        try:
            return _connect(self.path, self._schema, self._version)
        except sqlite3.DatabaseError as exc:
            if not is_damaged(exc):
                raise
        # The file went bad meanwhile: it is set aside, as at start, and said so.
        kept_as = set_aside(self.path, *_COMPANIONS)
        if kept_as is None:
            raise sqlite3.OperationalError("the damaged file could not be set aside")
        self.notices.add(
            FileNotice(Trouble.SET_ASIDE, self.what, self.path, kept_as, "damaged", self.after)
        )
        self._memory_has_file = True  # nothing left on disk to merge with
        return _connect(self.path, self._schema, self._version)

    # ------------------------------------------------------------------ use

    def close(self) -> None:
        self._db.close()

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        """A statement that writes (its cursor's rows, if any, are read at once)."""
        return self._run(sql, args, many=False)

    def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """A query's rows. A file found damaged while reading is set aside and what could
        be rescued from it is asked again."""
        try:
            return self._run(sql, args, many=False).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damaged(exc) or self._tx is not None or self._in_memory:
                raise
            old = self._db
            self._db = self._replace_damaged(exc)  # the old handle stays until this worked
            old.close()
            return self._db.execute(sql, args).fetchall()

    def fetch_one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        rows = self.fetch(sql, args)
        return rows[0] if rows else None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._run(sql, list(rows), many=True)

    def _run(self, sql: str, args: Any, *, many: bool) -> sqlite3.Cursor:
        if self._in_memory and self._tx is None:
            self.try_disk()
        if self._tx is not None:
            self._tx.append((sql, args, many))
        try:
            return self._db.executemany(sql, args) if many else self._db.execute(sql, args)
        except (sqlite3.Error, OSError) as exc:
            if self._in_memory or not is_cannot_write(exc):
                if is_damaged(exc) and self._tx is None and not self._in_memory:
                    old = self._db
                    self._db = self._replace_damaged(exc)
                    old.close()
                    return self._db.executemany(sql, args) if many else self._db.execute(sql, args)
                raise
            if self._tx is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                self._db = self._go_to_memory(exc, self._db)
                self._db.execute("BEGIN")
                cursor: sqlite3.Cursor | None = None
                for s, a, m in self._tx:
                    cursor = self._db.executemany(s, a) if m else self._db.execute(s, a)
                assert cursor is not None
                return cursor
            self._db = self._go_to_memory(exc, self._db)
            return self._db.executemany(sql, args) if many else self._db.execute(sql, args)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; a full disk in the middle moves the whole of it to memory."""
        if self._in_memory:
            self.try_disk()
        self._db.execute("BEGIN")
        self._tx = []
        try:
            yield
        except BaseException:
            self._tx = None
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        statements, self._tx = self._tx, None
        try:
            self._db.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            if self._in_memory or not is_cannot_write(exc):
                raise
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            self._db = self._go_to_memory(exc, self._db)
            with self._memory_transaction():
                for s, a, m in statements:
                    self._db.executemany(s, a) if m else self._db.execute(s, a)

    @contextlib.contextmanager
    def _memory_transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
