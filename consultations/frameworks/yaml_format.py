"""Framework files in YAML: nested items with line numbers for every problem."""
from __future__ import annotations

from typing import Any


from ..yamlfile import LineList, LineMapping, YamlFileError, load_yaml
from .spec import FrameworkSpec, ITEM_FIELDS, ItemSpec, _Problems


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
