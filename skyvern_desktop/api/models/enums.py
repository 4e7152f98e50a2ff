"""The enums as model fields: each accepts its known values and unknown text too."""

from __future__ import annotations

from typing import Annotated

from ..enums import GEO_TARGET_COUNTRIES as GEO_TARGET_COUNTRIES
from ..enums import SCREENSHOT_ARTIFACT_TYPES as SCREENSHOT_ARTIFACT_TYPES
from ..enums import TERMINAL_STATUSES as TERMINAL_STATUSES
from ..enums import ArtifactType as ArtifactType
from ..enums import ParameterType as ParameterType
from ..enums import ProxyLocation as ProxyLocation
from ..enums import RunStatus as RunStatus
from ..enums import RunType as RunType
from ..enums import ScheduleStatusFilter as ScheduleStatusFilter
from ..enums import TriggerType as TriggerType
from ..enums import WorkflowParameterType as WorkflowParameterType
from ..enums import WorkflowStatus as WorkflowStatus
from ..enums import is_terminal as is_terminal
from ._base import OPEN_ENUM

RunStatusField = Annotated[RunStatus | str, OPEN_ENUM]
RunTypeField = Annotated[RunType | str, OPEN_ENUM]
WorkflowParameterTypeField = Annotated[WorkflowParameterType | str, OPEN_ENUM]
ParameterTypeField = Annotated[ParameterType | str, OPEN_ENUM]
WorkflowStatusField = Annotated[WorkflowStatus | str, OPEN_ENUM]
TriggerTypeField = Annotated[TriggerType | str, OPEN_ENUM]
ArtifactTypeField = Annotated[ArtifactType | str, OPEN_ENUM]
ProxyLocationField = Annotated[ProxyLocation | str, OPEN_ENUM]
