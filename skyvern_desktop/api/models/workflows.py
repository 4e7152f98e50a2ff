"""Workflows and their parameters (API doc §2.2, §2.3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import ApiModel, JsonObject, UtcDatetime
from .enums import (
    ParameterType,
    ParameterTypeField,
    WorkflowParameterType,
    WorkflowParameterTypeField,
    WorkflowStatusField,
)


class WorkflowParameter(ApiModel):
    """One entry of ``workflow_definition.parameters``.

    Skyvern discriminates eleven kinds on ``parameter_type``; the app only needs
    the common fields, plus what ``workflow`` (input) parameters carry. Only
    ``parameter_type == "workflow"`` entries are inputs a person fills in.
    """

    parameter_type: ParameterTypeField
    key: str
    description: str | None = None
    workflow_parameter_id: str | None = None
    workflow_parameter_type: WorkflowParameterTypeField | None = None
    default_value: Any = None
    credential_id: str | None = None
    created_at: UtcDatetime | None = None
    modified_at: UtcDatetime | None = None
    deleted_at: UtcDatetime | None = None

    @property
    def is_input(self) -> bool:
        return self.parameter_type == ParameterType.WORKFLOW

    @property
    def is_required(self) -> bool:
        """Required = no default, except an optional ("at-will") credential_id input."""
        if not self.is_input:
            return False
        if self.workflow_parameter_type == WorkflowParameterType.CREDENTIAL_ID:
            return False
        return self.default_value is None


class WorkflowDefinition(ApiModel):
    version: int | None = None
    parameters: list[WorkflowParameter] = Field(default_factory=list)
    blocks: list[JsonObject] = Field(default_factory=list)
    finally_block_label: str | None = None


class Workflow(ApiModel):
    workflow_id: str
    workflow_permanent_id: str
    organization_id: str | None = None
    title: str
    version: int | None = None
    description: str | None = None
    is_saved_task: bool = False
    is_template: bool = False
    status: WorkflowStatusField | None = None
    workflow_definition: WorkflowDefinition = Field(default_factory=WorkflowDefinition)
    proxy_location: Any = None
    webhook_callback_url: str | None = None
    browser_profile_id: str | None = None
    max_elapsed_time_minutes: int | None = None
    extra_http_headers: dict[str, str] | None = None
    folder_id: str | None = None
    created_at: UtcDatetime | None = None
    modified_at: UtcDatetime | None = None

    @property
    def inputs(self) -> list[WorkflowParameter]:
        """The parameters a run or a schedule supplies values for, in definition order."""
        return [p for p in self.workflow_definition.parameters if p.is_input]
