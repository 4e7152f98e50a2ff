"""A scripted, OpenAI-compatible chat-completions server on loopback for the real-server tier.

A test fixture only: it is never shipped, and it never stands in for the Skyvern server. It
stands in for the AI model *behind* a real Skyvern server (see skyvern-api.md §9), so that
``navigation``, ``login``, ``extraction`` and ``task_v2`` blocks run for real offline: the
server's Chromium really fills and submits forms, and the server stores real actions,
screenshots, extracted output and failure categories.

It answers ``POST /v1/chat/completions`` from the prompt alone and keeps no state between
requests (Skyvern asks in parallel and cancels). It recognises each prompt by a sentence of
its template (``skyvern/forge/prompts/skyvern/*.j2`` in the installed server) and follows
simple rules:

- ``extract-action``: the page says "Invalid username or password" → ``TERMINATE`` with that
  reason (the server files it as ``AUTH_FAILURE``); the page has a password field and the goal
  asks to sign in or log in → ``INPUT_TEXT`` the username and the password (the credential
  placeholders a login block shows in the user details, or the values named in the goal),
  then ``CLICK`` the submit button; otherwise → ``COMPLETE``.
- ``check-user-goal`` (and its ``-with-termination`` form): achieved unless the page still
  shows a sign-in form or its error.
- ``extract-information``: an object fitting the schema in the prompt, its values read from
  the page (an element whose ``data-ui``/``name``/``aria-label`` names the field, or for a
  price field the first amount of money on the page).
- ``task_v2``: metadata from the goal's URL, a plan of one ``extract`` task, achieved once the
  task history holds a completed extract; the summary repeats the extracted data.
- Summaries, titles and the input-field context get short fixed answers.

Any prompt containing ``MODEL-OUTAGE`` is answered HTTP 500 (the run fails with
``LLM_ERROR``). An unrecognised prompt is answered ``{}`` and its first line kept in
:attr:`ScriptedModel.unknown`; :attr:`ScriptedModel.kinds` counts every kind asked.
Known to be unknown: a ``text_prompt`` block sends its own prompt as it is, so it gets ``{}``
and the block completes with an empty output (put ``MODEL-OUTAGE`` in a prompt that should
fail instead).
"""

from __future__ import annotations

import ast
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

OUTAGE_MARKER: Final = "MODEL-OUTAGE"
MODEL_NAME: Final = "scripted-test-model"

_VOID_TAGS: Final = frozenset({"input", "img", "br", "hr", "meta", "link", "area", "source"})
_MONEY: Final = re.compile(r"[$€£]\s?\d[\d,]*(?:\.\d+)?")
_SIGN_IN_WORDS: Final = re.compile(r"\b(sign[ -]?in|log[ -]?in)\b", re.IGNORECASE)
_SIGN_IN_ERROR: Final = re.compile(r"invalid username or password", re.IGNORECASE)


# ---------------------------------------------------------------- reading the page


