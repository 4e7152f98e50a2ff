"""Spreadsheets read into rows for batch runs: one workflow run per row. No Qt.

A batch run starts from a table a person already has: a CSV file, an Excel workbook
(``.xlsx``), or cells copied out of Excel or Google Sheets and pasted. Every reader here
gives the same :class:`Table`: the first row is the headers, every later row is the values
of one run, and every cell is text, the way the person saw it in their spreadsheet
(``12`` stays ``12``, not ``12.0``; a date is ``2026-03-01``).

The same rules for every source:

* Rows whose cells are all blank are skipped, wherever they are.
* A column with no header and no values at the end is dropped (spreadsheets often carry
  a few). A column with values but no header is kept and named ``Column 3`` and so on.
* Headers are stripped, and made unique: a second ``Name`` becomes ``Name (2)``.
* Every row has one cell per header: short rows are padded with ``""``.
* CSV cells are kept exactly as written (spaces may matter); only headers are stripped.

CSV files come in many shapes. The text is decoded as UTF-8 (with or without the byte
order mark Excel writes), then UTF-16 if it starts with a UTF-16 byte order mark, then
Windows-1252 as Excel on Windows saves "CSV", and finally Latin-1, which reads anything.
The separator is one of ``,`` ``;`` (Excel in European languages) tab or ``|``: the one that
splits the rows into the same number of columns, with :class:`csv.Sniffer` deciding
between equally good ones.

Nothing here raises anything but :class:`SheetError`, whose text is a plain sentence for
the person who chose the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

if TYPE_CHECKING:
    from _csv import Reader

MAX_ROWS: Final = 100_000
"""The most rows (after the headers) a table may have: one batch run each."""

MAX_FILE_BYTES: Final = 256 * 1024 * 1024
"""A CSV file larger than this is refused before it is read into memory."""

CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})

_DELIMITERS: Final = ",;\t|"
_SNIFF_CHARS: Final = 4096  # Sniffer's guess is quadratic in the worst case: keep it small
_SCORE_ROWS: Final = 200  # rows read with each separator to see which one fits
_BINARY_SAMPLE: Final = 65536
_CONTROL_OK: Final = frozenset("\t\n\r\f\v")

# What openpyxl and zipfile raise on a damaged, encrypted or foreign file. The list is
# long because openpyxl parses the file as it goes and has no error type of its own for it.
_XLSX_ERRORS: Final = (
    InvalidFileException,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    KeyError,
    IndexError,
    ValueError,  # also UnicodeError
    TypeError,
    AttributeError,
    ArithmeticError,  # a date cell whose number is out of range
    OSError,
    EOFError,
    SyntaxError,  # XML parse errors (ElementTree's and lxml's)
    NotImplementedError,  # a zip compression method Python does not have
    RuntimeError,  # an encrypted zip entry
)

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
_ZIP_MAGIC: Final = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Table:
    """A spreadsheet as text: unique headers and rows of exactly one cell per header."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: str
    """Where it came from, for people: ``orders.csv``, ``orders.xlsx, sheet “March”``."""


class SheetError(Exception):
    """The table cannot be read; ``str(error)`` says why, in plain words."""


# --- CSV -----------------------------------------------------------------------------


def read_csv(path: Path) -> Table:
    """The table in a CSV (or tab-separated) file; see the module's rules."""
    data = _read_bytes(path)
    if not data:
        raise SheetError(f"{path.name} is empty.")
    _refuse_other_formats(data, path.name)
    text = _decode(data)
    if _looks_binary(text):
        raise SheetError(
            f"{path.name} is not a CSV file the app can read: it holds binary data, not text."
        )
    return _parse(text, _pick_delimiter(text), source=path.name, subject=path.name)


def read_csv_text(text: str, *, source: str = "text") -> Table:
    """The table in CSV text already in memory; ``source`` names it in the table and errors."""
    return _parse(text, _pick_delimiter(text), source=source, subject=_capitalized(source))


def read_pasted(text: str) -> Table:
    """The table in cells copied from Excel or Google Sheets and pasted as text.

    They copy tab-separated rows, and quote a cell (``"…"``, with ``""`` for a quote) when
    it holds a line break or a tab. Text without any tab is read as CSV instead.
    """
    if "\t" not in text:
        return read_csv_text(text, source="pasted text")
    return _parse(text, "\t", source="pasted text", subject="Pasted text")


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            mib = MAX_FILE_BYTES // (1024 * 1024)
            raise SheetError(f"{path.name} is larger than {mib} MB, too large to read.")
        return path.read_bytes()
    except OSError as exc:
        raise SheetError(_cannot_open(path, exc)) from None


def _refuse_other_formats(data: bytes, name: str) -> None:
    """A workbook or a document given a ``.csv`` name: say what it is instead."""
    not_csv = f"{name} is not a CSV file the app can read:"
    if data.startswith(_ZIP_MAGIC):
        raise SheetError(
            f"{not_csv} it looks like an Excel workbook (or another zipped file). "
            "Choose it with a .xlsx name, or save it from Excel as CSV."
        )
    if data.startswith(_OLE_MAGIC):
        raise SheetError(
            f"{not_csv} it looks like an old-style Excel file (.xls) or a protected one. "
            "Save it from Excel as CSV or as .xlsx without a password."
        )
    if data.startswith(b"%PDF"):
        raise SheetError(f"{not_csv} it is a PDF document.")


