"""Word (.docx): paragraphs, headings, numbered lists, tables and quotations, in document order."""
from __future__ import annotations

import functools
import io
import re

from ..cleaning import INDENT
from .common import DEFAULT_LIMITS, DOCX_TYPE, DocumentLimits, DocumentText, ReadError, ensure_characters_within


# --- Word -----------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:title|heading ([1-6]))$", re.IGNORECASE)


def _read_docx(filename: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    """Paragraphs and tables in document order; headings marked, list items numbered."""
    import docx  # imported here: python-docx is only needed when a Word file arrives

    try:
        document = docx.Document(io.BytesIO(data))
        blocks, characters = [], -1  # the length of "\n\n".join(blocks) + "\n", as it grows
        for block in _docx_blocks(document):
            blocks.append(block)
            characters += len(block) + 2
            ensure_characters_within(filename, characters, limits.max_characters)  # before reading the rest
    except ReadError:
        raise
    except Exception as error:  # python-docx raises many kinds on damaged or unusual files
        raise ReadError(
            f"{filename} looks like a Word document but could not be opened ({_reason(error)}). "
            "It may be damaged, or a macro-enabled or template file. Open it in Word and save it as "
            ".docx or PDF, then try again."
        ) from None
    return DocumentText("\n\n".join(blocks) + "\n" if blocks else "", DOCX_TYPE)


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())[:200]
    return text or type(error).__name__


def _docx_blocks(document):
    """``document.iter_inner_content()``, making a python-docx paragraph only for those with text:
    a document of a million empty paragraphs takes a second, not ten."""
    from docx.oxml.text.paragraph import CT_P
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    word = _WordParagraphs(document)
    body = document._body
    for element in body._element.inner_content_elements:
        if not isinstance(element, CT_P):
            yield from _table_rows(Table(element, body))
            continue
        text = _paragraph_text(element).replace("\t", " ").strip()
        if not text:
            continue
        item = Paragraph(element, body)
        level = word.heading_level(item)
        if level is not None:
            yield "#" * level + " " + " ".join(text.split())
            continue
        marker, level = word.marker(item)
        if marker:
            yield " " * (INDENT * level) + f"{marker} {' '.join(text.split())}"
        elif word.quotation(item):
            yield "> " + " ".join(text.split())
        else:
            yield text


@functools.cache
def _text_paths():
    from docx.oxml.ns import nsmap, qn
    from lxml import etree

    def path(expression):
        return etree.XPath(expression, namespaces=nsmap)

    return qn("w:r"), qn("w:hyperlink"), path("w:r | w:hyperlink"), path("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab")


def _paragraph_text(paragraph) -> str:
    """``Paragraph.text`` as python-docx 1.2 works it out (runs and hyperlinks; in a run, its text,
    tabs, breaks and hyphens), with the XPath expressions compiled once instead of for every run:
    a paragraph of 400,000 runs takes a second instead of five."""
    run, hyperlink, content, run_content = _text_paths()
    parts = []
    for element in content(paragraph):
        runs = element.iterchildren(run) if element.tag == hyperlink else (element,)
        parts.extend(str(child) for each in runs for child in run_content(each))
    return "".join(parts)


def _table_rows(table):
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell is returned once per grid column it spans
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            yield " | ".join(cells)


class _WordParagraphs:
    """What a paragraph's style makes it (a heading, a list item) and the number, letter or
    bullet Word shows before a list item.

    Word keeps list numbers out of the text: a paragraph names a list (``numId``) and a level
    (``ilvl``), directly or through its style, and the list's definition gives each level's
    format and start. Counters run per list; a level's next item resets the levels below it.
    Styles are looked up once per style id: python-docx's lookup scans every style each time.
    """

    def __init__(self, document):
        from docx.oxml.ns import qn

        self.qn = qn
        self.styles: dict[str | None, tuple[int | None, tuple[str | None, int] | None, str]] = {}
        self.formats: dict[tuple[str, int], tuple[str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for definition in root.findall(qn("w:abstractNum")):
            levels = {}
            for level in definition.findall(qn("w:lvl")):
                fmt = level.find(qn("w:numFmt"))
                start = level.find(qn("w:start"))
                levels[_int(level.get(qn("w:ilvl")), 0)] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    _int(start.get(qn("w:val")) if start is not None else None, 1),
                )
            abstract[definition.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = abstract.get(ref.get(qn("w:val")) if ref is not None else None, {})
            for ilvl, value in levels.items():
                self.formats[(num.get(qn("w:numId")), ilvl)] = value

    def _style(self, paragraph):
        """(heading level, (numId, ilvl) from the style chain, style name) for the paragraph's style."""
        style_id = paragraph._p.style
        if style_id not in self.styles:
            level, num_pr, style = None, None, paragraph.style
            name = (style.name or "") if style is not None else ""
            for _ in range(10):  # the chain of base styles; bounded in case a file loops
                if style is None:
                    break
                match = _HEADING_STYLE.match(style.name or "")
                if match and level is None:
                    level = int(match.group(1) or 1)
                num_pr = num_pr or self._num_pr(style.element)
                style = style.base_style
            self.styles[style_id] = (level, num_pr, name)
        return self.styles[style_id]

    def _num_pr(self, element) -> tuple[str | None, int] | None:
        qn = self.qn
        ppr = element.find(qn("w:pPr"))
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        if num_pr is None:
            return None
        num_id = num_pr.find(qn("w:numId"))
        ilvl = num_pr.find(qn("w:ilvl"))
        return (num_id.get(qn("w:val")) if num_id is not None else None,
                _int(ilvl.get(qn("w:val")) if ilvl is not None else None, 0))

    def heading_level(self, paragraph) -> int | None:
        """1-6 for Title and Heading N styles (or styles based on them), else None."""
        return self._style(paragraph)[0]

    def quotation(self, paragraph) -> bool:
        """A paragraph in a Quote style ("Quote", "Intense Quote", "Block Quotation" ...)."""
        return "quot" in self._style(paragraph)[2].lower()

    def marker(self, paragraph) -> tuple[str, int]:
        """The list marker Word shows before the paragraph ("" for none) and its list level."""
        _, from_style, name = self._style(paragraph)
        own = self._num_pr(paragraph._p)
        num_id = (own and own[0]) or (from_style and from_style[0])
        ilvl = own[1] if own else from_style[1] if from_style else 0
        if not num_id or num_id == "0":
            level = re.search(r"list bullet\s*(\d)", name.lower())
            return ("-" if "list bullet" in name.lower() else "", int(level.group(1)) - 1 if level else 0)
        fmt, start = self.formats.get((num_id, ilvl), ("decimal", 1))
        if fmt in ("bullet", "none"):
            return ("-" if fmt == "bullet" else "", ilvl)
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        return _list_label(counters[ilvl], fmt), ilvl


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _list_label(n: int, fmt: str) -> str:
    """``1.``, ``a)``, ``iv.`` ... in forms the cleaner and extractor read as list markers."""
    fmt = fmt.lower()
    if "letter" in fmt and 1 <= n <= 26:
        letter = chr(ord("a") + n - 1)
        return f"{letter.upper() if fmt.startswith('upper') else letter})"
    if "roman" in fmt and 1 <= n <= 39:
        numeral = _roman(n)
        return f"{numeral.upper() if fmt.startswith('upper') else numeral}."
    return f"{n}."


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + numeral, n - value
    return out
