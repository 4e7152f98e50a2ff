"""The app's log file: written, scrubbed of keys, closed cleanly, never duplicated."""

from __future__ import annotations

import gc
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from skyvern_desktop.api.secrets import register_secret
from skyvern_desktop.core.logs import remove_logging, setup_logging

SECRET = "sk-log-secret-7c1e4b90"
log = logging.getLogger("skyvern_desktop.tests.core.logs")


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_skyvern_desktop", False)]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """setup_logging changes the root logger: put everything back after each test."""
    loggers = [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore")]
    levels = [logger.level for logger in loggers]
    try:
        yield
    finally:
        remove_logging()
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        assert _ours() == []


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "skyvern-desktop.log"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_setup_logging_writes_to_the_file(log_file: Path) -> None:
    setup_logging(log_file)
    assert log_file.parent.is_dir()
    log.info("hello %s", "world")
    log.debug("not at INFO")
    lines = _text(log_file).splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("INFO    skyvern_desktop.tests.core.logs: hello world")


def test_the_level_is_honoured(log_file: Path) -> None:
    setup_logging(log_file, level=logging.DEBUG)
    log.debug("now at DEBUG")
    assert "now at DEBUG" in _text(log_file)


def test_httpx_request_lines_are_kept_out(log_file: Path) -> None:
    setup_logging(log_file, level=logging.DEBUG)
    logging.getLogger("httpx").info('HTTP Request: GET http://x/v1/version "HTTP/1.1 200 OK"')
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("httpx").warning("httpx warning")
    text = _text(log_file)
    assert "HTTP Request" not in text
    assert "connect_tcp" not in text
    assert "httpx warning" in text


def test_a_registered_secret_in_the_arguments_is_redacted(log_file: Path) -> None:
    register_secret(SECRET)
    setup_logging(log_file)
    log.info("key is %s", SECRET)
    log.warning("headers %r", {"x-api-key": SECRET})
    log.error(f"inline {SECRET}")
    text = _text(log_file)
    assert SECRET not in text
    assert "key is ***" in text
    assert "headers {'x-api-key': '***'}" in text
    assert "inline ***" in text


def test_a_registered_secret_in_exception_text_is_redacted(log_file: Path) -> None:
    register_secret(SECRET)
    setup_logging(log_file)
    try:
        raise RuntimeError(f"the server rejected {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = _text(log_file)
    assert SECRET not in text
    assert "request failed" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: the server rejected ***" in text


def test_a_registered_secret_in_a_chained_exception_is_redacted(log_file: Path) -> None:
    register_secret(SECRET)
    setup_logging(log_file)
    try:
        try:
            raise KeyError(SECRET)
        except KeyError as inner:
            raise ValueError("lookup failed") from inner
    except ValueError as exc:
        log.error("boom", exc_info=exc)
    text = _text(log_file)
    assert SECRET not in text
    assert "KeyError: '***'" in text
    assert "ValueError: lookup failed" in text


def test_stderr_gets_the_same_scrubbed_lines(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret(SECRET)
    setup_logging(log_file, stderr=True)
    log.warning("to both %s", SECRET)
    err = capsys.readouterr().err
    assert "to both ***" in err
    assert SECRET not in err
    assert "to both ***" in _text(log_file)
    assert len(_ours()) == 2


def test_remove_logging_closes_the_handlers(log_file: Path) -> None:
    setup_logging(log_file)
    handlers = _ours()
    assert len(handlers) == 1
    file_handler = handlers[0]
    assert isinstance(file_handler, logging.FileHandler)
    log.info("before")
    remove_logging()
    assert _ours() == []
    assert file_handler.stream is None
    log.info("after")
    assert "after" not in _text(log_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del handlers, file_handler
        gc.collect()
    unclosed = [
        w
        for w in caught
        if issubclass(w.category, ResourceWarning) and log_file.name in str(w.message)
    ]
    assert unclosed == []


def test_remove_logging_leaves_other_handlers_alone(log_file: Path) -> None:
    other = logging.NullHandler()
    root = logging.getLogger()
    root.addHandler(other)
    try:
        setup_logging(log_file)
        remove_logging()
        assert other in root.handlers
    finally:
        root.removeHandler(other)


def test_setting_up_twice_does_not_duplicate_lines(log_file: Path) -> None:
    setup_logging(log_file)
    setup_logging(log_file)
    assert len(_ours()) == 1
    log.info("only once")
    assert _text(log_file).count("only once") == 1


def test_setting_up_again_moves_to_the_new_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "app.log", tmp_path / "b" / "app.log"
    setup_logging(first)
    log.info("to the first")
    setup_logging(second)
    log.info("to the second")
    assert "to the second" not in _text(first)
    assert "to the first" not in _text(second)
    assert "to the second" in _text(second)
    assert len(_ours()) == 1