def _decode(data: bytes) -> str:
    """Bytes to text, as the module docstring says: this always gives some text."""
    try:
        return data.decode("utf-8-sig")  # UTF-8, with or without the byte order mark
    except UnicodeDecodeError:
        pass
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(text: str) -> bool:
    """True for text no spreadsheet writes: NUL characters, or many control characters."""
    if "\x00" in text:
        return True
    sample = text[:_BINARY_SAMPLE]
    controls = sum(1 for c in sample if c < " " and c not in _CONTROL_OK)
    return controls * 10 > len(sample)


def _records(text: str, delimiter: str) -> Reader:
    """The CSV records of ``text``: line breaks inside quoted cells stay in the cell."""
    return csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=False,
    )


def _pick_delimiter(text: str) -> str:
    """The separator that splits the first rows most evenly into two or more columns.

    :class:`csv.Sniffer`'s guess is taken when no other separator fits better: it reads
    quotes with a pattern, not a parser, so on its own it can be fooled by a ``,`` or
    ``;`` inside the cells.
    """
    scores = {delimiter: _fit(text, delimiter) for delimiter in _DELIMITERS}
    best = max(scores.values())
    sniffed = _sniff(text)
    if sniffed is not None and scores[sniffed] == best:
        return sniffed
    return next(d for d in _DELIMITERS if scores[d] == best)


def _fit(text: str, delimiter: str) -> tuple[bool, float]:
    """How well ``delimiter`` fits: (it makes several columns, share of rows that agree)."""
    counts: list[int] = []
    try:
        for record in _records(text, delimiter):
            if _is_filler(record):
                continue
            counts.append(len(record))
            if len(counts) >= _SCORE_ROWS:
                break
    except csv.Error:
        pass
    if not counts:
        return (False, 0.0)
    width, agreeing = Counter(counts).most_common(1)[0]
    return (width > 1, agreeing / len(counts))


def _sniff(text: str) -> str | None:
    sample = text[:_SNIFF_CHARS]
    if not sample.strip():
        return None
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return None
    return delimiter if delimiter in _DELIMITERS else None


def _parse(text: str, delimiter: str, *, source: str, subject: str) -> Table:
    reader = _records(text, delimiter)
    try:
        rows = _take_rows(reader, subject)
    except csv.Error as exc:
        where = f" near line {reader.line_num}" if reader.line_num else ""
        raise SheetError(
            f"{subject} is not a CSV file the app can read: {_csv_problem(exc)}{where}."
        ) from None
    return _table(rows, source=source, subject=subject)


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"a cell holds more than {csv.field_size_limit():,} characters"
    return "its quotes or separators are not in order"


# --- XLSX ----------------------------------------------------------------------------


def sheet_names(path: Path) -> list[str]:
    """The names of the workbook's sheets of cells (not its chart sheets), in order."""
    with _workbook(path) as book:
        try:
            return [str(sheet.title) for sheet in book.worksheets]
        except _XLSX_ERRORS:
            raise SheetError(_not_a_workbook(path)) from None


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    """The table in one sheet of an Excel workbook; the first sheet when ``sheet`` is None.

    Formulas give the value the spreadsheet program saved with the file; a workbook written
    by a program that does not calculate (openpyxl, for one) has none, and the cell is empty.
    Columns before the first one with anything in it are left out, as rows are.
    """
    with _workbook(path) as book:
        try:
            sheets = list(book.worksheets)
            names = [str(ws.title) for ws in sheets]
            if not names:
                raise SheetError(f"{path.name} has no sheets with cells in them.")
            name = names[0] if sheet is None else sheet
            if name not in names:
                raise SheetError(_no_such_sheet(path, name, names))
            worksheet = sheets[names.index(name)]
            worksheet.reset_dimensions()  # the size a file declares can be wrong, or huge
            source = f"{path.name}, sheet “{name}”"
            subject = f"Sheet “{name}” of {path.name}"
            cells = worksheet.iter_rows(values_only=True)
            rows = _take_rows(([_cell_text(v) for v in row] for row in cells), subject)
        except _XLSX_ERRORS:
            raise SheetError(_not_a_workbook(path)) from None
    return _table(_drop_leading_empty_columns(rows), source=source, subject=subject)


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The table in a CSV or Excel file, chosen by the file's ending; ``sheet`` is for Excel."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path, sheet)
    if suffix == ".xls":
        raise SheetError(
            f"{path.name} is an old-style Excel file (.xls). "
            "Open it in Excel and save it as .xlsx or CSV."
        )
    raise SheetError(
        f"The app reads CSV files and Excel workbooks (.xlsx), and {path.name} is neither."
    )


class _Sheet(Protocol):
    """What is used here of openpyxl's read-only worksheet (openpyxl has no type hints)."""

    title: str

    def reset_dimensions(self) -> None: ...

    def iter_rows(self, *, values_only: bool) -> Iterator[tuple[object, ...]]: ...


