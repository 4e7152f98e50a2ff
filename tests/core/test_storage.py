"""The app's files never stop it: damaged ones are set aside (renamed, never deleted) and
what can be read is rescued; a disk that refuses writes keeps everything in memory, says so
once, and writes it all back by itself when it can. Fast tier: faults are made for real
(garbage bytes, a garbage page, SQLite's own page limit, a folder that is a file), and one
test fills a real tmpfs where the machine lets us mount one."""

from __future__ import annotations

import errno
import io
import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from skyvern_desktop.core.batch.rows import BatchRow, RowState
from skyvern_desktop.core.batch.store import SALVAGED_REASON, BatchState, BatchStore
from skyvern_desktop.core.connection.profiles import Profile, ProfileKind, ProfileStore
from skyvern_desktop.core.logs import remove_logging, setup_logging
from skyvern_desktop.core.runs.registry import RunRegistry
from skyvern_desktop.core.storage.db import LocalDb
from skyvern_desktop.core.storage.notices import FileNotice, Notices, Trouble

URL = "http://127.0.0.1:8000"


def _damaged_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.damaged-*[0-9]"))


def _limit_pages(db: LocalDb) -> None:
    """SQLite's own "database or disk is full": no page past the ones in use."""
    raw = db._db
    pages = int(raw.execute("PRAGMA page_count").fetchone()[0])
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.execute(f"PRAGMA max_page_count = {max(pages, 1)}")


def _fill_registry(registry: RunRegistry, count: int, prefix: str = "wr_") -> None:
    for i in range(count):
        registry.record(URL, f"{prefix}{i}", workflow_title="t" * 400, pane_open=True)


# ------------------------------------------------------------------ damaged files


