"""Reading tabular files (CSV, XLSX) row by row for the bulk imports, and what they share.

A table yields every data row with its number as a spreadsheet shows it (the header is
row 1, the first answer row 2), or the reason the row cannot be read: a wrong number of
values, bytes that are not UTF-8, a broken quote. The importers turn each readable row
into a plan (``RowError`` if it is wrong) and store the plans; ``tracker.jobs.imports`` runs
them in batches. Nothing here touches the database.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .readers import ReadError, ensure_safe_zip

csv.field_size_limit(10 * 1024 * 1024)  # a long free-text answer is one field

DELIMITERS = (",", ";", "\t", "|")
MAX_WORKBOOK_UNCOMPRESSED = 2 * 1024**3  # a big survey export; still refuses a bomb (see ensure_safe_zip)
SNIFF_RECORDS = 50


class TableError(ValueError):
    """The file cannot be read as a table at all; the message says why and what to do."""


class RowError(ValueError):
    """One row cannot be imported; the message says what is wrong with it."""


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    values: list[str] | None  # None when the row could not be read
    error: str | None = None


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: Iterator[Row]
    count: int  # data rows, for the progress bar
    sha256: str
    delimiter: str | None = None  # None for a workbook


@dataclass
class ImportReport:
    """What became of every row: imported, skipped (already there), failed (and why)."""

    imported: int = 0
    skipped: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things worth knowing that are not failures
    counts: dict[str, int] = field(default_factory=dict)  # e.g. recommendations, decisions

    @property
    def failed(self) -> int:
        return len(self.failures)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_table(path: Path, *, delimiter: str | None = None, sheet: str | None = None) -> Table:
    """A CSV (delimiter sniffed unless given) or XLSX file (first sheet unless named)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise TableError(f"{path} cannot be read: {error.strerror or error}.") from None
    if head.startswith(b"PK\x03\x04"):
        return _open_workbook(path, sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(f"{path.name} is an old-style Excel file (.xls). Save it as .xlsx or CSV (UTF-8) and try again.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError(f"{path.name} is UTF-16 text. Save it as CSV (UTF-8) and try again.")
    return _open_csv(path, delimiter)


# --- CSV ------------------------------------------------------------------------------


def _text_lines(path: Path) -> Iterator[str]:
    """The file as text lines; bytes that are not UTF-8 are kept as lone surrogates so the
    row holding them can be reported (and only that row)."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        yield from handle


def _sniff_delimiter(path: Path) -> str:
    """The delimiter that splits the first records into the most columns, consistently."""
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        reader = csv.reader(_text_lines(path), delimiter=candidate)
        widths = []
        try:
            for record in reader:
                if record:
                    widths.append(len(record))
                if len(widths) >= SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for width in widths if width == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _open_csv(path: Path, delimiter: str | None) -> Table:
    if delimiter is None:
        delimiter = _sniff_delimiter(path)
    reader = csv.reader(_text_lines(path), delimiter=delimiter, strict=True)
    try:
        headers = next(reader, None)
    except csv.Error as error:
        raise TableError(f"The header row of {path.name} cannot be read ({error}).") from None
    if not headers or not any(h.strip() for h in headers):
        raise TableError(f"{path.name} is empty: the first row must name the columns.")
    if any(_has_bad_bytes(h) for h in headers):
        raise TableError(f"The header row of {path.name} is not UTF-8 text. Save the file as CSV (UTF-8) and try again.")
    headers = [_clean_header(h) for h in headers]
    count = sum(1 for _ in _csv_rows(path, delimiter, len(headers)))
    return Table(path.name, headers, _csv_rows(path, delimiter, len(headers)), count, file_sha256(path), delimiter)


def _csv_rows(path: Path, delimiter: str, width: int) -> Iterator[Row]:
    reader = csv.reader(_text_lines(path), delimiter=delimiter, strict=True)
    number = 1
    try:
        next(reader)
    except (StopIteration, csv.Error):
        return
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(number, None, f"cannot be read as CSV ({error}); check its quotes")
            continue
        if not record or (len(record) == 1 and not record[0].strip()):
            number -= 1  # a blank line is not a row
            continue
        if len(record) != width:
            yield Row(number, None, f"has {len(record)} values but the header has {width} columns "
                                    "(a stray delimiter or an unclosed quote?)")
            continue
        bad = [i for i, value in enumerate(record) if _has_bad_bytes(value)]
        if bad:
            yield Row(number, None, f"contains bytes that are not UTF-8 text in column {bad[0] + 1}; "
                                    "save the file as CSV (UTF-8)")
            continue
        yield Row(number, [value.strip() for value in record])


_BAD_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape made of a byte that is not UTF-8


def _has_bad_bytes(value: str) -> bool:
    # A regular expression, not a loop over the characters: every value of every row is
    # checked twice (counting rows, then reading them), which was a tenth of an import's time.
    return not value.isascii() and _BAD_BYTE.search(value) is not None


def _clean_header(value) -> str:
    return " ".join(str(value or "").split())


# --- XLSX -----------------------------------------------------------------------------


def _open_workbook(path: Path, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        ensure_safe_zip(path.name, path, max_uncompressed=MAX_WORKBOOK_UNCOMPRESSED)
    except ReadError as error:
        raise TableError(f"{error} Nothing was read.") from None
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise TableError(f"{path.name} is not a readable Excel workbook (.xlsx): {error}. "
                         "Open it and save it again, or save it as CSV (UTF-8).") from None
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    except KeyError:
        names = ", ".join(workbook.sheetnames)
        workbook.close()
        raise TableError(f"{path.name} has no sheet '{sheet}'. Its sheets are: {names}.") from None
    header_row = next(worksheet.iter_rows(max_row=1, values_only=True), None)
    if not header_row or not any(cell is not None and str(cell).strip() for cell in header_row):
        workbook.close()
        raise TableError(f"{path.name} is empty: the first row must name the columns.")
    headers = [_clean_header(cell) for cell in header_row]
    while headers and not headers[-1]:
        headers.pop()  # formatting beyond the last named column
    count = max((worksheet.max_row or 1) - 1, 0)
    return Table(path.name, headers, _workbook_rows(workbook, worksheet, len(headers)), count, file_sha256(path))


def _workbook_rows(workbook, worksheet, width: int) -> Iterator[Row]:
    try:
        for number, cells in enumerate(worksheet.iter_rows(min_row=2, values_only=True), start=2):
            values = [_cell_text(cell) for cell in cells]
            extra = [v for v in values[width:] if v]
            values = (values + [""] * width)[:width]
            if not any(values) and not extra:
                continue
            if extra:
                yield Row(number, None, f"has values beyond the {width} named columns")
                continue
            yield Row(number, values)
    finally:
        workbook.close()


def _cell_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ", timespec="seconds") if cell.time() != dt.time() else cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


# --- values ---------------------------------------------------------------------------

DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%d %B %Y", "%d %b %Y",
)


def parse_date(value: str, column: str) -> dt.date | None:
    """A date in one of the usual forms (day before month); RowError if it is not one."""
    value = value.strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowError(f"{column} '{value}' is not a date (write it like 2020-06-19 or 19.06.2020)")


def normalise(text: str) -> str:
    """Lower-case words only, for comparing headers and values."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return " ".join(re.findall(r"[\w']+", text))


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120].rstrip("-")


def row_key(*parts: str) -> str:
    """A stable identity for a row without an id column, from what it says."""
    joined = "\x1f".join(" ".join(part.split()).lower() for part in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:24]


def shorten(text: str, limit: int = 70) -> str:
    """A long header or value cut to fit a message or a report line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_length(value: str, limit: int, column: str) -> str:
    if len(value) > limit:
        raise RowError(f"{column} is {len(value):,} characters long; at most {limit:,} are accepted")
    return value


def read_text(path: Path) -> str:
    """A small text file (a mapping) as UTF-8."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise TableError(f"{path} cannot be read: {error}.") from None