class _Book(Protocol):
    """What is used here of openpyxl's read-only workbook."""

    worksheets: list[_Sheet]

    def close(self) -> None: ...


@contextmanager
def _workbook(path: Path) -> Iterator[_Book]:
    """The workbook at ``path``, opened read-only, and closed with its file afterwards."""
    try:
        file = path.open("rb")
    except OSError as exc:
        raise SheetError(_cannot_open(path, exc)) from None
    # openpyxl warns about parts it leaves out (data validation, styles…): not ours to say.
    with file, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            head = file.read(len(_OLE_MAGIC))
            file.seek(0)
            if head == _OLE_MAGIC:
                raise SheetError(
                    f"{path.name} is password-protected, or an old-style Excel file (.xls). "
                    "Save it from Excel as .xlsx without a password, or as CSV."
                )
            if not head.startswith(_ZIP_MAGIC):
                raise SheetError(_not_a_workbook(path))
            # A file object, not the path: openpyxl refuses a path by its ending alone.
            book: _Book = load_workbook(file, read_only=True, data_only=True)
        except _XLSX_ERRORS:
            raise SheetError(_not_a_workbook(path)) from None
        try:
            yield book
        finally:
            with suppress(*_XLSX_ERRORS):
                book.close()


def _cell_text(value: object) -> str:
    """A cell's value as the text a person sees in the sheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _drop_leading_empty_columns(rows: list[list[str]]) -> list[list[str]]:
    """Only the used range: a sheet whose table starts in column C has no columns A and B."""
    width = max((len(row) for row in rows), default=0)
    skip = 0
    while skip < width and all(skip >= len(row) or not row[skip].strip() for row in rows):
        skip += 1
    return [row[skip:] for row in rows] if skip else rows


def _no_such_sheet(path: Path, name: str, names: list[str]) -> str:
    there = ", ".join(f"“{n}”" for n in names)
    plural = "sheets are" if len(names) > 1 else "sheet is"
    return f"{path.name} has no sheet “{name}”. Its {plural} {there}."


def _not_a_workbook(path: Path) -> str:
    return (
        f"{path.name} is not an Excel workbook the app can read: it may be damaged, or be "
        "another kind of file with a .xlsx name. Open it in Excel and save it again as "
        ".xlsx, or as CSV."
    )


# --- shared --------------------------------------------------------------------------


def _take_rows(records: Iterable[Sequence[str]], subject: str) -> list[list[str]]:
    """The non-blank rows, headers first; more than the headers plus ``MAX_ROWS`` is refused."""
    rows: list[list[str]] = []
    for record in records:
        if _is_blank(record):
            continue
        if len(rows) > MAX_ROWS:
            raise SheetError(
                f"{subject} has more than {MAX_ROWS:,} rows, more than one batch run can "
                "take. Split it into smaller tables."
            )
        rows.append(list(record))
    return rows


def _table(rows: list[list[str]], *, source: str, subject: str) -> Table:
    if not rows:
        raise SheetError(f"{subject} is empty.")
    width = max(len(row) for row in rows)
    while width > 0 and all(_blank_at(row, width - 1) for row in rows):
        width -= 1  # a trailing column with no header and no values
    header_row = rows[0]
    headers = _unique_headers(
        [header_row[i].strip() if i < len(header_row) else "" for i in range(width)]
    )
    body = tuple(tuple(row[:width]) + ("",) * (width - len(row)) for row in rows[1:])
    return Table(headers=headers, rows=body, source=source)


def _unique_headers(names: list[str]) -> tuple[str, ...]:
    """Blank headers become ``Column N``; a repeated one gets `` (2)``, `` (3)``… added."""
    named = [name or f"Column {i}" for i, name in enumerate(names, start=1)]
    taken = set(named)
    seen: set[str] = set()
    result: list[str] = []
    for name in named:
        unique, n = name, 2
        while unique in seen:
            unique = f"{name} ({n})"
            n += 1
            if unique in taken:
                unique = name  # another column has this name already: count on
        seen.add(unique)
        result.append(unique)
    return tuple(result)


def _is_blank(record: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in record)


def _is_filler(record: Sequence[str]) -> bool:
    """Blank, whichever the separator: only spaces and separators (a row of ``;;;``)."""
    return all(c.isspace() or c in _DELIMITERS for cell in record for c in cell)


def _blank_at(row: Sequence[str], column: int) -> bool:
    return column >= len(row) or not row[column].strip()


def _capitalized(source: str) -> str:
    """``text`` starts a sentence as ``Text``; a file name (``orders.csv``) is left as it is."""
    return source if "." in source else source[:1].upper() + source[1:]


def _cannot_open(path: Path, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        why = "there is no such file (was it moved or deleted?)"
    elif isinstance(exc, PermissionError):
        why = "the app is not allowed to read it"
    elif isinstance(exc, IsADirectoryError):
        why = "it is a folder, not a file"
    else:
        why = exc.strerror or str(exc) or "the system could not read it"
    return f"Could not open {path.name}: {why}."
