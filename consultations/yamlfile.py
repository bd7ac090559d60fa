"""Reading the YAML files people write by hand: consultations, frameworks, survey mappings.

PyYAML's SafeLoader answers some mistakes with a bare Python exception instead of a
``YAMLError``: an impossible date (``opens_on: 2019-02-30`` raises ValueError from the
timestamp constructor), a wrong explicit tag (``!!int x``, ``!!bool x``), nesting deep
enough to exhaust the stack. Every reader of these files goes through ``load_yaml``, which
turns each of them into a ``YamlFileError`` that names the line and says what to do, so a
bad file is refused with a message and never with a traceback.

Dates stay dates: a valid ``2019-04-01`` still reads as ``datetime.date``; the readers check
the type of each field. Mappings and lists come back as ``LineMapping`` / ``LineList`` (a
dict and a list) that remember the line of each key and entry, so the readers' own checks
can say where a problem is. Aliases (``*name``) are refused: a data file written by hand never
needs them, and they let a few lines expand into a very large (or endlessly repeating) tree.
"""
from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent


class YamlFileError(ValueError):
    """A YAML file that cannot be read; ``line`` is 1-based, or None when it is the whole file."""

    def __init__(self, line: int | None, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


class LineMapping(dict):
    """A YAML mapping that remembers its line, the line of each key, the source text of its
    scalar values (YAML reads ``1.10`` as 1.1; a code needs what was written) and repeated keys."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.raw: dict[Any, str] = {}
        self.key_lines: dict[Any, int] = {}
        self.repeated: list[str] = []

    def line_of(self, key: Any) -> int | None:
        """The line of ``key``, else of the mapping itself."""
        return self.key_lines.get(key) or self.line or None


class LineList(list):
    """A YAML list that remembers the line of each entry."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []


def line_of(data: Any, key: Any = None) -> int | None:
    """Where ``key`` of ``data`` was written, for a ``LineMapping``; None for anything else
    (a plain dict from a form or a JSON file)."""
    if isinstance(data, LineMapping):
        return data.line_of(key) if key is not None else (data.line or None)
    return None


class LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers, refuses aliases and reports every construction
    failure as a YAML error at the node that caused it."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise ComposerError(None, None, f"the alias *{event.anchor} is not accepted here: write the value out "
                                            "in full", event.start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as error:
            raise ConstructorError(None, None, _unreadable(node, error), node.start_mark) from None


def _unreadable(node, error: Exception) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    if node.tag == "tag:yaml.org,2002:timestamp":
        why = f"is not a real date ({error})" if isinstance(error, ValueError) else "is not a date"
        return f"{value} {why}; write the date as YYYY-MM-DD, or put the value in quotes if it is meant as text"
    kind = node.tag.rsplit(":", 1)[-1]
    return f"{value!r} cannot be read as {kind} ({error}); correct it, or put it in quotes if it is meant as text"


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineMapping:
    mapping = LineMapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    mapping.repeated = sorted({k for k in keys if keys.count(k) > 1})
    mapping.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    mapping.raw = {k.value: v.value for k, v in node.value
                   if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)}
    return mapping


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_sequence(node, deep=True))
    sequence.lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml(text: str) -> Any:
    """Parse ``text``; raise ``YamlFileError`` (with the line where known) for anything wrong."""
    try:
        return yaml.load(text, Loader=LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if isinstance(error, ConstructorError) or (isinstance(error, ComposerError) and not error.context):
            # a value that cannot be read, or an alias: the problem is said in full
            reason = "; ".join(str(part) for part in (error.context, error.problem) if part)
        else:
            detail = "; ".join(str(part) for part in (error.context, error.problem) if part) or str(error)
            reason = f"YAML syntax error: {detail}"
        raise YamlFileError(mark.line + 1 if mark else None, reason) from None
    except yaml.YAMLError as error:
        raise YamlFileError(None, str(error)) from None
    except RecursionError:
        raise YamlFileError(None, "the file is nested too deeply to read; a data file needs only a few "
                                  "levels") from None


__all__ = ["LineList", "LineLoader", "LineMapping", "YamlFileError", "line_of", "load_yaml"]
