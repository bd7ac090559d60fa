"""Standards frameworks as data: read a YAML or CSV file, check it, import it.

A framework file is written by hand (or exported from a spreadsheet) by the people who own the
standards, so reading it reports every problem at once, each with its line number and item, and
nothing reaches the database until the whole file is sound. Re-importing a file updates items in
place, matched by code, so links from recommendations to items survive a correction; items that
disappear from the file are retired, never deleted.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Framework, FrameworkItem, utcnow
from .yamlfile import LineList, LineMapping, YamlFileError, load_yaml

CHILD_SEPARATORS = (".", "-", "/")
ITEM_FIELDS = ("code", "title", "text", "aliases", "verified", "children")
CSV_COLUMNS = {
    "code": "code",
    "title": "title",
    "text": "text",
    "parent": "parent",
    "parent code": "parent",
    "aliases": "aliases",
    "verified": "verified",
}
CSV_REQUIRED = ("code", "title")
CSV_BOOLEANS = {"true": True, "yes": True, "y": True, "1": True,
                "false": False, "no": False, "n": False, "0": False}
# Column sizes in consultations.models, checked here so PostgreSQL never rejects a half-import.
MAX_LENGTHS = {"key": 100, "name": 300, "version": 50, "kind": 50, "code": 50, "title": 300}


class FrameworkFileError(ValueError):
    """A framework file that cannot be imported; ``problems`` lists every reason, one a line."""

    def __init__(self, problems: list[str], path: str | Path | None = None):
        self.problems = list(problems)
        self.path = str(path) if path is not None else None
        super().__init__(self.problems)

    def __str__(self) -> str:
        where = self.path or "framework file"
        return f"{where} cannot be imported:\n" + "\n".join(f"  {p}" for p in self.problems)


class UnknownFramework(LookupError):
    """No framework has been imported under this key."""

    def __init__(self, key: str, known_keys: list[str] | tuple[str, ...] = ()):
        self.key = key
        self.known_keys = list(known_keys)
        super().__init__(key)

    def __str__(self) -> str:
        if self.known_keys:
            known = ", ".join(self.known_keys)
            return f"No framework with key '{self.key}'. Known keys: {known}."
        return (
            f"No framework with key '{self.key}': no frameworks have been imported yet "
            "(use `flask frameworks import PATH`)."
        )


@dataclass
class ItemSpec:
    code: str
    title: str | None = None
    text: str | None = None
    aliases: list[str] = field(default_factory=list)
    verified: bool | None = None
    parent_code: str | None = None
    position: int = 0
    line: int = 0


@dataclass
class FrameworkSpec:
    key: str
    name: str
    version: str
    kind: str = "standards"
    source: str | None = None
    items: list[ItemSpec] = field(default_factory=list)
    path: str | None = None


@dataclass
class ImportReport:
    framework: Framework
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def items(self) -> int:
        """Items listed in the file (retired ones are not counted)."""
        return self.created + self.updated + self.unchanged


class _Problems:
    """Problems kept with their line so the report reads top to bottom like the file."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, str]] = []

    def add(self, line: int | None, message: str) -> None:
        self._entries.append((line or 0, f"line {line}: {message}" if line else message))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def sorted(self) -> list[str]:
        return [message for _, message in sorted(self._entries, key=lambda entry: entry[0])]


# --------------------------------------------------------------------------------------- reading