@dataclass
class Element:
    """One element of the page as Skyvern shows it; those it lets act on carry an ``id``
    of its own (``<input name="username" type="text" id="AAAD">``)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    label: str = ""  # the text of the nearest <label> before it

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    def describes(self, *words: str) -> bool:
        """Whether its name, label or visible text mentions any of ``words``."""
        keys = ("name", "aria-label", "placeholder", "title", "data-ui", "type", "value")
        hay = " ".join([self.text, self.label, *(self.attrs.get(k, "") for k in keys)])
        return any(w in hay.lower() for w in words)


class _ElementReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self._label = ""
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, label=self._label)
        self.elements.append(element)
        if tag == "label":
            self._label = ""
        if tag not in _VOID_TAGS:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID_TAGS and self._open:
            closed = self._open.pop()
            if closed.tag == "label":
                self._label = closed.text

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element in self._open:  # an element's text includes its children's
            element.text = f"{element.text} {data.strip()}".strip()


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    text: str = ""

    @classmethod
    def parse(cls, markup: str) -> Page:
        reader = _ElementReader()
        reader.feed(markup)
        reader.close()
        return cls(reader.elements, " ".join(" ".join(reader.text).split()) or markup)

    @property
    def actionable(self) -> list[Element]:
        return [e for e in self.elements if e.id]

    def inputs(self, kind: str) -> list[Element]:
        return [
            e for e in self.actionable if e.tag == "input" and e.attrs.get("type", "text") == kind
        ]

    @property
    def password_field(self) -> Element | None:
        found = self.inputs("password")
        return found[0] if found else None

    @property
    def username_field(self) -> Element | None:
        texts = [*self.inputs("text"), *self.inputs("email")]
        named = [e for e in texts if e.describes("user", "email", "login")]
        return next(iter(named or texts), None)

    @property
    def submit_button(self) -> Element | None:
        buttons = [
            e
            for e in self.actionable
            if e.tag == "button" or (e.tag == "input" and e.attrs.get("type") == "submit")
        ]
        named = [e for e in buttons if e.describes("sign in", "log in", "login", "submit")]
        return next(iter(named or buttons), None)

    @property
    def shows_sign_in_error(self) -> bool:
        return bool(_SIGN_IN_ERROR.search(self.text))

    @property
    def shows_sign_in_form(self) -> bool:
        return self.password_field is not None

    def value_for(self, key: str) -> str | None:
        """The page's value for a schema field called ``key``."""
        k = key.lower()
        for e in self.elements:
            if e.text and k in {e.attrs.get(a, "").lower() for a in ("data-ui", "name")}:
                return e.text
        if "price" in k or "cost" in k or "amount" in k:
            money = _MONEY.search(self.text)
            return money.group(0) if money else None
        if k in {"name", "title", "product", "product_name", "heading"}:
            heading = next((e for e in self.elements if e.tag in {"h1", "h2"} and e.text), None)
            return heading.text if heading else None
        return None


# ---------------------------------------------------------------- reading the prompt


def _between(text: str, start: str, ends: tuple[str, ...], *, last: bool = False) -> str | None:
    """The text after ``start`` (its first or last occurrence) up to the nearest of ``ends``."""
    at = text.rfind(start) if last else text.find(start)
    if at < 0:
        return None
    rest = text[at + len(start) :]
    cut = min((i for i in (rest.find(e) for e in ends) if i >= 0), default=len(rest))
    return rest[:cut].strip().strip("`").strip()


@dataclass
class Prompt:
    text: str

    def section(self, start: str, *ends: str, last: bool = False) -> str:
        return _between(self.text, start, ends, last=last) or ""

    @property
    def goal(self) -> str:
        for start, end in (
            ("User goal:", "User details:"),
            ("User Goal:", "User Details:"),
            ("User goal:", "Task history"),
            ("User goal:", "Starting url provided by user:"),
            ("User goal:", "Current browser url:"),
        ):
            found = self.section(start, end)
            if found:
                return found
        return ""

    @property
    def user_details(self) -> str:
        return self.section("User details:", "BEGIN_UNTRUSTED", "Current datetime") or (
            self.section("User Details:", "Elements on the page:", "Action History:")
        )

    def page(self) -> Page:
        """The page's elements: the last "Clickable elements" / "Elements on the page" list."""
        markup = (
            self.section(
                "Clickable elements",
                "Action history from previous steps:",
                "Text extracted from the webpage:",
                "Task history (the earliest",
                "END_UNTRUSTED_WEB_PAGE_DATA",
                last=True,
            )
            or self.section("Elements on the page:", "Current datetime", last=True)
            or self.section("Page elements:", "Page URL at the moment", "END_UNTRUSTED", last=True)
            or self.section("HTML elements:", "Current datetime", last=True)
        )
        page = Page.parse(markup.removeprefix("from the page:").removeprefix(":"))
        extracted = self.section("Text extracted from the webpage:", "END_UNTRUSTED_WEB_PAGE_DATA")
        if extracted:
            page.text = f"{page.text} {extracted}"
        return page

    def json_after(self, start: str, *ends: str) -> Any:
        raw = self.section(start, *ends)
        try:
            return json.loads(raw)
        except ValueError:
            return None


# ---------------------------------------------------------------- answers


def _credentials(prompt: Prompt) -> tuple[str, str] | None:
    """The username and password to type: a login block's placeholders from the user
    details, else ``username X`` / ``password Y`` written in the goal."""
    details = prompt.user_details
    user = re.search(r"""["']username["']\s*:\s*["']([^"']+)["']""", details)
    password = re.search(r"""["']password["']\s*:\s*["']([^"']+)["']""", details)
    if user and password:
        return user.group(1), password.group(1)
    goal = prompt.goal
    user = re.search(r"""username\s+["']?([^\s"',]+)""", goal, re.IGNORECASE)
    password = re.search(r"""password\s+["']?([^\s"',]+)""", goal, re.IGNORECASE)
    if user and password:
        return user.group(1), password.group(1).rstrip(".")
    return None


