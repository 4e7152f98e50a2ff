"""Building blocks that make every model tolerant of a newer server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    """Unknown fields are ignored, so a newer server never breaks parsing."""

    # defer_build: a model's validator is built when first used, not at import, which
    # keeps models the app has not needed yet off the start-up path.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False, defer_build=True)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timestamp; Skyvern sends most of them naive, and naive means UTC."""


OPEN_ENUM = Field(union_mode="left_to_right")
"""Use as ``Annotated[SomeEnum | str, OPEN_ENUM]``: a known value becomes the member,
an unknown one stays text, so a newer server never crashes the app. ``StrEnum``
members equal their text, so ``status == RunStatus.COMPLETED`` works either way."""


JsonObject = dict[str, Any]
