"""Run options: title, proxy location, webhook, browser session and profile, time, headers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...api.enums import GEO_TARGET_COUNTRIES, ProxyLocation
from ...api.errors import OutcomeUnknownError, SkyvernError
from ...core.runs.webhooks import Level, check_webhook
from .labels import ERROR_STYLE, error_label, stacked

if TYPE_CHECKING:
    from ...api.client import SkyvernClient

GEO = "__geo__"
COUNTRY_NAMES = {
    "US": "United States", "AR": "Argentina", "AU": "Australia", "BR": "Brazil",
    "CA": "Canada", "DE": "Germany", "ES": "Spain", "FR": "France", "GB": "United Kingdom",
    "IE": "Ireland", "IN": "India", "IT": "Italy", "JP": "Japan", "MX": "Mexico",
    "NL": "Netherlands", "NZ": "New Zealand", "PH": "Philippines", "KR": "South Korea",
    "SA": "Saudi Arabia", "TR": "Türkiye", "ZA": "South Africa",
}  # fmt: skip
_US_STATES = {
    "CA": "California",
    "NY": "New York",
    "TX": "Texas",
    "FL": "Florida",
    "WA": "Washington",
}
_NOTE_STYLE = {
    Level.ERROR: ERROR_STYLE,
    Level.WARNING: "color: #9a6700;",
    Level.NOTE: "color: palette(placeholder-text);",
}
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


async def webhook_test_verdict(client: SkyvernClient, url: str) -> tuple[str, bool]:
    """Have the server send a sample result to ``url``: what to say, and whether it went
    well. Sent once: a lost answer is said, not asked again."""
    try:
        result = await client.test_webhook(url)
    except OutcomeUnknownError as exc:
        return f"{exc} The sample may have been sent; the app did not ask again.", False
    except SkyvernError as exc:
        return f"The server could not test it: {exc}", False
    took = f" in {result.latency_ms} ms" if result.latency_ms is not None else ""
    if result.error:
        return f"The test failed: {result.error}", False
    if result.status_code is None:
        return "The server sent the sample, but it does not say how the receiver answered.", False
    if 200 <= result.status_code < 300:
        return f"The server reached it: the receiver answered {result.status_code}{took}.", True
    return (
        f"The server reached it, but the receiver answered {result.status_code}"
        f"{took}: it did not accept the sample."
    ), False


def proxy_label(value: str) -> str:
    """A readable name for a ProxyLocation value."""
    if value == ProxyLocation.NONE:
        return "No proxy"
    if value == ProxyLocation.RESIDENTIAL:
        return "Residential (any country)"
    if value == ProxyLocation.RESIDENTIAL_ISP:
        return "Residential ISP"
    if value.startswith("US-"):
        return f"United States · {_US_STATES.get(value[3:], value[3:])}"
    if value.startswith("RESIDENTIAL_"):
        code = value.removeprefix("RESIDENTIAL_")
        return f"Residential · {COUNTRY_NAMES.get(code, code)}"
    return value


class RunOptions(QGroupBox):
    """Every option of "run a workflow"; options left unset are left out of the request.

    ``webhook_test_requested(url)``: the person asked the server to try the webhook."""

    webhook_test_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, server_url: str = "") -> None:
        super().__init__("Run options", parent)
        self.setObjectName("runOptions")
        self._server_url = server_url
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.run_title = QLineEdit()
        self.run_title.setObjectName("optionTitle")
        self.run_title.setPlaceholderText("Optional: a name for this run")
        self.run_title.setToolTip(
            "Sent with the run. Skyvern lists runs under the workflow's name, so this"
            " title may not show there."
        )
        form.addRow("Title", self.run_title)

        self.proxy = QComboBox()
        self.proxy.setObjectName("optionProxy")
        self.proxy.setAccessibleName("Proxy location")
        self.proxy.addItem("The workflow's own setting", None)
        for loc in ProxyLocation:
            self.proxy.addItem(proxy_label(loc.value), loc.value)
        self.proxy.addItem("A specific country, region or city…", GEO)
        self.proxy.currentIndexChanged.connect(self._on_proxy)
        form.addRow("Proxy location", self.proxy)

        self.geo = QWidget()
        self.geo.setObjectName("optionGeo")
        geo_row = QHBoxLayout(self.geo)
        geo_row.setContentsMargins(0, 0, 0, 0)
        self.country = QComboBox()
        self.country.setObjectName("optionGeoCountry")
        for code in sorted(GEO_TARGET_COUNTRIES, key=lambda c: COUNTRY_NAMES.get(c, c)):
            self.country.addItem(f"{COUNTRY_NAMES.get(code, code)} ({code})", code)
        self.subdivision = QLineEdit()
        self.subdivision.setObjectName("optionGeoSubdivision")
        self.subdivision.setPlaceholderText("Region code, e.g. CA")
        self.subdivision.setMaxLength(10)
        self.city = QLineEdit()
        self.city.setObjectName("optionGeoCity")
        self.city.setPlaceholderText("City (optional)")
        self.city.setMaxLength(100)
        geo_row.addWidget(self.country, 2)
        geo_row.addWidget(self.subdivision, 1)
        geo_row.addWidget(self.city, 2)
        self.geo.hide()
        form.addRow("", self.geo)

        self.webhook = QLineEdit()
        self.webhook.setObjectName("optionWebhook")
        self.webhook.setPlaceholderText("https://your-server.example.com/skyvern-webhook")
        self.webhook_error = error_label("optionWebhookError")
        self.webhook.textChanged.connect(lambda _t: self.check_webhook())
        self.webhook_test = QPushButton("Test")
        self.webhook_test.setObjectName("optionWebhookTest")
        self.webhook_test.setToolTip(
            "The server sends a sample result to this address now, and says how it answered"
        )
        self.webhook_test.setEnabled(False)
        self.webhook_test.clicked.connect(self._request_test)
        webhook_note = QLabel(
            "Skyvern posts the result there when the run ends. It refuses addresses on "
            "localhost or a private network unless the server allows them."
        )
        webhook_note.setWordWrap(True)
        webhook_note.setStyleSheet("color: palette(placeholder-text);")
        self.webhook_result = QLabel()
        self.webhook_result.setObjectName("optionWebhookResult")
        self.webhook_result.setWordWrap(True)
        self.webhook_result.hide()
        webhook_row = QHBoxLayout()
        webhook_row.addWidget(self.webhook, 1)
        webhook_row.addWidget(self.webhook_test)
        form.addRow(
            "Webhook", stacked(webhook_row, webhook_note, self.webhook_error, self.webhook_result)
        )

        self.totp_identifier = QLineEdit()
        self.totp_identifier.setObjectName("optionTotpIdentifier")
        self.totp_identifier.setPlaceholderText("Optional: the email or phone number codes go to")
        self.totp_identifier.setToolTip(
            "Where the sites this run signs in to send their verification codes. Give the"
            " run a code from its pane (Send a verification code…)."
        )
        form.addRow("Verification codes", self.totp_identifier)

        self.session = QComboBox()
        self.session.setObjectName("optionBrowserSession")
        self.session.addItem("A new browser", None)
        form.addRow("Browser session", self.session)
        self.profile = QComboBox()
        self.profile.setObjectName("optionBrowserProfile")
        self.profile.addItem("None", None)
        form.addRow("Browser profile", self.profile)

        self.max_minutes = QSpinBox()
        self.max_minutes.setObjectName("optionMaxMinutes")
        self.max_minutes.setRange(0, 480)
        self.max_minutes.setSpecialValueText("The workflow's own limit")
        self.max_minutes.setSuffix(" min")
        form.addRow("Maximum run time", self.max_minutes)

        self.headers = QTableWidget(0, 2)
        self.headers.setObjectName("optionHeaders")
        self.headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.headers.verticalHeader().hide()
        self.headers.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.headers.setMaximumHeight(110)
        add = QPushButton("Add header")
        add.setObjectName("optionHeadersAdd")
        add.clicked.connect(lambda: self.add_header("", ""))
        remove = QPushButton("Remove")
        remove.setObjectName("optionHeadersRemove")
        remove.clicked.connect(self._remove_header)
        self.headers_error = error_label("optionHeadersError")
        header_box = QVBoxLayout()
        header_box.addWidget(self.headers)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        header_box.addLayout(row)
        header_box.addWidget(self.headers_error)
        form.addRow("Extra HTTP headers", header_box)

    # ------------------------------------------------------------------ lists

    def set_sessions(self, items: list[tuple[str, str]]) -> None:
        _fill(self.session, items)

    def set_profiles(self, items: list[tuple[str, str]]) -> None:
        _fill(self.profile, items)

    def add_header(self, name: str, value: str) -> None:
        row = self.headers.rowCount()
        self.headers.insertRow(row)
        name_item = QTableWidgetItem(name)
        self.headers.setItem(row, 0, name_item)
        self.headers.setItem(row, 1, QTableWidgetItem(value))
        if not name:
            self.headers.editItem(name_item)

    def _remove_header(self) -> None:
        rows = sorted({i.row() for i in self.headers.selectedIndexes()}, reverse=True)
        for row in rows:
            self.headers.removeRow(row)

    def _on_proxy(self) -> None:
        self.geo.setVisible(self.proxy.currentData() == GEO)

    # ------------------------------------------------------------------ values

    def collect(self) -> tuple[dict[str, Any], bool]:
        """``(options, ok)``: the set options as request fields; errors shown inline."""
        out: dict[str, Any] = {}
        ok = True
        if title := self.run_title.text().strip():
            out["title"] = title
        proxy = self.proxy.currentData()
        if proxy == GEO:
            geo: dict[str, str] = {"country": str(self.country.currentData())}
            if sub := self.subdivision.text().strip():
                geo["subdivision"] = sub
            if city := self.city.text().strip():
                geo["city"] = city
            out["proxy_location"] = geo
        elif proxy is not None:
            out["proxy_location"] = proxy
        webhook = self.webhook.text().strip()
        if webhook:
            if not self.check_webhook():
                ok = False
            else:
                out["webhook_url"] = webhook
        if identifier := self.totp_identifier.text().strip():
            out["totp_identifier"] = identifier
        if session := self.session.currentData():
            out["browser_session_id"] = session
        if profile := self.profile.currentData():
            out["browser_profile_id"] = profile
        if minutes := self.max_minutes.value():
            out["max_elapsed_time_minutes"] = minutes
        headers, header_error = self._headers()
        self.headers_error.setText(header_error)
        self.headers_error.setVisible(bool(header_error))
        ok = ok and not header_error
        if headers:
            out["extra_http_headers"] = headers
        return out, ok

    def _headers(self) -> tuple[dict[str, str], str]:
        # A cell still being edited (Ctrl+Enter pressed while typing) counts too.
        editor = QApplication.focusWidget()
        if editor is not None and self.headers.isAncestorOf(editor):
            self.headers.commitData(editor)
        headers: dict[str, str] = {}
        for row in range(self.headers.rowCount()):
            name_item, value_item = self.headers.item(row, 0), self.headers.item(row, 1)
            name = name_item.text().strip() if name_item else ""
            value = value_item.text() if value_item else ""
            if not name and not value:
                continue
            if not name:
                return {}, f"Row {row + 1} has a value but no header name."
            if not _HEADER_NAME.fullmatch(name):
                return {}, f"Row {row + 1}: “{name}” is not a header name (letters, digits, -)."
            if "\n" in value or "\r" in value:
                return {}, f"Row {row + 1}: a header value must fit on one line."
            if name.lower() in {h.lower() for h in headers}:
                return {}, f"Row {row + 1}: the header “{name}” is there twice."
            headers[name] = value
        return headers, ""

    def check_webhook(self) -> bool:
        """Say beside the field how the server will treat the address typed (as it is
        typed); ``False`` when it cannot be used."""
        verdict = check_webhook(self.webhook.text(), server_url=self._server_url)
        self.webhook_error.setText(verdict.text)
        if verdict.level is not None:
            self.webhook_error.setStyleSheet(_NOTE_STYLE[verdict.level])
        self.webhook_error.setVisible(bool(verdict.text))
        self.webhook_result.hide()  # a test said something of another address
        self.webhook_test.setEnabled(bool(self.webhook.text().strip()) and verdict.ok)
        return verdict.ok

    def _request_test(self) -> None:
        if self.check_webhook():
            self.webhook_test.setEnabled(False)
            self.webhook_result.setStyleSheet("color: palette(placeholder-text);")
            self.webhook_result.setText("Asking the server to send a sample result…")
            self.webhook_result.show()
            self.webhook_test_requested.emit(self.webhook.text().strip())

    def show_webhook_test(self, url: str, text: str, *, good: bool) -> None:
        """The server's account of a test delivery to ``url`` (ignored if the address
        changed meanwhile)."""
        if url != self.webhook.text().strip():
            return
        self.webhook_test.setEnabled(True)
        self.webhook_result.setStyleSheet("color: #116329;" if good else ERROR_STYLE)
        self.webhook_result.setText(text)
        self.webhook_result.show()

    def prefill(self, request: dict[str, Any]) -> None:
        """Show the options of an earlier run (its ``run_request``)."""
        self.run_title.setText(str(request.get("title") or ""))
        proxy = request.get("proxy_location")
        country = str(proxy.get("country", "")).upper() if isinstance(proxy, dict) else ""
        if isinstance(proxy, dict) and country and self.country.findData(country) >= 0:
            self.proxy.setCurrentIndex(self.proxy.findData(GEO))
            self.country.setCurrentIndex(self.country.findData(country))
            self.subdivision.setText(str(proxy.get("subdivision") or ""))
            self.city.setText(str(proxy.get("city") or ""))
        elif isinstance(proxy, str) and self.proxy.findData(proxy) >= 0:
            self.proxy.setCurrentIndex(self.proxy.findData(proxy))
        self.webhook.setText(str(request.get("webhook_url") or ""))
        self.totp_identifier.setText(str(request.get("totp_identifier") or ""))
        minutes = request.get("max_elapsed_time_minutes")
        self.max_minutes.setValue(int(minutes) if isinstance(minutes, int) else 0)
        for combo, key in (
            (self.session, "browser_session_id"),
            (self.profile, "browser_profile_id"),
        ):
            value = request.get(key)
            if value:
                if combo.findData(value) < 0:
                    combo.addItem(str(value), value)
                combo.setCurrentIndex(combo.findData(value))
        self.headers.setRowCount(0)
        for name, value in (request.get("extra_http_headers") or {}).items():
            self.add_header(str(name), str(value))


def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    current = combo.currentData()
    while combo.count() > 1:
        combo.removeItem(1)
    for label, value in items:
        combo.addItem(label, value)
    index = combo.findData(current)
    if index < 0 and current is not None:
        combo.addItem(str(current), current)
        index = combo.count() - 1
    combo.setCurrentIndex(max(0, index))
