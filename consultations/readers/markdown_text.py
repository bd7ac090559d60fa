"""Markdown, read from its CommonMark structure, front matter kept as plain lines."""
from __future__ import annotations

import functools
import re

from ..cleaning import LIST_MARKER
from .common import ReadError
from .word import _reason


# --- Markdown -------------------------------------------------------------------------------

# Signs that plain text is written in Markdown: a '#' heading, a link, a fenced block, or a list
# item indented under another. Text extracted from a PDF and saved as .txt has none of them.
_MARKDOWN_SIGNS = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S|\[[^\[\]\n]+\]\([^()\s]+\)|^ {0,3}(?:```|~~~)"
    r"|^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S[^\n]*\n(?: {2,}|\t)(?:[-*+]|\d{1,3}[.)])[ \t]+\S",
    re.MULTILINE,
)
def looks_like_markdown(text: str) -> bool:
    """Plain text with a Markdown heading, link, fenced block or nested list in it.

    >>> looks_like_markdown("## Funding\\nThe agency must ..."), looks_like_markdown("Funding\\n\\nThe agency must ...")
    (True, False)
    """
    return bool(_MARKDOWN_SIGNS.search(text[:200_000]))


@functools.cache
def _markdown_parser():
    from markdown_it import MarkdownIt  # imported here: only needed when Markdown arrives

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _markdown_text(filename: str, source: str) -> str:
    """``markdown_to_text``, with a parser failure turned into a refusal."""
    try:
        return markdown_to_text(source)
    except (ReadError, MemoryError):
        raise
    except Exception as error:
        raise ReadError(f"{filename} looks like Markdown but could not be read ({_reason(error)}). "
                        "Save it as plain text (.txt) and try again.") from None


def markdown_to_text(source: str) -> str:
    """Blocks of text from Markdown, read with a CommonMark parser (markdown-it-py): headings
    marked ``#``; list items with their number or ``-``, indented as in the source so that the
    cleaner nests them (a lettered line inside an item, "a. ...", which Markdown does not read as
    a list, becomes an item of its own); block quotes and code blocks marked ``>``; table rows as
    cells separated by `` | ``; links as their words, emphasis without its marks.

    >>> print(markdown_to_text("## Funding\\nThe agency **must** act.\\n\\n1. [We](x) ask:\\n   - that\\n"))
    ## Funding
    <BLANKLINE>
    The agency must act.
    <BLANKLINE>
    1. We ask:
    <BLANKLINE>
       - that
    <BLANKLINE>
    """
    metadata, source = split_front_matter(source)
    reader = _MarkdownBlocks(source.split("\n"))
    for token in _markdown_parser().parse(source):
        reader.token(token)
    blocks = metadata + reader.blocks
    return "\n\n".join(blocks) + "\n" if blocks else ""


# YAML front matter: "---" on the first line, "key: value" lines (or their list items), "---".
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n((?:[ \t]*(?:[\w-]+[ \t]*:.*|-[ \t].*)?\n){1,60}?)---[ \t]*\n")


def split_front_matter(source: str) -> tuple[list[str], str]:
    """A post's YAML front matter (title, date, author ...) as one block per field, and the
    Markdown after it: CommonMark would otherwise read it as a heading run into one line
    ("title: ... date: ... author: ..."). Each field stays a block of its own, its name
    capitalised so that no field reads as the rest of the sentence before it, and "Author: X"
    still marks the document as an article.

    >>> split_front_matter("---\\ntitle: Rules\\nauthor: OWA\\n---\\nText\\n")
    (['Title: Rules', 'Author: OWA'], 'Text\\n')
    """
    found = _FRONT_MATTER.match(source)
    if found is None:
        return [], source
    fields = [line.strip() for line in found.group(1).split("\n") if line.strip() and ":" in line]
    return [field[:1].upper() + field[1:] for field in fields], source[found.end():]


class _MarkdownBlocks:
    """Walks markdown-it's block tokens, writing the reader's blocks. The parser's line map of
    each token gives the indentation of list items in the source."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.blocks: list[str] = []
        self.items: list[dict] = []  # open list items: marker, indentation, whether written yet
        self.quote = 0
        self.heading = 0
        self.cells: list[str] | None = None

    def _indent(self, line: int) -> int:
        """Columns before the text of source line ``line``, after any quotation marks."""
        text = self.lines[line].expandtabs(4) if 0 <= line < len(self.lines) else ""
        if self.quote:
            text = re.sub(r"^\s{0,3}(?:>\s?)+", "", text)
        return len(text) - len(text.lstrip())

    def _write(self, text: str) -> None:
        if text.strip():
            self.blocks.append("> " + " ".join(text.split()) if self.quote else text.rstrip())

    def token(self, token) -> None:
        kind = token.type
        if kind == "heading_open":
            self.heading = int(token.tag[1])
        elif kind == "heading_close":
            self.heading = 0
        elif kind in ("blockquote_open", "blockquote_close"):
            self.quote += 1 if kind == "blockquote_open" else -1
        elif kind == "list_item_open":
            marker = f"{token.info}{token.markup}" if token.markup in (".", ")") else "-"
            line = token.map[0] if token.map else -1
            self.items.append({"marker": marker, "indent": self._indent(line), "written": False})
        elif kind == "list_item_close":
            self.items.pop()
        elif kind in ("code_block", "fence"):
            if token.content.strip():  # an indented or fenced passage: shown as a quotation
                self.blocks.append("> " + " ".join(token.content.split()))
        elif kind == "html_block":
            self._write(" ".join(re.sub(r"<[^>]*>", " ", token.content).split()))
        elif kind == "tr_open":
            self.cells = []
        elif kind == "tr_close":
            if self.cells:
                self._write(" | ".join(cell for cell in self.cells if cell))
            self.cells = None
        elif kind == "inline":
            self._inline(token)

    def _inline(self, token) -> None:
        rendered = [line.strip() for line in _inline_lines(token)]
        if self.cells is not None:
            self.cells.append(" ".join(" ".join(rendered).split()))
            return
        if self.heading:
            self._write("#" * self.heading + " " + " ".join(" ".join(rendered).split()))
            return
        first = token.map[0] if token.map else -1
        item = self.items[-1] if self.items and not self.items[-1]["written"] else None
        pieces: list[list] = []  # [indentation (None: a paragraph), marker, lines]
        for n, text in enumerate(rendered):
            if n == 0 and item is not None:
                pieces.append([item["indent"], item["marker"] + " ", [text]])
                item["written"] = True
            elif (n or self.items) and LIST_MARKER.match(text):  # "a. ..." in an item: not a list to Markdown
                base = self.items[-1]["indent"] + 2 if self.items else 0
                pieces.append([max(base, self._indent(first + n)), "", [text]])
            elif n == 0:
                pieces.append([None, "", [text]])
            else:
                pieces[-1][2].append(text)
        for indent, marker, lines in pieces:
            body = " ".join(" ".join(lines).split())
            if indent is not None:
                self._write(" " * indent + marker + body)
            elif self.items and self.blocks and not self.quote:
                self.blocks[-1] += " " + body  # a later paragraph of a list item carries it on
            else:
                self._write(body)


def _inline_lines(token) -> list[str]:
    """The text of an inline token, line by line, as a reader sees it: links as their words,
    emphasis and code without their marks, images and raw HTML left out."""
    lines = [""]
    for child in token.children or ():
        if child.type in ("softbreak", "hardbreak"):
            lines.append("")
        elif child.type in ("text", "code_inline"):
            lines[-1] += child.content
    return lines
