"""``clean_text``: the steps, in order (see the package)."""
from __future__ import annotations

from .blocks import _reflow
from .furniture import _furniture_mask
from .headings import _split_glued_headings
from .layout import _layout, _margins
from .markup import _render
from .patterns import INDENT, _Line, _ZERO_WIDTH
from .sentences import _rejoin


def clean_text(raw: str) -> str:
    """Return the cleaned text: blocks separated by one blank line, ending in a newline."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").translate(_ZERO_WIDTH)
    lines: list[_Line] = []
    for page, page_text in enumerate(text.split("\f")):
        if page:
            lines.append(_Line("", page, cut=True))
        lines.extend(_Line(line.rstrip().expandtabs(INDENT), page) for line in page_text.split("\n"))
    for line, keep in zip(lines, _furniture_mask(lines)):
        if not keep:
            line.cut = True
    blocks = _reflow(lines)
    blocks = _rejoin(blocks)
    blocks = _split_glued_headings(blocks)
    _layout(blocks, _margins(lines))
    out = [_render(block) for block in blocks]
    out = [block for block in out if block.strip()]
    return "\n\n".join(out) + "\n" if out else ""