def test_a_garbage_registry_is_set_aside_byte_for_byte_and_a_new_one_works(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    notices = Notices()
    registry = RunRegistry(path, notices)
    registry.record(URL, "wr_1", pane_open=True)
    assert [r.run_id for r in registry.open_panes(URL)] == ["wr_1"]
    registry.close()
    [kept] = _damaged_copies(path)
    assert kept.read_bytes() == garbage  # nothing deleted, nothing changed
    [notice] = notices.said
    assert notice.trouble is Trouble.SET_ASIDE and notice.kept_as == kept
    assert "could not read the list of open runs" in notice.sentence()
    assert str(kept) in notice.sentence()


def test_a_file_from_a_newer_version_is_set_aside_not_read(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    RunRegistry(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    raw.close()
    notices = Notices()
    RunRegistry(path, notices).close()
    [notice] = notices.said
    assert notice.trouble is Trouble.SET_ASIDE
    assert "newer version" in notice.reason
    assert len(_damaged_copies(path)) == 1


def _batch_with_rows(path: Path, count: int) -> tuple[str, list[BatchRow]]:
    store = BatchStore(path)
    rows = [
        BatchRow(index=i, cells=("x" * 200,), params={"a": "y" * 300}, title=f"row {i}")
        for i in range(count)
    ]
    rows[0].state, rows[0].run_id = RowState.RUNNING, "wr_started"
    info = store.create(
        base_url=URL, workflow_permanent_id="wpid_1", workflow_title="W", source="s.csv",
        headers=("a",), mapping={}, options={}, title_template="", concurrency=3, rows=rows,
    )  # fmt: skip
    store.close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return info.batch_id, rows


def test_a_batch_file_with_a_damaged_page_keeps_what_can_be_read_and_trusts_none_of_it(
    tmp_path: Path,
) -> None:
    """The rows rescued from a damaged batches file come back paused, and every row not
    known to have started "may have started": none is sent again before Find its run."""
    path = tmp_path / "batches.sqlite3"
    batch_id, _rows = _batch_with_rows(path, 300)
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    data[4096 * (pages - 3) : 4096 * (pages - 2)] = b"\xab" * 4096  # a page near the end
    path.write_bytes(bytes(data))
    notices = Notices()
    store = BatchStore(path, notices)
    # The damage shows when the rows are read: the file is set aside then.
    rows = store.rows(batch_id)
    assert 0 < len(rows) < 300
    info = store.get(batch_id)
    assert info is not None and info.state is BatchState.PAUSED
    started = [r for r in rows if r.run_id == "wr_started"]
    assert started and started[0].state is RowState.RUNNING  # still watched
    others = [r for r in rows if r.run_id is None]
    assert others and all(r.state is RowState.MAYBE for r in others)
    assert all(r.failure_reason == SALVAGED_REASON and r.sent_at for r in others)
    [notice] = notices.said
    assert notice.trouble is Trouble.SET_ASIDE and notice.kept_as is not None
    assert notice.kept_as.read_bytes() == bytes(data)
    store.close()


# ------------------------------------------------------------------ a disk that refuses


def test_a_full_disk_keeps_the_registry_in_memory_said_once_then_written_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.sqlite3"
    notices = Notices()
    registry = RunRegistry(path, notices)
    registry.record(URL, "wr_before", pane_open=True)
    _limit_pages(registry.db)
    _fill_registry(registry, 200)  # far past the page limit
    assert registry.db.in_memory
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]  # once, not 200 times
    assert "disk is full" in notices.said[0].reason
    assert len(registry.open_panes(URL)) == 201  # nothing written was lost
    # The limit belonged to the old connection; the disk takes writes again.
    assert registry.db.try_disk(force=True)
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT, Trouble.KEPT_AGAIN]
    registry.record(URL, "wr_after", pane_open=True)
    registry.close()
    again = RunRegistry(path)
    assert len(again.open_panes(URL)) == 202
    again.close()


def test_a_full_disk_in_the_middle_of_a_transaction_loses_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "batches.sqlite3"
    notices = Notices()
    store = BatchStore(path, notices)
    _limit_pages(store.db)
    rows = [BatchRow(index=i, cells=("c" * 500,), params={"a": "p" * 500}) for i in range(100)]
    info = store.create(
        base_url=URL, workflow_permanent_id="wpid_1", workflow_title="W", source="s.csv",
        headers=("a",), mapping={}, options={}, title_template="", concurrency=3, rows=rows,
    )  # fmt: skip
    assert store.db.in_memory
    assert len(store.rows(info.batch_id)) == 100
    assert store.db.try_disk(force=True)
    store.close()
    reopened = BatchStore(path)
    assert len(reopened.rows(info.batch_id)) == 100
    reopened.close()


def test_the_disk_is_tried_again_only_after_a_while(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "runs.sqlite3"
    db = LocalDb(
        path, "CREATE TABLE IF NOT EXISTS t (v TEXT);", what="t", retry_s=30,
        clock=lambda: now[0],
    )  # fmt: skip
    _limit_pages(db)
    for _ in range(50):
        db.execute("INSERT INTO t VALUES (?)", ("v" * 1000,))
    assert db.in_memory
    now[0] = 10.0
    db.execute("INSERT INTO t VALUES ('x')")
    assert db.in_memory  # 10 s: not tried yet
    now[0] = 31.0
    db.execute("INSERT INTO t VALUES ('y')")
    assert not db.in_memory  # tried before the write, and written back
    assert db.fetch_one("SELECT COUNT(*) FROM t")[0] == 52
    db.close()


def test_a_data_folder_that_cannot_be_made_keeps_runs_in_memory_until_it_can(
    tmp_path: Path,
) -> None:
    """The data folder's place is taken by a file (as a read-only or foreign folder would
    refuse it): the registry works from memory, and moves to disk once the folder can be
    made."""
    blocked = tmp_path / "data"
    blocked.write_text("not a folder")
    path = blocked / "runs.sqlite3"
    notices = Notices()
    registry = RunRegistry(path, notices)
    registry.record(URL, "wr_1", pane_open=True)
    assert registry.db.in_memory
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
    assert not registry.db.try_disk(force=True)
    blocked.unlink()
    assert registry.db.try_disk(force=True)
    registry.close()
    assert [r.run_id for r in RunRegistry(path).open_panes(URL)] == ["wr_1"]


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where = tmp_path / "small-disk"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"this machine does not let us mount a tmpfs: {done.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_full_disk_then_freed_space(small_tmpfs: Path) -> None:
    path = small_tmpfs / "runs.sqlite3"
    notices = Notices()
    registry = RunRegistry(path, notices)
    registry.record(URL, "wr_before", pane_open=True)
    filler = small_tmpfs / "filler"
    with filler.open("wb") as f:
        written = 0
        while written < 1 << 20:  # more than the disk holds
            try:
                f.write(b"\0" * 65536)
                f.flush()
            except OSError as exc:
                full = exc
                break
            written += 65536
    assert full.errno == errno.ENOSPC
    _fill_registry(registry, 100)
    assert registry.db.in_memory
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
    assert not registry.db.try_disk(force=True)  # still full
    filler.unlink()
    assert registry.db.try_disk(force=True)
    registry.close()
    assert len(RunRegistry(path).open_panes(URL)) == 101


# ------------------------------------------------------------------ other files


def test_a_damaged_connections_file_is_set_aside_with_the_time(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(b"{not json")
    notices = Notices()
    store = ProfileStore(path, notices)
    assert store.profiles == []
    [kept] = _damaged_copies(path)
    assert kept.read_bytes() == b"{not json"
    assert notices.said[0].trouble is Trouble.SET_ASIDE
    # A second damaged file later is kept beside the first, not over it.
    path.write_bytes(b"[]")
    ProfileStore(path, notices)
    assert len(_damaged_copies(path)) == 2


def test_connections_that_cannot_be_written_stay_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "config"
    blocked.write_text("a file where the folder goes")
    notices = Notices()
    store = ProfileStore(blocked / "profiles.json", notices)
    profile = Profile(name="Local", kind=ProfileKind.LOCAL, base_url=URL)
    store.upsert(profile)  # no exception
    assert store.profiles == [profile]
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
    blocked.unlink()
    store.set_active(profile.id)
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT, Trouble.KEPT_AGAIN]
    assert ProfileStore(blocked / "profiles.json").profiles == [profile]


def test_a_log_that_cannot_be_written_is_said_once_and_resumes(tmp_path: Path) -> None:
    notices = Notices()
    blocked = tmp_path / "logs"
    blocked.write_text("a file where the folder goes")
    try:
        setup_logging(blocked / "app.log", notices=notices)  # no exception
        logging.getLogger("skyvern_desktop.test").warning("nowhere to go")
        assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
    finally:
        remove_logging()

    class FullDisk(io.StringIO):
        def write(self, _text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    notices = Notices()
    log_file = tmp_path / "ok" / "app.log"
    try:
        setup_logging(log_file, notices=notices)
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_skyvern_desktop", 0))
        assert isinstance(handler, logging.FileHandler)
        full = [True]
        reopen = handler._open
        handler._open = lambda: FullDisk() if full[0] else reopen()  # type: ignore[method-assign,return-value,assignment]
        handler.setStream(FullDisk()).close()  # type: ignore[arg-type,union-attr]
        log = logging.getLogger("skyvern_desktop.test")
        for _ in range(5):
            log.warning("lost while the disk is full")
        assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
        full[0] = False
        log.warning("written again")
        assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT, Trouble.KEPT_AGAIN]
    finally:
        remove_logging()
    assert "written again" in log_file.read_text()


def test_notices_are_said_once_each_and_to_late_listeners() -> None:
    notices = Notices()
    path = Path("/x/runs.sqlite3")
    notices.add(FileNotice(Trouble.KEPT_AGAIN, "w", path))  # never said: nothing was wrong
    notices.add(FileNotice(Trouble.NOT_KEPT, "w", path, None, "full"))
    notices.add(FileNotice(Trouble.NOT_KEPT, "w", path, None, "full"))
    heard: list[Trouble] = []
    notices.listen(lambda n: heard.append(n.trouble))
    notices.add(FileNotice(Trouble.KEPT_AGAIN, "w", path))
    notices.add(FileNotice(Trouble.KEPT_AGAIN, "w", path))
    assert heard == [Trouble.NOT_KEPT, Trouble.KEPT_AGAIN]


def _damage_page(path: Path, page: int) -> None:
    data = bytearray(path.read_bytes())
    data[4096 * (page - 1) : 4096 * page] = b"\xab" * 4096
    path.write_bytes(bytes(data))


def _table_of(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE t (v TEXT)")
        raw.executemany("INSERT INTO t VALUES (?)", [("x" * 200,) for _ in range(rows)])
    raw.close()


@pytest.mark.parametrize("page", [3, 20, 60], ids=["first-leaf", "middle", "near-the-end"])
def test_rows_past_a_damaged_page_are_rescued(tmp_path: Path, page: int) -> None:
    """Reading starts again past the damaged page, wherever it is (a table of 2,000 rows
    over ~110 pages; one page of ~18 rows is lost, and the interior pages hold)."""
    path = tmp_path / "t.sqlite3"
    _table_of(path, 2000)
    _damage_page(path, page)
    db = LocalDb(path, "CREATE TABLE IF NOT EXISTS t (v TEXT);", what="t")
    count = db.fetch_one("SELECT COUNT(*) FROM t")[0]  # the damage shows while counting
    assert [n.trouble for n in db.notices.said] == [Trouble.SET_ASIDE]
    assert 1900 <= count < 2000, count
    db.close()


@pytest.fixture
def read_only_tmpfs(small_tmpfs: Path) -> Iterator[Path]:
    yield small_tmpfs
    subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=False)


def test_a_read_only_folder_at_start_shows_the_files_rows_and_merges_back(
    read_only_tmpfs: Path,
) -> None:
    """A WAL file with no -shm in a folder that became read-only cannot be opened
    read-only: its rows are still read (from a copy), and when the folder can be written
    again the memory rows are merged into the file, never written over it."""
    path = read_only_tmpfs / "runs.sqlite3"
    registry = RunRegistry(path)
    _fill_registry(registry, 30)
    registry.close()
    for extra in ("-shm",):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_tmpfs)], check=True)
    notices = Notices()
    again = RunRegistry(path, notices)
    assert again.db.in_memory
    assert len(again.open_panes(URL)) == 30  # what the file had is shown
    again.record(URL, "wr_new", pane_open=True)
    subprocess.run(["mount", "-o", "remount,rw", str(read_only_tmpfs)], check=True)
    assert again.db.try_disk(force=True)
    again.close()
    assert not list(read_only_tmpfs.glob("*.damaged-*"))  # nothing set aside
    assert len(RunRegistry(path).open_panes(URL)) == 31
