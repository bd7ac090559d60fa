"""Web pages: the visible text as blocks, headings marked, scripts and navigation skipped."""
from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from ..cleaning import INDENT
from .common import ReadError, _decode
from .word import _int, _list_label, _reason


# --- HTML -----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)


def _decode_html(filename: str, data: bytes) -> str:
    """The declared charset if any, else UTF-8, else Windows-1252 (what browsers assume)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return _decode(filename, data)
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(codecs.lookup(declared.group(1).decode("ascii")).name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_SKIPPED_TAGS = {"script", "style", "head", "template", "noscript", "svg", "math", "nav", "iframe", "object", "select"}
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "html", "legend", "main",
    "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr",
}
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
              "track", "wbr"}


def _html_text(filename: str, markup: str) -> str:
    """``html_to_text``, with the parser's own failures on broken markup (it asserts on a stray
    ``<![``) turned into a refusal."""
    try:
        return html_to_text(markup)
    except (ReadError, MemoryError):
        raise
    except Exception as error:
        raise ReadError(f"{filename} looks like a web page but could not be read ({_reason(error)}). Open it "
                        "in a web browser and save it again, or copy its text into a .txt file, then try again.") from None


def html_to_text(markup: str) -> str:
    """Blocks of text from HTML: headings marked with ``#``, list items with their marker,
    table rows as cells separated by `` | ``; scripts, styles and navigation dropped."""
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return "\n\n".join(parser.blocks) + "\n" if parser.blocks else ""


class _HTMLText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.skipping: list[str] = []
        self.lists: list[list] = []  # [tag, next number, type]
        self.pre = 0
        self.quote = 0  # blockquotes open: their text is written as a quotation, '> '
        self.cells = 0  # cells so far in the current table row
        self.in_cell = False

    def flush(self) -> None:
        raw = "".join(self.current)
        self.current = []
        if self.pre:
            lines = [line.rstrip() for line in raw.split("\n")]
        else:
            lines = [" ".join(line.split()) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line.strip()).strip("\n")
        if text.strip():
            text = self.prefix + text if self.prefix else text
            if self.quote:
                text = "\n".join("> " + line.strip() for line in text.split("\n"))
            self.blocks.append(text)
            self.prefix = ""

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag not in _VOID_TAGS:
                self.skipping.append(tag)
            return
        if tag in _SKIPPED_TAGS:
            self.skipping.append(tag)
            return
        attributes = dict(attrs)
        if self.in_cell and tag not in ("td", "th", "tr", "table", "br"):
            self.current.append(" ")  # paragraphs and lists inside a table cell stay in its row
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.flush()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol", "menu"):
            self.flush()
            start = _int(attributes.get("start"), 1)
            depth = sum(1 for entry in self.lists if entry[0] == "ol")
            kind = attributes.get("type") or ("1", "a", "i")[min(depth, 2)]
            self.lists.append([tag, start, kind])
        elif tag == "li":
            self.flush()
            self.prefix = " " * (INDENT * max(len(self.lists) - 1, 0)) + self._list_marker() + " "
        elif tag == "q":
            self.current.append("“")
        elif tag == "br":
            self.current.append("\n")
        elif tag in ("td", "th"):
            if self.cells:
                self.current.append(" | ")
            self.cells += 1
            self.in_cell = True
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "pre":
                self.pre += 1
            if tag == "tr":
                self.cells = 0
            if tag == "blockquote":
                self.quote += 1

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            elif tag in self.skipping:  # unbalanced markup: close up to the matching tag
                del self.skipping[self.skipping.index(tag):]
            return
        if tag in ("td", "th"):
            self.in_cell = False
            return
        if self.in_cell and tag not in ("tr", "table"):
            self.current.append(" ")
            return
        if tag in ("tr", "table"):
            self.in_cell = False
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li"):
            self.flush()
            self.prefix = ""
        elif tag in ("ul", "ol", "menu"):
            self.flush()
            for i in range(len(self.lists) - 1, -1, -1):
                if self.lists[i][0] == tag:
                    del self.lists[i:]
                    break
        elif tag == "q":
            self.current.append("”")
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag == "pre" and self.pre:
                self.pre -= 1
            if tag == "blockquote" and self.quote:
                self.quote -= 1
            if tag == "tr":
                self.cells = 0

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self.skipping:
            return
        self.current.append(data if self.pre else re.sub(r"\s+", " ", data))

    def _list_marker(self) -> str:
        if not self.lists or self.lists[-1][0] != "ol":
            return "-"
        entry = self.lists[-1]
        number, kind = entry[1], entry[2]
        entry[1] += 1
        fmt = {"a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman"}.get(kind, "decimal")
        return _list_label(number, fmt)
