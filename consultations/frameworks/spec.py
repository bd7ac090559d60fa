"""What a framework file describes (``FrameworkSpec``, ``ItemSpec``), the limits it is held to, and
the errors that name every problem found."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


from ..models import Framework


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
