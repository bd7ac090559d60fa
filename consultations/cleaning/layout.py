"""Step 5: indentation read as nesting (sub-points) or quotation."""
from __future__ import annotations

from .blocks import _Block
from .patterns import INDENT, _Line


# --- 5. indentation: nesting and quotations -----------------------------------------------------

_OPENING_QUOTE = ("\"", "“", "‘", "'", "«")


def _margins(lines: list[_Line]) -> dict[int, int]:
    """The left margin of each page: the least indentation of a line of text on it."""
    margins: dict[int, int] = {}
    for line in lines:
        if line.stripped and not line.cut:
            margins[line.page] = min(margins.get(line.page, line.indent), line.indent)
    return margins


def _layout(blocks: list[_Block], margins: dict[int, int]) -> None:
    """Nesting of list items and quotations, from indentation.

    A list item indented further than the item before it is nested a level deeper; one back at
    an earlier item's indentation returns to that level. A paragraph of six words or more set in
    by four spaces or more from the page's margin is a quotation when it runs over two lines or
    more, follows a line ending in ':', or opens with a quotation mark. A paragraph indented under
    a list item carries on that item (it is joined to it).
    """
    stack: list[int] = []
    previous: _Block | None = None
    text_indent: int | None = None  # where the last paragraph of the respondent's text started
    for block in blocks:
        margin = margins.get(block.lines[0].page, 0)
        indent = block.indent - margin
        if block.kind == "item":
            while stack and indent < stack[-1] - 1:
                stack.pop()
            if not stack or indent > stack[-1] + 1:
                stack.append(indent)
            block.depth = len(stack) - 1
        elif block.kind == "paragraph":
            inset = block.min_indent - margin
            if previous is not None and previous.kind == "item" and inset >= 2 and inset > previous.indent - margin:
                block.kind = "continuation"
            elif (
                block.min_indent - (margin if text_indent is None else text_indent) >= INDENT
                and len(block.text.split()) >= 6
                and (len(block.lines) >= 2 or (previous is not None and previous.lines and previous.text.endswith(":"))
                     or block.text.startswith(_OPENING_QUOTE))
            ):
                block.kind = "quote"
            else:
                text_indent = block.min_indent
                if indent < 2:
                    stack = []
        elif block.kind == "heading":
            stack = []
        if block.kind == "continuation" and previous is not None:
            previous.lines.extend(block.lines)
            block.lines = []
            continue
        previous = block
