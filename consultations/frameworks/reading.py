"""Reading a framework file (YAML or CSV, by its extension) and checking its items and codes."""
from __future__ import annotations

from pathlib import Path


from .csv_format import _parse_csv
from .spec import CHILD_SEPARATORS, FrameworkFileError, FrameworkSpec, ItemSpec, MAX_LENGTHS, _Problems
from .yaml_format import _parse_yaml


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
