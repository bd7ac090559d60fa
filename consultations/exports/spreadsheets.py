"""Export rows written as CSV (a generator of text chunks, for streaming) and as XLSX (openpyxl's
write-only mode, which keeps one row in memory at a time).

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some,
a tab or carriage return) as a formula, and these cells hold what respondents wrote: in CSV such
a cell is prefixed with an apostrophe (OWASP's advice), and in XLSX it is written as a string
cell, never a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 100  # CSV rows sent together: fewer, larger writes to the client


def csv_safe(value) -> str:
    """A cell's text for CSV, neutralised if a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, a byte-order mark first (so Excel reads UTF-8), in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_safe(value) for value in row])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(out: IO[bytes], title: str, header: Iterable[str], rows: Iterable[Iterable],
               widths: Iterable[int] = ()) -> None:
    """An XLSX workbook of one sheet: a bold, frozen header row, then ``rows``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, wrap) for value in row])
    workbook.save(out)


def _xlsx_cell(sheet, value, wrap: Alignment):
    """A row's value as openpyxl should write it: most strings as they are (a cell object per
    value doubles the time of a 31k-row export), empty text as no cell, a string that would be
    read as a formula as a text cell, and text over several lines wrapped."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("=") or "\n" in value:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text as text: openpyxl would store "=..." as a formula
        if "\n" in value:
            cell.alignment = wrap
        return cell
    return value
