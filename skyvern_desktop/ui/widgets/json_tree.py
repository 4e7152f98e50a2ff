"""A JSON value as an expandable tree: lazy, so a 5 MB output opens without freezing."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHeaderView, QMenu, QTreeView, QWidget

Index = QModelIndex | QPersistentModelIndex
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COLUMNS = ("Key", "Value")


BATCH = 500  # rows shown per step; more arrive as the view scrolls (fetchMore)


class _Node:
    __slots__ = ("_children", "_keys", "key", "parent", "row", "shown", "value")

    def __init__(self, key: str | int | None, value: Any, parent: _Node | None, row: int) -> None:
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        self._children: list[_Node] | None = None
        self._keys: list[Any] | None = None
        self.shown = min(BATCH, self.count())

    @property
    def is_container(self) -> bool:
        return isinstance(self.value, dict | list)

    def count(self) -> int:
        return len(self.value) if isinstance(self.value, dict | list) else 0

    def child(self, row: int) -> _Node:
        """The row-th child, made when first asked for (a list of 40,000 records makes only
        the nodes the view shows)."""
        if self._children is None:
            self._children = []
        while len(self._children) <= row:
            i = len(self._children)
            if isinstance(self.value, dict):
                if self._keys is None:
                    self._keys = list(self.value)
                key = self._keys[i]
                self._children.append(_Node(key, self.value[key], self, i))
            else:
                self._children.append(_Node(i, self.value[i], self, i))
        return self._children[row]

    def path(self) -> str:
        parts: list[str] = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            key = node.key
            if isinstance(key, int):
                parts.append(f"[{key}]")
            elif isinstance(key, str) and _IDENT.fullmatch(key):
                parts.append(f".{key}")
            else:
                parts.append(f"[{json.dumps(key)}]")
            node = node.parent
        return "".join(reversed(parts)).lstrip(".") or "$"


def preview(value: Any, limit: int = 200) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} {'key' if len(value) == 1 else 'keys'}}}"
    if isinstance(value, list):
        return f"[{len(value)} {'item' if len(value) == 1 else 'items'}]"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JsonTreeModel(QAbstractItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(None, None, None, 0)

    def set_value(self, value: Any) -> None:
        self.beginResetModel()
        self._root = _Node(None, value, None, 0)
        self.endResetModel()

    @property
    def value(self) -> Any:
        return self._root.value

    def node(self, index: Index) -> _Node:
        if not index.isValid():
            return self._root
        node: _Node = index.internalPointer()
        return node

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self.node(parent)
        if not node.is_container or not 0 <= row < node.shown or not 0 <= column < 2:
            return QModelIndex()
        return self.createIndex(row, column, node.child(row))

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self.node(index).parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return self.node(parent).shown

    def canFetchMore(self, parent: Index) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False  # only column 0 has children
        node = self.node(parent)
        return node.shown < node.count()

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid() and parent.column() != 0:
            return
        node = self.node(parent)
        more = min(BATCH, node.count() - node.shown)
        if more > 0:
            self.beginInsertRows(parent, node.shown, node.shown + more - 1)
            node.shown += more
            self.endInsertRows()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 2

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        return self.node(parent).count() > 0

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return f"[{node.key}]" if isinstance(node.key, int) else str(node.key)
            return preview(node.value)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1 and not node.is_container:
            return preview(node.value, limit=2000)
        return None


def is_records(value: Any) -> bool:
    """A non-empty list of records (objects), the shape CSV export takes. No CSV is built."""
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def records_to_csv(value: Any) -> str | None:
    """CSV text when ``value`` is a list of records (objects), else ``None``."""
    if not is_records(value):
        return None
    columns: list[str] = []
    for record in value:
        for key in record:
            if key not in columns:
                columns.append(str(key))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in value:
        writer.writerow(
            {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
             for k, v in record.items()}
        )  # fmt: skip
    return out.getvalue()


class JsonTree(QTreeView):
    """The tree, with a context menu to copy a value or its path."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.tree_model = JsonTreeModel(self)
        self.setModel(self.tree_model)
        self.setUniformRowHeights(True)  # keeps very long lists cheap to lay out
        self.setAlternatingRowColors(True)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().resizeSection(0, 220)
        self.header().setStretchLastSection(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def set_value(self, value: Any) -> None:
        self.tree_model.set_value(value)
        if isinstance(value, dict) and len(value) <= 20:
            self.expandToDepth(0)

    def copy_value(self, index: QModelIndex) -> str:
        node = self.tree_model.node(index)
        text = json.dumps(node.value, indent=2, ensure_ascii=False)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_path(self, index: QModelIndex) -> str:
        path = self.tree_model.node(index).path()
        QGuiApplication.clipboard().setText(path)
        return path

    def _menu(self, pos: Any) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addAction("Copy value", lambda: self.copy_value(index))
        menu.addAction("Copy path", lambda: self.copy_path(index))
        menu.popup(self.viewport().mapToGlobal(pos))


def records_of(output: Any) -> Any:
    """The list of records an output holds: itself, or its only list value."""
    if isinstance(output, list):
        return output
    if isinstance(output, dict):
        lists = [v for v in output.values() if isinstance(v, list) and v]
        if len(lists) == 1:
            return lists[0]
    return None