def load_framework_file(
    path: str | Path,
    *,
    key: str | None = None,
    name: str | None = None,
    version: str | None = None,
    kind: str | None = None,
    source: str | None = None,
) -> FrameworkSpec:
    """Read and check a framework file; raise ``FrameworkFileError`` listing every problem.

    YAML files carry their own header, which the keyword arguments override; CSV files have no
    header, so key defaults to the file name, name to the key, version to "1".
    """
    path = Path(path)
    overrides = {"key": key, "name": name, "version": version, "kind": kind, "source": source}
    problems = _Problems()
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise FrameworkFileError(
            [f"unsupported file type '{path.suffix}': use a .yaml, .yml or .csv file"], path
        )
    text = _read_text(path, problems)
    if text is None:
        raise FrameworkFileError(problems.sorted(), path)
    if suffix == ".csv":
        spec = _parse_csv(text, path, overrides, problems)
    else:
        spec = _parse_yaml(text, overrides, problems)
    if spec is not None:
        _check_header(spec, problems)
        _check_items(spec.items, problems)
    if problems or spec is None:
        raise FrameworkFileError(problems.sorted(), path)
    spec.path = str(path)
    return spec


def _read_text(path: Path, problems: _Problems) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(None, f"file not found: {path}")
        return None
    except OSError as exc:
        problems.add(None, f"cannot read {path}: {exc.strerror or exc}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(
            line,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8 and import it again",
        )
        return None


def _check_header(spec: FrameworkSpec, problems: _Problems) -> None:
    for name in ("key", "name", "version", "kind"):
        value = getattr(spec, name)
        if value and len(value) > MAX_LENGTHS[name]:
            problems.add(None, f"framework {name} is longer than {MAX_LENGTHS[name]} characters")


def _check_items(items: list[ItemSpec], problems: _Problems) -> None:
    """Checks shared by YAML and CSV: codes unique, and each child's code extends its parent's."""
    if not items:
        problems.add(None, "the file lists no items")
    codes = {item.code for item in items}
    first_line: dict[str, int] = {}
    for item in items:
        if not item.code:
            continue  # already reported where it was read
        if len(item.code) > MAX_LENGTHS["code"]:
            problems.add(item.line, f"code '{item.code[:20]}...' is longer than 50 characters")
        if item.title and len(item.title) > MAX_LENGTHS["title"]:
            problems.add(item.line, f"item '{item.code}' has a title longer than 300 characters")
        if item.code in first_line:
            problems.add(
                item.line,
                f"code '{item.code}' is used twice (first at line {first_line[item.code]})",
            )
        else:
            first_line[item.code] = item.line
        known_parent = item.parent_code and item.parent_code in codes
        if known_parent and not extends(item.code, item.parent_code):
            p = item.parent_code
            problems.add(
                item.line,
                f"item '{item.code}' is under '{p}' but its code does not extend it "
                f"(a child of '{p}' is coded like '{p}.1', '{p}-a' or '{p}/1')",
            )


def extends(code: str, parent_code: str) -> bool:
    """True if ``code`` names a child of ``parent_code``: '1.1' and 'SO1.a' do, '10' does not."""
    return (
        len(code) > len(parent_code) + 1
        and code.startswith(parent_code)
        and code[len(parent_code)] in CHILD_SEPARATORS
    )


# ------------------------------------------------------------------------------------------ YAML


def _parse_yaml(text: str, overrides: dict, problems: _Problems) -> FrameworkSpec | None:
    try:
        data = load_yaml(text)
    except YamlFileError as exc:
        problems.add(exc.line, exc.reason)
        return None
    if data is None:
        problems.add(None, "the file is empty")
        return None
    if not isinstance(data, LineMapping):
        problems.add(1, "the file must be a mapping with a 'framework' header and 'items'")
        return None

    header = data.get("framework")
    if header is None:
        header = LineMapping()
        if not all(overrides[name] for name in ("key", "name", "version")):
            problems.add(None, "no 'framework' header: add one with key, name and version")
            header = None
    elif not isinstance(header, LineMapping):
        problems.add(data.line, "'framework' must be a mapping with key, name and version")
        header = None
    values: dict[str, str | None] = {}
    if header is not None:
        where = header.line or None
        for name in ("key", "name", "version", "kind", "source"):
            if overrides[name]:
                values[name] = str(overrides[name]).strip()
                continue
            values[name] = _scalar_text(header, name, where, "the framework header", problems,
                                        exact=(name == "version"))
            if name in ("key", "name", "version") and _blank(header.get(name)):
                problems.add(where, f"the framework header has no {name}")

    items: list[ItemSpec] = []
    top = data.get("items")
    if top is None:
        problems.add(None, "no 'items' list: add the framework's items under 'items:'")
    elif not isinstance(top, LineList):
        problems.add(data.line, "'items' must be a list of items")
    else:
        _read_yaml_items(top, None, items, problems)

    if header is None:
        return None
    return FrameworkSpec(
        key=values["key"] or "",
        name=values["name"] or "",
        version=values["version"] or "",
        kind=values["kind"] or "standards",
        source=values["source"],
        items=items,
    )


