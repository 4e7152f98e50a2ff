"""Tables the app writes for people to open in a spreadsheet (a batch's results, the run
history): CSV (UTF-8 with a BOM, so Excel keeps the accents) or XLSX, by the file's name.

The rules, in one place:
- text that came from the web (a run's output, a failure reason) is never a formula: a
  leading ``= + - @`` gets a ``'`` (:func:`inert`);
- in XLSX, a text starting with ``=`` (an input the operator typed) is stored as text,
  never as a formula, and cells hold at most 32,767 characters and no control characters;
- no secrets: the callers put in credential names, never values, and never the values of
  extra HTTP headers;
- the file is written beside its place and moved there whole, so a full disk leaves the
  old file (or none), never half of one.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def inert(text: str) -> str:
    """Web text, made safe to open in a spreadsheet (never a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_xlsx(path: Path, rows: Sequence[Sequence[str]], sheet_name: str = "Results") -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for values in rows:
        sheet.append([_safe_cell(sheet, v) for v in values])
    tmp = path.with_name(path.name + ".part")
    try:
        book.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _safe_cell(sheet: Any, value: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cleaned = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)[:32767]
    cell = WriteOnlyCell(sheet, value=cleaned)
    if cleaned.startswith("="):
        cell.data_type = "s"
    return cell


def write_table(path: Path, rows: Sequence[Sequence[str]], sheet_name: str = "Results") -> None:
    """``rows`` (the header row first) as XLSX when the name ends in ``.xlsx``, else CSV."""
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, rows, sheet_name)
    else:
        write_csv(path, rows)
