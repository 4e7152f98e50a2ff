"""Runs: the run request, run responses, run lists, timeline and artifacts (API doc §1.1-1.8)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from ._base import ApiModel, JsonObject, UtcDatetime
from .enums import (
    GEO_TARGET_COUNTRIES,
    ArtifactTypeField,
    ProxyLocation,
    RunStatusField,
    RunTypeField,
    TriggerTypeField,
    is_terminal,
)


def ranked_categories(items: list[FailureCategory] | None) -> list[str]:
    """The names of the server's failure categories, the most confident first."""
    found = sorted(items or [], key=lambda c: -(c.confidence_float or 0))
    return [c.category for c in found if c.category]


class GeoTarget(ApiModel):
    """A proxy location by country (and optionally region and city)."""

    country: Annotated[str, StringConstraints(min_length=2, max_length=2)]
    subdivision: Annotated[str, StringConstraints(max_length=10)] | None = None
    city: Annotated[str, StringConstraints(max_length=100)] | None = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        value = value.upper()
        if value not in GEO_TARGET_COUNTRIES:
            raise ValueError(
                f"Proxies are not offered in {value!r}. "
                f"Choose one of: {', '.join(sorted(GEO_TARGET_COUNTRIES))}."
            )
        return value


class WorkflowRunRequest(ApiModel):
    """The body of "run a workflow": every option the Run from Code page lists, and more.

    ``title`` is accepted and sent, but the server currently ignores it (API doc §6).
    """

    workflow_id: str
    parameters: JsonObject | None = None
    title: str | None = None
    proxy_location: ProxyLocation | GeoTarget | None = None
    webhook_url: str | None = None
    browser_session_id: str | None = None
    browser_profile_id: str | None = None
    max_elapsed_time_minutes: Annotated[int, Field(ge=1, le=480)] | None = None
    extra_http_headers: dict[str, str] | None = None
    totp_url: str | None = None
    totp_identifier: str | None = None
    max_screenshot_scrolls: Annotated[int, Field(ge=0, le=1000)] | None = None
    run_metadata: dict[str, str] | None = None

    def to_body(self) -> JsonObject:
        return self.model_dump(mode="json", exclude_none=True)


class FileInfo(ApiModel):
    url: str
    checksum: str | None = None
    filename: str | None = None
    file_size: int | None = None
    modified_at: UtcDatetime | None = None
    artifact_id: str | None = None


class RunResponse(ApiModel):
    """``GET /v1/runs/{id}``: a workflow run, or a task run (same base, other ``run_type``)."""

    run_id: str
    run_type: RunTypeField | None = None
    status: RunStatusField
    output: Any = None
    downloaded_files: list[FileInfo] | None = None
    recording_url: str | None = None
    recording_archived: bool = False
    screenshot_urls: list[str] | None = None
    failure_reason: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime
    queued_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    app_url: str | None = None
    browser_session_id: str | None = None
    browser_profile_id: str | None = None
    errors: list[Any] | None = None
    step_count: int | None = None
    run_request: JsonObject | None = None

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def workflow_permanent_id(self) -> str | None:
        """The workflow this run belongs to, when the server says (``run_request.workflow_id``)."""
        return self._requested("workflow_id") or self._requested("agent_id")

    @property
    def webhook_url(self) -> str | None:
        """The webhook the run was started with (``run_request.webhook_url``), if any."""
        return self._requested("webhook_url")

    @property
    def totp_identifier(self) -> str | None:
        """Where the run looks for verification codes (``run_request.totp_identifier``)."""
        return self._requested("totp_identifier")

    def _requested(self, name: str) -> str | None:
        value = self.run_request.get(name) if self.run_request else None
        return value if isinstance(value, str) and value else None