def _action(kind: str, reasoning: str, **extra: Any) -> dict[str, Any]:
    return {
        "action_type": kind,
        "id": None,
        "reasoning": reasoning,
        "confidence_float": 0.95,
        **extra,
    }


def _extract_action(prompt: Prompt) -> dict[str, Any]:
    page, goal = prompt.page(), prompt.goal
    wants_sign_in = bool(_SIGN_IN_WORDS.search(goal))
    if page.shows_sign_in_error:
        reason = "Invalid username or password"
        return {
            "user_goal_stage": "The site rejected the sign-in: Invalid username or password.",
            "user_goal_achieved": False,
            "action_plan": "TERMINATE: the credentials were refused.",
            "actions": [_action("TERMINATE", reason, errors=[])],
        }
    user_field, pw_field, button = page.username_field, page.password_field, page.submit_button
    credentials = _credentials(prompt)
    if wants_sign_in and user_field and pw_field and button and credentials:
        username, password = credentials
        actions = [
            _action(
                "INPUT_TEXT",
                "Username field of the sign-in form needs the account's username.",
                id=user_field.id,
                text=username,
                user_detail_query="What username should be used to sign in?",
                user_detail_answer=username,
            ),
            _action(
                "INPUT_TEXT",
                "Password field of the sign-in form needs the account's password.",
                id=pw_field.id,
                text=password,
                user_detail_query="What password should be used to sign in?",
                user_detail_answer=password,
            ),
            _action(
                "CLICK",
                "Submit button sends the filled sign-in form.",
                id=button.id,
                click_context={"single_option_click": True},
                user_detail_query="Which button submits the sign-in form?",
                user_detail_answer=button.text or "the submit button",
            ),
        ]
        return {
            "user_goal_stage": "The sign-in form is shown and not submitted yet.",
            "user_goal_achieved": False,
            "action_plan": "Type the username and password, then click the submit button.",
            "actions": actions,
        }
    return {
        "user_goal_stage": "The page shows what the goal asks for.",
        "user_goal_achieved": True,
        "action_plan": "COMPLETE",
        "actions": [_action("COMPLETE", "The page already shows what the goal asks for.")],
    }


def _goal_reached(page: Page) -> bool:
    return not (page.shows_sign_in_error or page.shows_sign_in_form)


def _check_user_goal(prompt: Prompt) -> dict[str, Any]:
    page = prompt.page()
    done = _goal_reached(page)
    return {
        "page_info": page.text[:300],
        "thoughts": "The goal is reached." if done else "A sign-in form is still on the page.",
        "user_goal_achieved": done,
    }


def _check_user_goal_with_termination(prompt: Prompt) -> dict[str, Any]:
    page = prompt.page()
    if page.shows_sign_in_error:
        reason = "Invalid username or password"
        return {
            "page_info": page.text[:300],
            "thoughts": reason,
            "status": "terminate",
            "failure_categories": [
                {"category": "AUTH_FAILURE", "confidence_float": 0.9, "reasoning": reason}
            ],
        }
    done = _goal_reached(page)
    return {
        "page_info": page.text[:300],
        "thoughts": "The goal is reached." if done else "A sign-in form is still on the page.",
        "status": "complete" if done else "continue",
        "failure_categories": [],
    }


def _fill_schema(schema: Any, page: Page, key: str = "") -> Any:
    if not isinstance(schema, dict):
        return page.value_for(key) if key else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: _fill_schema(sub, page, name) for name, sub in props.items()}
    if kind == "array":
        return [_fill_schema(schema.get("items") or {}, page, key)]
    value = page.value_for(key)
    if kind in {"number", "integer"} and value is not None:
        digits = re.sub(r"[^\d.]", "", value)
        try:
            return int(float(digits)) if kind == "integer" else float(digits)
        except ValueError:
            return None
    return value


_DEFAULT_SCHEMA: Final = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "string"}},
}


def _extract_information(prompt: Prompt) -> Any:
    schema = prompt.json_after("output it in the specified JSON schema format:", "Add as much")
    return _fill_schema(schema if schema is not None else _DEFAULT_SCHEMA, prompt.page())


