"""Reading CSV files, Excel workbooks and pasted cells into rows for batch runs."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skyvern_desktop.core.batch import sheets
from skyvern_desktop.core.batch.sheets import (
    MAX_ROWS,
    SheetError,
    Table,
    read_csv,
    read_csv_text,
    read_pasted,
    read_table,
    read_xlsx,
    sheet_names,
)

_HYPOTHESIS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    # One file in tmp_path, written again by each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


# --- CSV ---------------------------------------------------------------------------


def test_comma_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", b"Name,Qty,City\r\nAnn,3,Paris\r\nBob,12,Rome\r\n")
    assert read_csv(path) == Table(
        headers=("Name", "Qty", "City"),
        rows=(("Ann", "3", "Paris"), ("Bob", "12", "Rome")),
        source="orders.csv",
    )


def test_excel_semicolon_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    text = "Name;Price;Note\r\nFoo;1,50;a, b\r\nBar;2,00;\r\n"
    path = _write(tmp_path, "prices.csv", codecs.BOM_UTF8 + text.encode())
    table = read_csv(path)
    assert table.headers == ("Name", "Price", "Note")  # no "\ufeff" on the first header
    assert table.rows == (("Foo", "1,50", "a, b"), ("Bar", "2,00", ""))


def test_windows_1252_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "Café;Prix\r\nCrème brûlée;5 €\r\n".encode("cp1252"))
    table = read_csv(path)
    assert table.headers == ("Café", "Prix")
    assert table.rows == (("Crème brûlée", "5 €"),)


def test_bytes_no_encoding_reads_still_give_text(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252: Latin-1 reads it.
    path = _write(tmp_path, "x.csv", b"a,b\r\n\x81,\xe9\r\n")
    assert read_csv(path).rows == (("\x81", "é"),)


def test_utf16_tab_separated_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    text = "Name\tCity\r\nZoë\tMünchen\r\n李\t東京\r\n"
    for encoding in ("utf-16", "utf-16-be"):
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = codecs.BOM_UTF16_BE + data
        table = read_csv(_write(tmp_path, "u.txt", data))
        assert table.headers == ("Name", "City")
        assert table.rows == (("Zoë", "München"), ("李", "東京"))


def test_quoted_line_breaks_and_separators_stay_in_the_cell(tmp_path: Path) -> None:
    data = b'id,address,quote\r\n1,"12 Main St\r\nFlat 4","say ""hi"", then go"\r\n2,"a\nb",x\r\n'
    table = read_csv(_write(tmp_path, "q.csv", data))
    assert table.rows == (
        ("1", "12 Main St\r\nFlat 4", 'say "hi", then go'),
        ("2", "a\nb", "x"),
    )


def test_blank_rows_are_skipped_and_cells_kept_as_written() -> None:
    table = read_csv_text("\n\n a , b \n\n  x ,y\n,\n   ,  \n z,\n\n")
    assert table.headers == ("a", "b")  # headers stripped
    assert table.rows == (("  x ", "y"), (" z", ""))  # cells not


def test_duplicate_and_blank_headers() -> None:
    table = read_csv_text("Name,,Name, Name ,Name (2),\n1,2,3,4,5,6\n")
    assert table.headers == ("Name", "Column 2", "Name (3)", "Name (4)", "Name (2)", "Column 6")
    assert table.rows == (("1", "2", "3", "4", "5", "6"),)


def test_trailing_empty_columns_dropped_values_without_header_kept() -> None:
    table = read_csv_text("a,b,,\n1,,,\n2,3,,\n")
    assert table.headers == ("a", "b")
    assert table.rows == (("1", ""), ("2", "3"))
    table = read_csv_text("a,b\n1,2,extra\n3\n")
    assert table.headers == ("a", "b", "Column 3")
    assert table.rows == (("1", "2", "extra"), ("3", "", ""))


def test_headers_only_is_a_table_without_rows(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "h.csv", b"Name,Email\r\n\r\n"))
    assert table == Table(headers=("Name", "Email"), rows=(), source="h.csv")


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b" , ,\n\n", codecs.BOM_UTF8])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(SheetError, match=r"^orders\.csv is empty\.$"):
        read_csv(_write(tmp_path, "orders.csv", data))


def test_empty_text() -> None:
    with pytest.raises(SheetError, match=r"^Text is empty\.$"):
        read_csv_text("")
    with pytest.raises(SheetError, match=r"^Pasted text is empty\.$"):
        read_pasted("\t\r\n")
    with pytest.raises(SheetError, match=r"^upload\.csv is empty\.$"):
        read_csv_text("\n", source="upload.csv")


def test_single_column_with_commas_in_some_cells() -> None:
    table = read_csv_text("Full name\nSmith, John\nDoe\nLee, Ann\nRoe\n")
    assert table.headers == ("Full name",)
    assert table.rows == (("Smith, John",), ("Doe",), ("Lee, Ann",), ("Roe",))


def test_binary_file_is_not_a_csv(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
    with pytest.raises(SheetError, match=r"^image\.csv is not a CSV file the app can read"):
        read_csv(_write(tmp_path, "image.csv", png))
    noise = bytes((i * 7 + 3) % 32 for i in range(500))  # control characters, no NUL
    with pytest.raises(SheetError, match="binary data"):
        read_csv(_write(tmp_path, "noise.csv", noise))


def test_a_workbook_named_csv(tmp_path: Path) -> None:
    book = _xlsx(tmp_path / "b.xlsx", {"S": [["a"]]})
    path = tmp_path / "b.csv"
    book.rename(path)
    with pytest.raises(SheetError, match="looks like an Excel workbook"):
        read_csv(path)
    with pytest.raises(SheetError, match="old-style Excel"):
        read_csv(_write(tmp_path, "old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match=r"^Could not open gone\.csv: there is no such file"):
        read_csv(tmp_path / "gone.csv")
    with pytest.raises(SheetError, match=r"^Could not open gone\.xlsx"):
        read_xlsx(tmp_path / "gone.xlsx")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(SheetError, match=r"^Could not open dir\.csv"):
        read_csv(tmp_path / "dir.csv")


def test_a_cell_over_the_csv_field_limit() -> None:
    with pytest.raises(SheetError, match="a cell holds more than"):
        read_csv_text('a,b\n1,"' + "x" * (csv.field_size_limit() + 1) + '"\n')


def test_row_limit() -> None:
    rows = "1,2\n" * MAX_ROWS
    assert len(read_csv_text("a,b\n" + rows).rows) == MAX_ROWS
    with pytest.raises(SheetError, match="more than 100,000 rows"):
        read_csv_text("a,b\n" + rows + "3,4\n")


# --- pasted cells ------------------------------------------------------------------


def test_paste_as_excel_copies() -> None:
    table = read_pasted('a\tb\r\n1\t"x\ny"\r\n')
    assert table == Table(headers=("a", "b"), rows=(("1", "x\ny"),), source="pasted text")


def test_paste_with_quoted_tabs_quotes_and_empty_cells() -> None:
    table = read_pasted('Name\tNote\tCity\r\nAnn\t"a\tb ""c"""\t\r\n\t\tRome\r\n')
    assert table.rows == (("Ann", 'a\tb "c"', ""), ("", "", "Rome"))


