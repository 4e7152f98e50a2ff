"""Test doubles shared by the test suites: a fault-injecting Skyvern server and fake time."""

from tests.fakes.server import (
    FakeResponse,
    FakeServer,
    MultipartPart,
    RecordedRequest,
    free_closed_port,
)
from tests.fakes.timing import FakeClock, RecordingSleep

__all__ = [
    "FakeClock",
    "FakeResponse",
    "FakeServer",
    "MultipartPart",
    "RecordedRequest",
    "RecordingSleep",
    "free_closed_port",
]
