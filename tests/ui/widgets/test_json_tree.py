"""The JSON tree: lazy, paged by fetchMore, with paths and CSV for records."""

from __future__ import annotations

import csv
import io

from PySide6.QtCore import QModelIndex

from skyvern_desktop.ui.widgets.json_tree import BATCH, JsonTreeModel, records_to_csv


def test_the_tree_pages_long_lists() -> None:
    records = [{"id": i, "name": f"n{i}", "tags": ["a"]} for i in range(BATCH * 2 + 7)]
    model = JsonTreeModel()
    model.set_value({"rows": records, "count": len(records), "odd key": None})
    rows = model.index(0, 0)
    assert rows.data() == "rows"
    assert model.index(0, 1).data() == f"[{len(records)} items]"
    assert model.rowCount(rows) == BATCH  # only the first batch, until the view asks for more
    assert model.canFetchMore(rows)
    assert not model.canFetchMore(model.index(0, 1))  # only column 0 has children
    model.fetchMore(rows)
    model.fetchMore(rows)
    assert model.rowCount(rows) == len(records)
    assert not model.canFetchMore(rows)
    last = model.index(len(records) - 1, 0, rows)
    assert model.parent(last) == rows
    name = model.index(1, 0, last)
    assert model.node(name).path() == f"rows[{len(records) - 1}].name"
    odd = model.index(2, 0)
    assert model.node(odd).path() == '["odd key"]'
    assert model.node(QModelIndex()).path() == "$"


def test_records_become_csv() -> None:
    text = records_to_csv([{"a": 1, "b": {"x": 1}}, {"a": 2, "c": "y"}])
    assert text is not None
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"a": "1", "b": '{"x": 1}', "c": ""}, {"a": "2", "b": "", "c": "y"}]
    assert records_to_csv({"a": 1}) is None
    assert records_to_csv([1, 2]) is None
