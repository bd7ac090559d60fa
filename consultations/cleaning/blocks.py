"""Step 2: lines reflowed into blocks (paragraphs, headings, list items)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patterns import INDENT, LIST_MARKER, _ATX, _BOLD_LINE, _Line


# --- 2. blocks ----------------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # "paragraph", "item", "heading" (a '#' or bold line) or "quote"
    lines: list[_Line] = field(default_factory=list)
    gap: str = "none"  # what came before it: "none", "blank" or "cut"
    depth: int = 0
    least: int = 1 << 30  # the least indentation of its lines so far, kept as they are read

    def add(self, line: _Line) -> None:
        self.lines.append(line)
        self.least = min(self.least, line.indent)

    @property
    def indent(self) -> int:
        return self.lines[0].indent

    @property
    def min_indent(self) -> int:
        return min(line.indent for line in self.lines)

    @property
    def text(self) -> str:
        """The lines joined; a word broken at a line end ("co-" + "terminously") is joined whole."""
        parts: list[str] = []
        for line in self.lines:
            piece = line.stripped
            if self.kind == "quote":
                piece = piece.lstrip(">").strip()
            if parts and parts[-1][-2:-1].isalpha() and parts[-1].endswith("-") and piece[:1].islower():
                parts[-1] += piece
            else:
                parts.append(piece)
        return " ".join(" ".join(parts).split())


def _kind(stripped: str) -> str:
    if LIST_MARKER.match(stripped):
        return "item"
    if _ATX.match(stripped) or _BOLD_LINE.match(stripped):
        return "heading"
    if stripped.startswith(">"):
        return "quote"
    return "paragraph"


def _reflow(lines: list[_Line]) -> list[_Block]:
    """Join hard-wrapped lines into blocks. A list item, a ``#`` heading, a line in bold on its own
    and a ``>`` quotation start blocks of their own; a short heading-like line followed by a
    capitalised one stands alone; a paragraph that moves four or more spaces in or out starts
    another (an indented quotation without a blank line around it).

    >>> [b.text for b in _reflow([_Line(t, 0) for t in ["## Funding", "The agency must", "set out costs."]])]
    ['## Funding', 'The agency must set out costs.']
    """
    blocks: list[_Block] = []
    current: _Block | None = None
    gap = "none"
    width = _wrap_width(lines)
    for line in lines:
        stripped = line.stripped
        if line.cut or not stripped:
            if current is not None:
                blocks.append(current)
                current = None
            gap = "cut" if line.cut or gap == "cut" else "blank"
            continue
        kind = _kind(stripped)
        if current is not None and _starts_block(current, line, kind, width):
            blocks.append(current)
            current, gap = None, "none"
        if current is None:
            current = _Block(kind, [], gap)
            gap = "none"
        current.add(line)
    if current is not None:
        blocks.append(current)
    return blocks


def _starts_block(current: _Block, line: _Line, kind: str, width: int | None) -> bool:
    if kind in ("item", "heading") or current.kind == "heading":
        return True
    if (kind == "quote") != (current.kind == "quote"):
        return True
    previous = current.lines[-1]
    if current.kind == "item" and len(current.lines) == 1 and line.indent <= previous.indent:
        marker = LIST_MARKER.match(previous.stripped).group("marker")
        content = previous.stripped[len(marker):]
        longest = 120 if re.fullmatch(r"\(?[IVXA-Z]{1,5}[.)]\s*", marker) else 60  # "IV." numbers sections
        wrapped = (  # "V. We Support the Explicit Inclusion of ... in the "Access" and "Use"", then "Definitions"
            width is not None and previous.indent + len(previous.stripped) >= _SHORT_LINE * width
            and _looks_like_heading(line.stripped, 40) and len(content.split()) + len(line.stripped.split()) <= 16
        )
        if _looks_like_heading(content, longest) and len(content.split()) <= 16 and line.stripped[:1].isupper() \
                and not wrapped:
            return True  # "II. Access to the river", then its paragraph: a numbered heading (not its wrapped end)
    if current.kind == "paragraph":
        if len(current.lines) == 1 and _looks_like_heading(previous.stripped) and line.stripped[:1].isupper():
            return True
        if line.indent >= previous.indent + INDENT:
            return True  # moving in: a quotation starts
        if len(current.lines) >= 2 and current.least >= line.indent + INDENT:
            return True  # moving out: a quotation has ended
    if current.kind in ("paragraph", "item") and width and _ends_paragraph(current, previous, line, width):
        return True
    return False


_SHORT_LINE = 0.75
_ENDS_LINE = re.compile(r"[.!?:]['\"’”)\]]*$")


def _wrap_width(lines: list[_Line]) -> int | None:
    """How wide a hard-wrapped text's lines run (the 80th percentile of the lines that another line
    follows), or None when too few lines are wrapped to tell."""
    ends = sorted(
        line.indent + len(line.stripped)
        for line, following in zip(lines, lines[1:])
        if line.stripped and following.stripped and not line.cut and not following.cut
    )
    return ends[int(0.8 * (len(ends) - 1))] if len(ends) >= 8 else None


def _ends_paragraph(current: _Block, previous: _Line, line: _Line, width: int) -> bool:
    """In hard-wrapped text without blank lines between paragraphs, a line well short of the
    others that ends a sentence (or is a heading), followed by one starting with a capital, ends
    its paragraph.

    >>> lines = [_Line(t, 0) for t in ["Requested action (summary)", "This comment supports the goal and", "asks for more."]]
    >>> _ends_paragraph(_Block("paragraph", lines[:1]), lines[0], lines[1], 60)
    True
    """
    text = previous.stripped
    if not (line.stripped[:1].isupper() or line.stripped[:1].isdigit() or line.stripped[:1] in "\"“'‘("):
        return False
    if previous.indent + len(text) >= _SHORT_LINE * width:
        return False
    if _ENDS_LINE.search(text):
        return True
    if current.kind == "item" and line.indent <= current.lines[0].indent:
        return True  # a short item, then a paragraph back at the item's margin
    content = text[LIST_MARKER.match(text).end():] if current.kind == "item" and len(current.lines) == 1 else text
    return len(current.lines) == 1 and _looks_like_heading(content)


def _looks_like_heading(line: str, longest: int = 60) -> bool:
    stripped = line.strip()
    return (
        len(stripped) < longest
        and not stripped.endswith((".", ",", ";", ":"))
        and not LIST_MARKER.match(stripped)
        and stripped[:1].isupper()
    )
