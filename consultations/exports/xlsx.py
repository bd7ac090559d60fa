"""Export rows written as XLSX, in openpyxl's write-only mode, which keeps one row in memory at a time.

A cell that would be read as a formula (what respondents wrote may begin with ``=``) is written as
a string cell, never a formula (CSV's guard is in ``spreadsheets``). Its own module because
importing openpyxl takes a tenth of a second: only the XLSX download imports it, when it runs.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter


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