def test_paste_without_tabs_is_read_as_csv() -> None:
    assert read_pasted("a;b\n1;2\n").rows == (("1", "2"),)
    assert read_pasted("just one column\nvalue\n").rows == (("value",),)


# --- XLSX --------------------------------------------------------------------------


def test_xlsx_values_read_as_people_see_them(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "book.xlsx",
        {
            "March": [
                ["Int", "Float", "Whole", "Bool", "Date", "Stamp", "Time", "Empty", "Sum"],
                [12, 2.5, 3.0, True, dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30)],
                [-7, 1.5e-07, 1e20, False, dt.date(2026, 3, 2), None, dt.time(9, 30)],
            ],
            "Summary": [["Total"], [42]],
        },
    )
    book = openpyxl.load_workbook(path)
    book["March"]["I2"] = "=A2+B2"  # openpyxl saves no cached value for it
    book.save(path)

    assert sheet_names(path) == ["March", "Summary"]
    table = read_xlsx(path)
    assert table.source == "book.xlsx, sheet “March”"
    assert table.headers[:8] == (
        "Int", "Float", "Whole", "Bool", "Date", "Stamp", "Time", "Empty"
    )  # fmt: skip
    first, second = table.rows
    assert first[:8] == ("12", "2.5", "3", "true", "2026-03-01", "2026-03-01T09:30:00", "", "")
    assert second[:8] == ("-7", "1.5e-07", "1e+20", "false", "2026-03-02", "",
                          "09:30:00", "")  # fmt: skip
    assert all(isinstance(cell, str) for row in table.rows for cell in row)

    summary = read_xlsx(path, "Summary")
    assert summary == Table(
        headers=("Total",), rows=(("42",),), source="book.xlsx, sheet “Summary”"
    )


def test_xlsx_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", {"March": [["a"]], "April": [["b"]]})
    with pytest.raises(SheetError) as caught:
        read_xlsx(path, "May")
    assert str(caught.value) == "b.xlsx has no sheet “May”. Its sheets are “March”, “April”."