def _task_history(prompt: Prompt) -> list[dict[str, Any]]:
    raw = prompt.section(
        "Task history (the earliest task is the first in the list and the latest is the last"
        " in the list):",
        "END_UNTRUSTED_WEB_PAGE_DATA",
        "Required subgoals",
        "Open browser tabs",
        "Current datetime",
    )
    for parse in (json.loads, ast.literal_eval):
        try:
            found = parse(raw)
        except (ValueError, SyntaxError):
            continue
        if isinstance(found, list):
            return [t for t in found if isinstance(t, dict)]
    return []


def _extracted(history: list[dict[str, Any]]) -> Any:
    done = [
        t
        for t in history
        if t.get("type") == "extract" and str(t.get("status")).endswith("completed")
    ]
    return done[-1].get("extracted_data", {}) if done else None


def _task_v2_metadata(prompt: Prompt) -> dict[str, Any]:
    url = prompt.section("Starting url provided by user:", "Current browser url:")
    if not url:
        found = re.search(r"https?://[^\s`'\"]+", prompt.goal)
        url = found.group(0) if found else ""
    return {
        "thoughts": "The user gave the page to start from.",
        "url": url,
        "title": "Read the product page",
    }


def _task_v2_plan(prompt: Prompt) -> dict[str, Any]:
    data = _extracted(_task_history(prompt))
    done = data is not None
    return {
        "page_info": prompt.page().text[:300],
        "extraction_thought": "The goal asks for information from the page.",
        "require_extraction": True,
        "task_history_information": "Extracted." if done else "Nothing extracted yet.",
        "information_extracted": done,
        "thoughts": "The data is captured." if done else "Extract the data from this page.",
        "required_subgoals": [
            {"subgoal": "Read the product's name and price", "satisfied": done, "evidence": ""}
        ],
        "user_goal_achieved": done,
        "should_terminate": False,
        "termination_reason": None,
        "plan": None if done else "Extract the product's name and price from the page.",
        "task_type": None if done else "extract",
        "loop_values": None,
        "is_loop_value_link": False,
    }


def _task_v2_check_completion(prompt: Prompt) -> dict[str, Any]:
    done = _extracted(_task_history(prompt)) is not None
    return {
        "page_info": "",
        "extraction_thought": "The goal asks for information from the page.",
        "require_extraction": True,
        "task_history_information": "Extracted." if done else "Nothing extracted yet.",
        "information_extracted": done,
        "thoughts": "The data is captured." if done else "The data is still missing.",
        "required_subgoals": [
            {"subgoal": "Read the product's name and price", "satisfied": done, "evidence": ""}
        ],
        "user_goal_achieved": done,
        "should_terminate": False,
        "termination_reason": None,
        "failure_categories": [],
    }


def _task_v2_summary(prompt: Prompt) -> dict[str, Any]:
    data = _extracted(_task_history(prompt))
    return {"description": f"The page shows: {json.dumps(data)}", "output": data}


def _parse_input_context(prompt: Prompt) -> dict[str, Any]:
    return {
        "thought": "A plain text field of a form.",
        "field": "text",
        "is_required": True,
        "is_search_bar": False,
        "is_location_input": False,
        "is_date_related": False,
        "date_format": None,
        "is_text_captcha": False,
    }


def _confirm_credential_rejection(prompt: Prompt) -> dict[str, Any]:
    refused = prompt.page().shows_sign_in_error or bool(_SIGN_IN_ERROR.search(prompt.text))
    return {
        "site_rejected_credentials": refused,
        "account_locked_or_reset": False,
        "site_message": "Invalid username or password" if refused else "",
        "reasoning": "The page shows the site's own error message." if refused else "",
    }


def _fixed(answer: dict[str, Any]) -> Callable[[Prompt], dict[str, Any]]:
    return lambda _prompt: answer


