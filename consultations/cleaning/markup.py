"""Step 6: Markdown-style markup (emphasis, links, images, code) removed from block text."""
from __future__ import annotations

import bisect
import re

from .blocks import _Block
from .patterns import INDENT, _ATX


# --- 6. markup ----------------------------------------------------------------------------------

_IMAGE_INLINE = re.compile(r"!\[[^\[\]\n]*\]\([^()\s]*\)")
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\)")
_SINGLE_STAR = re.compile(r"(?<![\w*\\])\*([^\s*](?:[^*\n]*[^\s*])?)\*(?![\w*])")
_SINGLE_UNDERSCORE = re.compile(r"(?<![\w\\])_([^\s_](?:[^_\n]*[^\s_])?)_(?!\w)")
_STRIKE = re.compile(r"~~([^~\n]+)~~")
_CODE = re.compile(r"`([^`\n]+)`")


def strip_markup(block: str) -> str:
    """The text a reader sees: Markdown links as their words, emphasis, strike-through and code
    marks removed. Every pattern stops at the next mark of its kind, so a line full of unclosed
    marks is read in one pass.

    >>> strip_markup("We *urge* the **department** to read [our report](https://example.org/r) and `act`.")
    'We urge the department to read our report and act.'
    >>> strip_markup("snake_case_names and 2 * 3 * 4 stay")
    'snake_case_names and 2 * 3 * 4 stay'
    """
    if "[" in block:
        block = _LINK.sub(r"\1", _IMAGE_INLINE.sub("", block))
    block = _strip_emphasis(block)
    if "*" in block:
        block = _SINGLE_STAR.sub(r"\1", block)
    if "_" in block:
        block = _SINGLE_UNDERSCORE.sub(r"\1", block)
    if "~~" in block:
        block = _STRIKE.sub(r"\1", block)
    if "`" in block:
        block = _CODE.sub(r"\1", block)
    return block


def _strip_emphasis(block: str) -> str:
    """``_EMPHASIS.sub(r"\\2", block)`` for a block (one line): **bold** and __bold__ lose their
    markers. The regex looks for a closing marker to the end of the line from every opening one,
    so a line of many unclosed ``**`` takes quadratic time; here each opening marker finds the
    first closing one after it by bisection."""
    if "**" not in block and "__" not in block:
        return block
    markers = [m.start() for m in re.finditer(r"(?=\*\*|__)", block)]  # overlapping: '***' holds two
    closers = {marker: [j for j in markers if block.startswith(marker, j) and j and not block[j - 1].isspace()]
               for marker in ("**", "__")}
    out, done = [], 0
    for i in markers:
        if i < done or i + 2 >= len(block) or block[i + 2].isspace():
            continue
        candidates = closers[block[i : i + 2]]
        k = bisect.bisect_left(candidates, i + 3)  # at least one character inside
        if k < len(candidates):
            j = candidates[k]
            out += [block[done:i], block[i + 2 : j]]
            done = j + 2
    out.append(block[done:])
    return "".join(out)


def _render(block: _Block) -> str:
    if not block.lines:
        return ""
    text = strip_markup(block.text)
    if block.kind == "quote":
        return "> " + text if text else ""
    if block.kind == "heading" and not _ATX.match(text):
        return text.strip("*_ ").rstrip(":").strip() or text  # a line in bold on its own
    if block.kind == "item":
        return " " * (INDENT * block.depth) + text
    return text
