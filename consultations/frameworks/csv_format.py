"""Framework files in CSV: one row per item, parents found from the codes."""
from __future__ import annotations

import csv
import io
from pathlib import Path


from .spec import CSV_BOOLEANS, CSV_COLUMNS, CSV_REQUIRED, FrameworkSpec, ItemSpec, _Problems


# ------------------------------------------------------------------------------------------- CSV


def _parse_csv(text: str, path: Path, overrides: dict, problems: _Problems) -> FrameworkSpec | None:
    """One row per item with code, title, text and parent code; rows may come in any order."""
    # strict: a quote left open must not swallow the rest of the file into one cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header, header_line = row, start
            else:
                rows.append((start, row))
            for index in _runaway_cells(row, header):
                name = header[index].strip() if index < len(header) else f"column {index + 1}"
                problems.add(start, f"the {name} runs on over lines {start} to {reader.line_num}: "
                                    "is a closing quote (\") missing?")
    except csv.Error as exc:
        start = previous_end + 1
        if "end of data" in str(exc):
            swallowed = (f", so lines {start} to {reader.line_num} would become one value"
                         if reader.line_num > start else "")
            why = f"a quote (\") opened in this row is never closed{swallowed}; add the closing quote"
        else:
            why = f"the quotes in this row cannot be read ({exc}); check them"
        problems.add(start, why)
        return None
    if header is None:
        problems.add(None, "the file is empty: it needs a header row (code, title, text, parent)")
        return None

    columns: dict[str, int] = {}
    for index, heading in enumerate(header):
        column = CSV_COLUMNS.get(_column_name(heading))
        if column is None:
            expected = "code, title, text, parent code, aliases, verified"
            problems.add(header_line, f"unknown column '{heading}' (expected {expected})")
        elif column in columns:
            problems.add(header_line, f"column '{heading}' appears twice")
        else:
            columns[column] = index
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if missing:
        problems.add(header_line, f"missing required column(s): {', '.join(missing)}")
        return None

    def cell(row: list[str], column: str) -> str | None:
        index = columns.get(column)
        if index is None or index >= len(row):
            return None
        return row[index].strip() or None

    by_line: list[ItemSpec] = []
    for line, row in rows:
        if len(row) > len(header):
            problems.add(line, f"the row has {len(row)} cells but the header has {len(header)}")
        code, title = cell(row, "code"), cell(row, "title")
        label = f"item '{code}'" if code else (f"item '{title[:60]}'" if title else "an item")
        if not code:
            problems.add(line, f"{label} has no code")
        verified_text = (cell(row, "verified") or "").lower()
        verified = CSV_BOOLEANS.get(verified_text)
        if verified is None and verified_text:
            problems.add(line, f"{label}: verified must be true or false, not '{verified_text}'")
        by_line.append(ItemSpec(
            code=code or "",
            title=title,
            text=cell(row, "text"),
            aliases=[a.strip() for a in (cell(row, "aliases") or "").split(";") if a.strip()],
            verified=verified,
            parent_code=cell(row, "parent"),
            line=line,
        ))

    codes = {item.code for item in by_line}
    for item in by_line:
        if item.parent_code and item.parent_code not in codes:
            problems.add(item.line, f"item '{item.code}' has parent code '{item.parent_code}', "
                                    "which is not a code in this file")

    key = (overrides["key"] or path.stem).strip()
    return FrameworkSpec(
        key=key,
        name=(overrides["name"] or key).strip(),
        version=(overrides["version"] or "1").strip(),
        kind=(overrides["kind"] or "standards").strip(),
        source=overrides["source"],
        items=_tree_order(by_line),
    )


def _column_name(heading: str) -> str:
    return " ".join(heading.strip().lower().replace("_", " ").split())


def _runaway_cells(row: list[str], header: list[str]) -> list[int]:
    """Cells that run over several lines where a value is one line (all but ``text``): the
    sign of a quote left open that has swallowed the rows after it."""
    multi_line = {index for index, heading in enumerate(header) if CSV_COLUMNS.get(_column_name(heading)) == "text"}
    return [index for index, cell in enumerate(row) if "\n" in cell.strip() and index not in multi_line]


def _tree_order(items: list[ItemSpec]) -> list[ItemSpec]:
    """Parents before children, siblings in file order, so positions read like an outline."""
    children: dict[str | None, list[ItemSpec]] = {}
    for item in items:
        children.setdefault(item.parent_code, []).append(item)
    ordered: list[ItemSpec] = []
    seen: set[int] = set()

    def visit(parent_code: str | None) -> None:
        for item in children.get(parent_code, []):
            if id(item) in seen:
                continue
            seen.add(id(item))
            item.position = len(ordered)
            ordered.append(item)
            if item.code:
                visit(item.code)

    visit(None)
    # Rows whose parent is missing or which form a loop are already reported; keep them listed
    # so the remaining checks (duplicates, code shapes) still see them.
    for item in items:
        if id(item) not in seen:
            item.position = len(ordered)
            ordered.append(item)
    return ordered