# (kind, a sentence of its template, the answer); the first match wins, so a template whose
# sentence is part of another's comes after it.
_KINDS: Final[list[tuple[str, str, Callable[[Prompt], Any]]]] = [
    ("task_v2_generate_metadata", "what is the url to type into the browser", _task_v2_metadata),
    ("task_v2", "Plan the next task the user needs to do towards the goal", _task_v2_plan),
    (
        "task_v2_check_completion",
        "help decide whether the user goal has been achieved, is impossible to achieve",
        _task_v2_check_completion,
    ),
    ("task_v2_summary", "produce the final answer to the user goal", _task_v2_summary),
    (
        "task_v2_generate_extraction_task",
        "design the schema for the data output",
        _fixed({"schema": _DEFAULT_SCHEMA}),
    ),
    (
        "confirm-credential-rejection",
        "A browser agent tried to log in to a website and the attempt failed",
        _confirm_credential_rejection,
    ),
    (
        "extract-action",
        "Identify actions to help user progress towards the user goal",
        _extract_action,
    ),
    (
        "check-user-goal-with-termination",
        "determine the status of the task",
        _check_user_goal_with_termination,
    ),
    ("check-user-goal", "determine if the user has completed their goal", _check_user_goal),
    (
        "extract-information",
        "extract the requested information from the screenshot",
        _extract_information,
    ),
    (
        "data-extraction-summary",
        "summarize what data you're going to extract",
        _fixed({"summary": "Will read the product's name and price from the page."}),
    ),
    (
        "generate_workflow_run_block_description",
        "Generate a summary for the following block",
        _fixed({"summary": "Will work on the page as the block's goal describes."}),
    ),
    (
        "summarize-workflow-run-output",
        "You are given the JSON output from a browser automation workflow run",
        _fixed({"summary": "The run finished; its output is shown below."}),
    ),
    (
        "generate-workflow-title",
        "Generate a brief, descriptive title for a browser automation workflow",
        _fixed({"title": "Scripted test workflow"}),
    ),
    (
        "parse-input-or-select-context",
        "You are instructed to take an INPUT or SELECT action",
        _parse_input_context,
    ),
]


def classify(text: str) -> tuple[str | None, Any]:
    """The prompt's kind and the answer to it (``None`` and ``{}`` when unknown)."""
    for kind, sentence, answer in _KINDS:
        if sentence in text:
            return kind, answer(Prompt(text))
    return None, {}


def _prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    return "\n".join(parts)


# ---------------------------------------------------------------- the server


class ScriptedModel:
    """The model server on a free loopback port. ``url`` is its OpenAI base (``…/v1``)."""

    def __init__(self, port: int = 0) -> None:
        self.kinds: Counter[str] = Counter()
        self.unknown: list[str] = []
        self._lock = threading.Lock()
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                if self.path.split("?")[0].rstrip("/") not in {
                    "/v1/chat/completions",
                    "/chat/completions",
                }:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "not JSON"}})
                    return
                status, payload = model._answer(body)
                self._send(status, payload)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": MODEL_NAME}]})
                else:
                    self._send(404, {"error": {"message": "not here"}})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, name="scripted-model", daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = _prompt_text(body)
        if OUTAGE_MARKER in text:
            with self._lock:
                self.kinds["outage"] += 1
            return 500, {"error": {"message": "scripted outage", "type": "server_error"}}
        try:
            kind, answer = classify(text)
        except Exception as exc:  # noqa: BLE001 - a bug here must show in the test
            kind, answer = "error", {}
            with self._lock:
                self.unknown.append(f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.kinds[kind or "unknown"] += 1
            if kind is None:
                first = next((ln for ln in text.splitlines() if ln.strip()), "")
                self.unknown.append(first[:200])
        content = json.dumps(answer)
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or MODEL_NAME),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": len(text) // 4,
                "completion_tokens": len(content) // 4,
                "total_tokens": (len(text) + len(content)) // 4,
            },
        }

    def snapshot(self) -> tuple[Counter[str], list[str]]:
        """Copies of :attr:`kinds` and :attr:`unknown`, taken while no answer changes them."""
        with self._lock:
            return Counter(self.kinds), list(self.unknown)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def model_env(model: ScriptedModel) -> dict[str, str]:
    """The environment that points a Skyvern server's AI at ``model`` (skyvern-api.md §9)."""
    return {
        "ENABLE_OPENAI_COMPATIBLE": "true",
        "OPENAI_COMPATIBLE_MODEL_NAME": MODEL_NAME,
        "OPENAI_COMPATIBLE_API_KEY": "not-a-secret",
        "OPENAI_COMPATIBLE_API_BASE": model.url,
        "OPENAI_COMPATIBLE_SUPPORTS_VISION": "false",
        "LLM_KEY": "OPENAI_COMPATIBLE",
        "SECONDARY_LLM_KEY": "OPENAI_COMPATIBLE",
        # litellm's price list ships with it; do not fetch it from the internet.
        "LITELLM_LOCAL_MODEL_COST_MAP": "true",
    }