def test_xlsx_only_the_used_range(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C3"], sheet["D3"] = "Name", "City"
    sheet["C5"], sheet["D5"] = "Ann", "Oslo"
    sheet["F9"] = None
    book.save(tmp_path / "b.xlsx")
    table = read_xlsx(tmp_path / "b.xlsx")
    assert table.headers == ("Name", "City")
    assert table.rows == (("Ann", "Oslo"),)


def test_xlsx_declaring_a_huge_size(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", {"S": [["a", "b"], [1, 2]]})
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"].decode()
    # ElementTree writes "<dimension ref=...>" with or without a space before "/>".
    assert re.search(r'<dimension ref="A1:B2"\s?/>', sheet_xml), sheet_xml[:300]
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace("A1:B2", "A1:XFD1048576").encode()
    with zipfile.ZipFile(path, "w") as new:
        for name, data in parts.items():
            new.writestr(name, data)
    assert read_xlsx(path).rows == (("1", "2"),)


def test_xlsx_headers_only_and_empty_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", {"H": [["x", "y"]], "E": []})
    assert read_xlsx(path, "H").rows == ()
    with pytest.raises(SheetError, match=r"^Sheet “E” of b\.xlsx is empty\.$"):
        read_xlsx(path, "E")


def test_xlsx_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)  # 100,000 rows take seconds to write
    path = _xlsx(tmp_path / "big.xlsx", {"Big": [["n"], [1], [2], [3]]})
    assert len(read_xlsx(path).rows) == 3
    path = _xlsx(tmp_path / "big.xlsx", {"Big": [["n"], [1], [2], [3], [4]]})
    with pytest.raises(SheetError, match=r"^Sheet “Big” of big\.xlsx has more than 3 rows"):
        read_xlsx(path)


def test_a_csv_named_xlsx(tmp_path: Path) -> None:
    path = _write(tmp_path, "renamed.xlsx", b"a,b\r\n1,2\r\n")
    for read in (read_xlsx, sheet_names, read_table):
        with pytest.raises(SheetError, match=r"^renamed\.xlsx is not an Excel workbook"):
            read(path)


def test_protected_damaged_and_foreign_workbooks(tmp_path: Path) -> None:
    protected = _write(tmp_path, "p.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(SheetError, match="password-protected"):
        read_xlsx(protected)
    some_zip = tmp_path / "z.xlsx"
    with zipfile.ZipFile(some_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SheetError, match="not an Excel workbook"):
        sheet_names(some_zip)
    good = _xlsx(tmp_path / "g.xlsx", {"S": [["a"], [1]]}).read_bytes()
    with pytest.raises(SheetError, match="not an Excel workbook"):
        read_xlsx(_write(tmp_path, "cut.xlsx", good[: len(good) // 2]))


def _table_or_error(read: Callable[[], Table]) -> Table | SheetError:
    try:
        return read()
    except SheetError as exc:
        return exc


def _check(result: Table | SheetError) -> None:
    """A SheetError says something; a table has unique headers and full rows of text."""
    if isinstance(result, SheetError):
        assert str(result).strip()
    else:
        assert result.headers
        assert len(set(result.headers)) == len(result.headers)
        assert all(len(row) == len(result.headers) for row in result.rows)
        assert all(isinstance(cell, str) for row in result.rows for cell in row)


def _good_workbook() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "When", "Count"])
    sheet.append(["Ann", dt.datetime(2026, 3, 1), 3])
    book.save(buffer)
    return buffer.getvalue()


_GOOD_WORKBOOK = _good_workbook()


@settings(_HYPOTHESIS, max_examples=100)
@given(changes=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4))
def test_damaged_workbook_gives_a_table_or_sheet_error(
    tmp_path: Path, changes: list[tuple[int, int]]
) -> None:
    """Bytes changed anywhere in a workbook: a table, or a SheetError, and nothing else."""
    data = bytearray(_GOOD_WORKBOOK)
    for where, value in changes:
        data[where % len(data)] = value
    path = _write(tmp_path, "damaged.xlsx", bytes(data))
    _check(_table_or_error(lambda: read_xlsx(path)))


# --- choosing the reader -----------------------------------------------------------


def test_read_table_by_ending(tmp_path: Path) -> None:
    book = _xlsx(tmp_path / "b.XLSX", {"One": [["a"], [1]], "Two": [["b"], [2]]})
    assert read_table(book, "Two").rows == (("2",),)
    assert read_table(_write(tmp_path, "t.tsv", b"a\tb\n1\t2\n")).rows == (("1", "2"),)
    assert read_table(_write(tmp_path, "t.txt", b"a|b\n1|2\n")).rows == (("1", "2"),)
    with pytest.raises(SheetError, match=r"old-style Excel file \(\.xls\)"):
        read_table(_write(tmp_path, "old.xls", b"x"))
    with pytest.raises(SheetError, match=r"and report\.pdf is neither"):
        read_table(_write(tmp_path, "report.pdf", b"%PDF-1.4"))


def test_same_data_from_csv_xlsx_and_paste(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Name", "Qty", "Note", "Joined"],
        ["Ann", 3, "two\nlines", dt.datetime(2026, 3, 1)],
        ["Bob", 2.5, None, dt.datetime(2026, 3, 2, 9, 30)],
        ["Zoë", -1, 'say "hi"; then, go', None],
    ]
    texts = [
        ["Name", "Qty", "Note", "Joined"],
        ["Ann", "3", "two\nlines", "2026-03-01"],
        ["Bob", "2.5", "", "2026-03-02T09:30:00"],
        ["Zoë", "-1", 'say "hi"; then, go', ""],
    ]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(texts)
    from_csv = read_csv(_write(tmp_path, "d.csv", buffer.getvalue().encode("utf-8-sig")))
    from_xlsx = read_xlsx(_xlsx(tmp_path / "d.xlsx", {"D": rows}))
    pasted = io.StringIO(newline="")
    csv.writer(pasted, dialect="excel-tab").writerows(texts)
    from_paste = read_pasted(pasted.getvalue())
    expected = (tuple(texts[0]), tuple(tuple(row) for row in texts[1:]))
    for table in (from_csv, from_xlsx, from_paste):
        assert (table.headers, table.rows) == expected


# --- properties --------------------------------------------------------------------

_SEPARATORS = (",", ";", "\t", "|")
_Quoting = Literal[0, 1, 2, 3]
_QUOTING: tuple[_Quoting, ...] = (csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC)
_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")


def _csv_bytes(rows: list[list[str]], separator: str, quoting: _Quoting, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, quoting=quoting).writerows(rows)
    return buffer.getvalue().encode(encoding)


@_HYPOTHESIS
@given(data=st.data())
def test_any_written_csv_reads_or_says_why(tmp_path: Path, data: st.DataObject) -> None:
    separator = data.draw(st.sampled_from(_SEPARATORS))
    quoting = data.draw(st.sampled_from(_QUOTING))
    encoding = data.draw(st.sampled_from(_ENCODINGS))
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    cell = st.text(st.characters(codec=codec), max_size=10)
    rows = data.draw(st.lists(st.lists(cell, max_size=6), max_size=8))
    path = _write(tmp_path, "any.csv", _csv_bytes(rows, separator, quoting, encoding))
    _check(_table_or_error(lambda: read_csv(path)))


@_HYPOTHESIS
@given(data=st.data())
def test_written_csv_reads_back_the_same(tmp_path: Path, data: st.DataObject) -> None:
    """A header row and rows written by csv.writer: the same headers and rows come back.

    Cells hold no other candidate separator than the one used (else which one is meant is
    a guess), no control characters but line breaks, and no byte order mark character.
    """
    separator = data.draw(st.sampled_from(_SEPARATORS), label="separator")
    quoting = data.draw(st.sampled_from(_QUOTING), label="quoting")
    encoding = data.draw(st.sampled_from(_ENCODINGS), label="encoding")
    others = "".join(s for s in _SEPARATORS if s != separator) + "\ufeff"
    letters = st.characters(
        codec="cp1252" if encoding == "cp1252" else "utf-8",
        exclude_categories=("Cc", "Cs"),
        exclude_characters=others,
    )
    # Mostly any letters; some cells made of the characters that need quoting.
    tricky = st.sampled_from(["\n", "\r", separator, '"', " ", "a", "é"])
    cell = st.text(letters, max_size=8) | st.text(tricky, max_size=8)
    width = data.draw(st.integers(2, 5), label="width")
    header = cell.filter(lambda h: bool(h.strip()))
    headers = data.draw(
        st.lists(header, min_size=width, max_size=width, unique_by=str.strip), label="headers"
    )
    row = st.lists(cell, min_size=width, max_size=width)
    rows = data.draw(st.lists(row, max_size=8), label="rows")
    raw = _csv_bytes([headers, *rows], separator, quoting, encoding)

    table = read_csv(_write(tmp_path, "round.csv", raw))

    if encoding == "cp1252":
        try:
            as_utf8 = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            as_utf8 = None
        if as_utf8 is not None and as_utf8 != raw.decode("cp1252"):
            return  # these Windows-1252 bytes are also UTF-8, of other text: UTF-8 wins
    assert table.headers == tuple(h.strip() for h in headers)
    assert table.rows == tuple(tuple(r) for r in rows if any(c.strip() for c in r))


_BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])


@_HYPOTHESIS
@given(prefix=_BOMS, body=st.binary(max_size=400))
def test_any_bytes_read_or_say_why(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    path = _write(tmp_path, "bytes.csv", prefix + body)
    _check(_table_or_error(lambda: read_csv(path)))


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(st.sampled_from(',;\t|"\r\n x\x00é')) | st.text())
def test_any_text_reads_or_says_why(text: str) -> None:
    _check(_table_or_error(lambda: read_csv_text(text)))
    _check(_table_or_error(lambda: read_pasted(text)))