def _read_yaml_items(
    entries: LineList, parent: ItemSpec | None, items: list[ItemSpec], problems: _Problems
) -> None:
    """Walk the tree depth first so positions follow the file and parents precede children."""
    for entry, line in zip(entries, entries.lines):
        if not isinstance(entry, LineMapping):
            under = f" under '{parent.code}'" if parent else ""
            problems.add(line, f"an item{under} is not a mapping (found {entry!r}); "
                               "each item needs at least 'code' and 'title'")
            continue
        label = _label(entry)
        for name in entry.repeated:
            problems.add(line, f"{label} gives '{name}' more than once")
        unknown = [str(k) for k in entry if k not in ITEM_FIELDS]
        if unknown:
            problems.add(line, f"{label} has unknown field(s) {', '.join(unknown)} "
                               f"(expected {', '.join(ITEM_FIELDS)})")
        code = _scalar_text(entry, "code", line, label, problems, exact=True)
        if _blank(entry.get("code")):
            problems.add(line, f"{label} has no code")
        item = ItemSpec(
            code=code or "",
            title=_scalar_text(entry, "title", line, label, problems),
            text=_scalar_text(entry, "text", line, label, problems),
            aliases=_aliases(entry.get("aliases"), entry.key_lines.get("aliases"), label, problems),
            verified=_verified(entry.get("verified"), entry.key_lines.get("verified"), label,
                               problems),
            parent_code=parent.code if parent else None,
            position=len(items),
            line=line,
        )
        items.append(item)
        children = entry.get("children")
        if children is None:
            continue
        if not isinstance(children, LineList):
            problems.add(line, f"{label}: 'children' must be a list of items")
            continue
        _read_yaml_items(children, item, items, problems)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _label(entry: LineMapping) -> str:
    code, title = entry.get("code"), entry.get("title")
    if code not in (None, ""):
        return f"item '{entry.raw.get('code', code)}'"
    if isinstance(title, str) and title.strip():
        return f"item '{title.strip()[:60]}'"
    return "an item"


def _scalar_text(
    mapping: LineMapping, name: str, line: int | None, label: str, problems: _Problems,
    *, exact: bool = False,
) -> str | None:
    """The text of a scalar field, or None when absent or empty.

    YAML reads ``1`` and ``1.10`` as numbers. A title can simply take the text as written, but
    a code or version must mean the same to every YAML reader, so only plain integers are
    accepted there and anything else (1.10, 01, yes, dates) must be quoted.
    """
    value = mapping.get(name)
    if value is None:
        return None
    line = mapping.key_lines.get(name, line)
    if isinstance(value, str):
        return value.strip() or None
    raw = mapping.raw.get(name)
    if raw is None:  # a list or mapping
        problems.add(line, f"{label}: '{name}' must be text, not a {type(value).__name__}")
        return None
    if not exact:
        return raw.strip() or None
    if isinstance(value, int) and not isinstance(value, bool) and str(value) == raw:
        return raw
    if isinstance(value, float):
        why = "YAML reads it as a number and drops trailing zeros (1.10 becomes 1.1)"
    else:
        why = f"YAML reads {raw} as {value!r}"
    problems.add(line, f"{label}: put the {name} in quotes ({name}: \"{raw}\"); unquoted, {why}")
    return None