class WorkflowRun(ApiModel):
    """An item of the workflow run lists. It has no output: use ``get_run`` for that."""

    workflow_run_id: str
    workflow_id: str | None = None
    workflow_permanent_id: str
    organization_id: str | None = None
    status: RunStatusField
    workflow_title: str | None = None
    failure_reason: str | None = None
    failure_category: list[FailureCategory] | None = None
    parent_workflow_run_id: str | None = None
    retried_from_workflow_run_id: str | None = None
    trigger_type: TriggerTypeField | None = None
    workflow_schedule_id: str | None = None
    browser_session_id: str | None = None
    browser_profile_id: str | None = None
    proxy_location: Any = None
    webhook_callback_url: str | None = None
    max_elapsed_time_minutes: int | None = None
    queued_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def categories(self) -> list[str]:
        """The server's failure categories, the most confident first."""
        return ranked_categories(self.failure_category)


class FailureCategory(ApiModel):
    """One of the server's guesses at why a run failed (``failure_category`` items)."""

    category: str = ""  # the server reads it with .get(): an item may lack it
    confidence_float: float | None = None
    reasoning: str | None = None
    evidence_source: str | None = None


class WorkflowRunDetail(ApiModel):
    """``GET /api/v1/workflows/{wpid}/runs/{id}``: what ``/v1/runs/{id}`` leaves out, the
    inputs the run got (``parameters``, by key) and the failure categories the server
    computed. Only the fields the app reads are declared."""

    workflow_id: str
    workflow_run_id: str
    status: RunStatusField
    failure_reason: str | None = None
    failure_category: list[FailureCategory] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    total_steps: int | None = None
    errors: list[Any] | None = None
    workflow_title: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime

    @property
    def categories(self) -> list[str]:
        """The category names, the most confident first."""
        return ranked_categories(self.failure_category)


class TimelineAction(ApiModel):
    """One thing the AI did inside a block: typed, clicked, finished, gave up, and so on.

    ``text`` of a typed credential is the credential's placeholder: the server stores
    nothing more. ``screenshot_artifact_id`` is the picture taken after the action."""

    action_type: str
    status: str | None = None
    action_id: str | None = None
    step_id: str | None = None
    step_order: int | None = None
    action_order: int | None = None
    confidence_float: float | None = None
    description: str | None = None
    reasoning: str | None = None
    intention: str | None = None
    response: str | None = None
    element_id: str | None = None
    skyvern_element_data: JsonObject | None = None
    screenshot_artifact_id: str | None = None
    text: str | None = None
    option: JsonObject | None = None
    is_checked: bool | None = None
    file_url: str | None = None
    output: Any = None
    errors: list[Any] | None = None
    created_at: UtcDatetime | None = None

    @field_validator("element_id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class TimelineBlock(ApiModel):
    workflow_run_block_id: str | None = None
    label: str | None = None
    block_type: str | None = None
    status: RunStatusField | None = None
    output: Any = None
    failure_reason: str | None = None
    description: str | None = None
    url: str | None = None
    duration: float | None = None
    created_at: UtcDatetime | None = None
    modified_at: UtcDatetime | None = None
    # A human_interaction block: what the person is asked, and the two answers' labels.
    instructions: str | None = None
    positive_descriptor: str | None = None
    negative_descriptor: str | None = None
    # An AI block: what it was asked, what it did, and the server's codes for a failure.
    navigation_goal: str | None = None
    data_extraction_goal: str | None = None
    finish_reason: str | None = None
    error_codes: list[str] = Field(default_factory=list)
    task_id: str | None = None
    actions: list[TimelineAction] = Field(default_factory=list)

    @field_validator("error_codes", "actions", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class TimelineItem(ApiModel):
    """One entry of a run's timeline: a block (with children) or an agent thought."""

    type: str
    block: TimelineBlock | None = None
    thought: JsonObject | None = None
    children: list[TimelineItem] = Field(default_factory=list)
    created_at: UtcDatetime | None = None
    modified_at: UtcDatetime | None = None


class Artifact(ApiModel):
    artifact_id: str
    artifact_type: ArtifactTypeField
    uri: str
    signed_url: str | None = None
    archived: bool = False
    organization_id: str | None = None
    checksum: str | None = None
    file_size: int | None = None
    task_id: str | None = None
    step_id: str | None = None
    workflow_run_id: str | None = None
    workflow_run_block_id: str | None = None
    run_id: str | None = None
    created_at: UtcDatetime
    modified_at: UtcDatetime | None = None

    @property
    def is_screenshot(self) -> bool:
        return str(self.artifact_type).startswith("screenshot")
