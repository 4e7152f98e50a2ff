"""The batch setup's mapping table: each input's row shows where it takes its value (a
column, a fixed value, its default), and a choice made by hand is said back."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from skyvern_desktop.core.batch.rows import InputSource, SourceKind
from skyvern_desktop.core.forms.params import specs_for
from skyvern_desktop.ui.batch.mapping import MappingTable
from tests.core.test_params import param
from tests.ui.conftest import child

HEADERS = ("Customer", "Amount")


def _table(qtbot: QtBot) -> tuple[MappingTable, list[tuple[str, InputSource]]]:
    table = MappingTable(
        specs_for(
            [
                param("customer", "string"),
                param("amount", "integer"),
                param("rush", "boolean", False),
            ]
        )
    )
    qtbot.addWidget(table)
    said: list[tuple[str, InputSource]] = []
    table.source_changed.connect(lambda key, source: said.append((key, source)))
    return table, said


def test_each_row_shows_its_source(qtbot: QtBot) -> None:
    table, said = _table(qtbot)
    table.set_columns(
        HEADERS,
        {
            "customer": InputSource(SourceKind.COLUMN, "Customer"),
            "amount": InputSource(SourceKind.FIXED, "12"),
        },
    )  # rush: not mapped, so its default
    customer = child(table, QComboBox, "batchMap_customer")
    assert customer.currentText() == "Column “Customer”"
    assert not child(table, QLineEdit, "batchFixed_customer").isEnabled()
    amount = child(table, QComboBox, "batchMap_amount")
    assert amount.currentText() == "A fixed value"
    fixed = child(table, QLineEdit, "batchFixed_amount")
    assert fixed.isEnabled() and fixed.text() == "12"
    assert child(table, QComboBox, "batchMap_rush").currentText() == "Its default (false)"
    assert said == []  # showing is not choosing


def test_a_choice_made_in_a_row_is_said_back(qtbot: QtBot) -> None:
    table, said = _table(qtbot)
    table.set_columns(HEADERS, {})
    table.set_source("amount", InputSource(SourceKind.COLUMN, "Amount"))
    assert child(table, QComboBox, "batchMap_amount").currentText() == "Column “Amount”"
    table.set_source("customer", InputSource(SourceKind.FIXED, "Acme"))
    fixed = child(table, QLineEdit, "batchFixed_customer")
    assert fixed.isEnabled() and fixed.text() == "Acme"
    table.set_source("customer", InputSource(SourceKind.DEFAULT))
    assert not fixed.isEnabled()
    assert said == [
        ("amount", InputSource(SourceKind.COLUMN, "Amount")),
        ("customer", InputSource(SourceKind.FIXED, "Acme")),
        ("customer", InputSource(SourceKind.DEFAULT)),
    ]
