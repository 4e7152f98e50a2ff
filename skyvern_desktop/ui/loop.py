"""The one event loop: qasync's Qt-driven asyncio loop, with plain Python worker threads.

``asyncio.to_thread`` (keyring calls, file reads, large JSON) runs on a standard
``ThreadPoolExecutor`` rather than qasync's default QThread-based executor: the keyring's
D-Bus calls crashed now and then inside QThreads.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import qasync
from PySide6.QtWidgets import QApplication

from .import_scan import make_cheap


def new_event_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    make_cheap()  # before the screens, httpx and pydantic load: see import_scan.py
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
    loop.set_default_executor(ThreadPoolExecutor(max_workers=4, thread_name_prefix="worker"))
    return loop