def _aliases(value: Any, line: int | None, label: str, problems: _Problems) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(a, str) or (isinstance(a, int) and not isinstance(a, bool)) for a in value
    ):
        problems.add(line, f"{label}: 'aliases' must be a list of text, like [\"domain one\"]")
        return []
    return [str(a).strip() for a in value if str(a).strip()]


def _verified(value: Any, line: int | None, label: str, problems: _Problems) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    problems.add(line, f"{label}: 'verified' must be true or false, not {value!r}")
    return None


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


# ---------------------------------------------------------------------------------------- import


def import_framework(session: Session, spec: FrameworkSpec) -> ImportReport:
    """Create or update the framework ``spec`` describes; flush, never commit.

    The same key and version is updated in place: items are matched by code and keep their ids
    so every link survives; items missing from the file are retired (and revived if they come
    back). A new version of a key becomes a new framework alongside the old one.
    """
    framework = session.scalar(
        select(Framework).where(Framework.key == spec.key, Framework.version == spec.version)
    )
    if framework is None:
        framework = Framework(key=spec.key, version=spec.version, name=spec.name, kind=spec.kind,
                              source=spec.source)
        session.add(framework)
        existing: dict[str, FrameworkItem] = {}
    else:
        _assign(framework, name=spec.name, kind=spec.kind, source=spec.source)
        existing = {
            item.code: item
            for item in session.scalars(
                select(FrameworkItem).where(FrameworkItem.framework_id == framework.id)
            )
        }

    report = ImportReport(framework=framework)
    imported: dict[str, FrameworkItem] = {}
    for spec_item in spec.items:  # parents come before their children
        values = dict(
            title=spec_item.title,
            text=spec_item.text,
            aliases=list(spec_item.aliases),
            verified=spec_item.verified,
            position=spec_item.position,
            retired_at=None,
        )
        parent = imported[spec_item.parent_code] if spec_item.parent_code else None
        item = existing.get(spec_item.code)
        if item is None:
            item = FrameworkItem(framework=framework, code=spec_item.code, parent=parent, **values)
            session.add(item)
            report.created += 1
        else:
            changed = _assign(item, **values)
            if item.parent is not parent:
                item.parent = parent
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        imported[spec_item.code] = item

    now = utcnow()
    for code, item in existing.items():
        if code not in imported and item.retired_at is None:
            item.retired_at = now
            report.retired += 1

    if framework.id is not None and (report.created or report.updated or report.retired):
        framework.updated_at = now
    session.flush()
    return report


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes that differ, so an unchanged re-import writes nothing."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def frameworks_for(session: Session, key: str | None = None) -> list[Framework]:
    """The framework(s) references should resolve against.

    With a key: a one-element list holding the version of that key imported most recently
    (re-importing an older version to correct it does not make it current). Without a key:
    the current version of every key, so one code never matches twice across versions.
    """
    frameworks = session.scalars(
        select(Framework).order_by(Framework.key, Framework.created_at.desc(), Framework.id.desc())
    ).all()
    latest: dict[str, Framework] = {}
    for framework in frameworks:
        latest.setdefault(framework.key, framework)
    if key is None:
        return list(latest.values())
    if key not in latest:
        raise UnknownFramework(key, sorted(latest))
    return [latest[key]]


def current_items(session: Session, key: str | None = None) -> list[FrameworkItem]:
    """The items references resolve against: current versions only, retired items left out."""
    ids = [framework.id for framework in frameworks_for(session, key)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(FrameworkItem).where(
                FrameworkItem.framework_id.in_(ids), FrameworkItem.retired_at.is_(None)
            )
        )
    )


__all__ = [
    "FrameworkFileError",
    "FrameworkSpec",
    "ImportReport",
    "ItemSpec",
    "UnknownFramework",
    "current_items",
    "extends",
    "frameworks_for",
    "import_framework",
    "load_framework_file",
]
