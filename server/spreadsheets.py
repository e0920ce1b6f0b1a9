"""Every xlsx workbook the server produces is written here, and only here.

Member-written text goes into the ledgers that secretaries open in Excel. openpyxl stores
any string that starts with ``=`` as a formula, and Excel and WPS also read ``+ - @`` and
a leading tab or carriage return as the start of one (CSV/formula injection: a topic like
``=HYPERLINK("http://…","点此")`` or ``@cmd|' /c calc'!A1``). Every string cell is
therefore written as a string, explicitly, and one that starts with such a character also
gets Excel's quote prefix (the cell stays text even when someone edits it) — the text
itself is kept exactly as written. Numbers, dates and booleans keep their types.

The import-linter contract "openpyxl is known only to server.spreadsheets" (pyproject.toml)
keeps it the one way to write a workbook.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_TITLE = 31
"""Excel's longest sheet name."""


@dataclass
class Sheet:
    """One worksheet: an optional caption row, a bold header row, then the rows."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()
    caption: Sequence[Any] = ()
    indents: Sequence[int] = field(default_factory=tuple)
    """Indent of each row's first cell (a tree of units)."""
    center_header: bool = False
    freeze: str | None = None
    """The first cell that scrolls (``"B3"``); default: just below the header."""


def is_risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
        if is_risky(value):
            cell.quotePrefix = True
    elif value is None or isinstance(value, bool | int | float | date | datetime):
        cell.value = value
    else:
        cell.value = str(value)
        cell.data_type = TYPE_STRING
        if is_risky(cell.value):
            cell.quotePrefix = True
    return cell


def _fill(ws: Any, sheet: Sheet) -> None:
    ws.title = sheet.title[:MAX_TITLE]
    row = 1
    if sheet.caption:
        for column, value in enumerate(sheet.caption, start=1):
            _put(ws, row, column, value)
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        row += 1
    for column, title in enumerate(sheet.header, start=1):
        cell = _put(ws, row, column, title)
        cell.font = Font(bold=True)
        if sheet.center_header:
            cell.alignment = Alignment(horizontal="center", vertical="center")
    header_row = row
    for index, values in enumerate(sheet.rows):
        row += 1
        for column, value in enumerate(values, start=1):
            _put(ws, row, column, value)
        if index < len(sheet.indents) and sheet.indents[index]:
            ws.cell(row=row, column=1).alignment = Alignment(indent=sheet.indents[index])
    for column, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = sheet.freeze or f"A{header_row + 1}"


def workbook(*sheets: Sheet) -> bytes:
    """The xlsx file of ``sheets``, in order."""
    book = Workbook()
    first = book.active
    assert first is not None
    for index, sheet in enumerate(sheets):
        _fill(first if index == 0 else book.create_sheet(), sheet)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def streamed_workbook(sheet: Sheet) -> bytes:
    """One sheet written row by row (openpyxl's write-only mode): rows already written are on
    disk, not in memory, so a sheet of tens of thousands of rows costs the rows' own list at most.
    Same cells as ``workbook`` (strings never formulas, caption, bold header, indents, widths,
    frozen panes)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.title[:MAX_TITLE])
    for column, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    header_row = 1
    if sheet.caption:
        caption = [_stream_cell(ws, v) for v in sheet.caption]
        caption[0].font = Font(bold=True, size=13)
        ws.append(caption)
        header_row = 2
    ws.freeze_panes = sheet.freeze or f"A{header_row + 1}"
    header = [_stream_cell(ws, title) for title in sheet.header]
    for cell in header:
        cell.font = Font(bold=True)
        if sheet.center_header:
            cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.append(header)
    for index, values in enumerate(sheet.rows):
        cells = [_stream_cell(ws, value) for value in values]
        if cells and index < len(sheet.indents) and sheet.indents[index]:
            cells[0].alignment = Alignment(indent=sheet.indents[index])
        ws.append(cells)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _stream_cell(ws: Any, value: Any) -> Any:
    cell = WriteOnlyCell(ws)
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, bool | int | float | date | datetime):
        cell.value = value
        return cell
    else:
        text = str(value)
    cell.value = text
    cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
    if is_risky(text):
        cell.quotePrefix = True
    return cell


class UnreadableWorkbook(ValueError):
    """The bytes are not an xlsx workbook openpyxl can read."""


def read_rows(data: bytes, *, max_rows: int) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The first sheet's header (as text) and an iterator over its non-empty rows as
    ``(row number, values)``, read as they stream (a roster of 100,000 rows is never held twice).

    Read-only and values only: a formula is read as the value Excel last saved, never
    evaluated. Strings are stripped; numbers, dates and booleans keep their types. The iterator
    raises ``UnreadableWorkbook`` past ``max_rows`` rows or on a broken sheet.
    """
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl's own errors: all mean "not a workbook"
        raise UnreadableWorkbook(f"not an xlsx workbook ({type(exc).__name__})") from exc

    def rest() -> Iterator[tuple[int, list[Any]]]:
        found = 0
        try:
            for number, values in enumerate(rows, start=2):
                cells = [v.strip() if isinstance(v, str) else v for v in values]
                if all(v is None or v == "" for v in cells):
                    continue
                found += 1
                if found > max_rows:
                    raise UnreadableWorkbook(f"more than {max_rows} rows")
                yield number, cells
        except UnreadableWorkbook:
            raise
        except Exception as exc:  # noqa: BLE001 - as above, found half-way
            raise UnreadableWorkbook(f"the sheet cannot be read ({type(exc).__name__})") from exc
        finally:
            book.close()

    return header, rest()
