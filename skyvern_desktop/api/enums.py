"""Skyvern's enums, verbatim (API doc §2b), as plain ``StrEnum``s.

Standard library only: screens build their filters from these while the window first
shows, before pydantic and the models are loaded (``api.models.enums`` adds the tolerant
field types that accept unknown text too).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    TIMED_OUT = "timed_out"
    FAILED = "failed"
    TERMINATED = "terminated"
    COMPLETED = "completed"
    CANCELED = "canceled"


TERMINAL_STATUSES: frozenset[str] = frozenset(
    {
        RunStatus.COMPLETED,
        RunStatus.FAILED,
        RunStatus.TERMINATED,
        RunStatus.CANCELED,
        RunStatus.TIMED_OUT,
    }
)


def is_terminal(status: str) -> bool:
    """True when a run in ``status`` will not change any more."""
    return status in TERMINAL_STATUSES


class RunType(StrEnum):
    TASK_V1 = "task_v1"
    TASK_V2 = "task_v2"
    TASK_V3 = "task_v3"
    WORKFLOW_RUN = "workflow_run"
    OPENAI_CUA = "openai_cua"
    ANTHROPIC_CUA = "anthropic_cua"
    UI_TARS = "ui_tars"
    YUTORI_NAVIGATOR = "yutori_navigator"


class WorkflowParameterType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    JSON = "json"
    FILE_URL = "file_url"
    CREDENTIAL_ID = "credential_id"


class ParameterType(StrEnum):
    WORKFLOW = "workflow"
    CONTEXT = "context"
    AWS_SECRET = "aws_secret"
    BITWARDEN_LOGIN_CREDENTIAL = "bitwarden_login_credential"
    BITWARDEN_SENSITIVE_INFORMATION = "bitwarden_sensitive_information"
    BITWARDEN_CREDIT_CARD_DATA = "bitwarden_credit_card_data"
    ONEPASSWORD = "onepassword"
    AZURE_VAULT_CREDENTIAL = "azure_vault_credential"
    OUTPUT = "output"
    CREDENTIAL = "credential"
    AZURE_SECRET = "azure_secret"


class ProxyLocation(StrEnum):
    RESIDENTIAL = "RESIDENTIAL"
    US_CA = "US-CA"
    US_NY = "US-NY"
    US_TX = "US-TX"
    US_FL = "US-FL"
    US_WA = "US-WA"
    RESIDENTIAL_ES = "RESIDENTIAL_ES"
    RESIDENTIAL_IE = "RESIDENTIAL_IE"
    RESIDENTIAL_GB = "RESIDENTIAL_GB"
    RESIDENTIAL_IN = "RESIDENTIAL_IN"
    RESIDENTIAL_JP = "RESIDENTIAL_JP"
    RESIDENTIAL_FR = "RESIDENTIAL_FR"
    RESIDENTIAL_DE = "RESIDENTIAL_DE"
    RESIDENTIAL_NZ = "RESIDENTIAL_NZ"
    RESIDENTIAL_ZA = "RESIDENTIAL_ZA"
    RESIDENTIAL_AR = "RESIDENTIAL_AR"
    RESIDENTIAL_AU = "RESIDENTIAL_AU"
    RESIDENTIAL_BR = "RESIDENTIAL_BR"
    RESIDENTIAL_TR = "RESIDENTIAL_TR"
    RESIDENTIAL_CA = "RESIDENTIAL_CA"
    RESIDENTIAL_MX = "RESIDENTIAL_MX"
    RESIDENTIAL_IT = "RESIDENTIAL_IT"
    RESIDENTIAL_NL = "RESIDENTIAL_NL"
    RESIDENTIAL_PH = "RESIDENTIAL_PH"
    RESIDENTIAL_KR = "RESIDENTIAL_KR"
    RESIDENTIAL_SA = "RESIDENTIAL_SA"
    RESIDENTIAL_ISP = "RESIDENTIAL_ISP"
    NONE = "NONE"


GEO_TARGET_COUNTRIES: frozenset[str] = frozenset(
    {
        "US",
        "AR",
        "AU",
        "BR",
        "CA",
        "DE",
        "ES",
        "FR",
        "GB",
        "IE",
        "IN",
        "IT",
        "JP",
        "MX",
        "NL",
        "NZ",
        "PH",
        "KR",
        "SA",
        "TR",
        "ZA",
    }
)


class WorkflowStatus(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"
    AUTO_GENERATED = "auto_generated"
    IMPORTING = "importing"
    IMPORT_FAILED = "import_failed"


class TriggerType(StrEnum):
    MANUAL = "manual"
    MCP = "mcp"
    API = "api"
    SCHEDULED = "scheduled"
    WEBHOOK = "webhook"


class ScheduleStatusFilter(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class ArtifactType(StrEnum):
    RECORDING = "recording"
    AUDIO = "audio"
    SESSION_REPLAY = "session_replay"
    EVAL_SCORE = "eval_score"
    EVAL_TRAJECTORY = "eval_trajectory"
    EVAL_RUBRICS = "eval_rubrics"
    BROWSER_CONSOLE_LOG = "browser_console_log"
    BROWSER_SESSION_ACTION_LOG = "browser_session_action_log"
    SKYVERN_LOG = "skyvern_log"
    SKYVERN_LOG_RAW = "skyvern_log_raw"
    SCREENSHOT = "screenshot"
    SCREENSHOT_LLM = "screenshot_llm"
    SCREENSHOT_ACTION = "screenshot_action"
    SCREENSHOT_FINAL = "screenshot_final"
    SCREENSHOT_PROXY = "screenshot_proxy"
    LLM_PROMPT = "llm_prompt"
    LLM_REQUEST = "llm_request"
    LLM_RESPONSE = "llm_response"
    LLM_RESPONSE_PARSED = "llm_response_parsed"
    LLM_RESPONSE_RENDERED = "llm_response_rendered"
    VISIBLE_ELEMENTS_ID_CSS_MAP = "visible_elements_id_css_map"
    VISIBLE_ELEMENTS_ID_FRAME_MAP = "visible_elements_id_frame_map"
    VISIBLE_ELEMENTS_TREE = "visible_elements_tree"
    VISIBLE_ELEMENTS_TREE_TRIMMED = "visible_elements_tree_trimmed"
    VISIBLE_ELEMENTS_TREE_IN_PROMPT = "visible_elements_tree_in_prompt"
    HASHED_HREF_MAP = "hashed_href_map"
    VISIBLE_ELEMENTS_ID_XPATH_MAP = "visible_elements_id_xpath_map"
    HTML = "html"
    HTML_SCRAPE = "html_scrape"
    HTML_ACTION = "html_action"
    TRACE = "trace"
    HAR = "har"
    SCRIPT_FILE = "script_file"
    PDF = "pdf"
    STEP_ARCHIVE = "step_archive"
    TASK_ARCHIVE = "task_archive"
    DOWNLOAD = "download"


SCREENSHOT_ARTIFACT_TYPES: frozenset[str] = frozenset(
    t for t in ArtifactType if t.startswith("screenshot")
)


# Field types that keep unknown values as text.
