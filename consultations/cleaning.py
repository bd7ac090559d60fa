"""Clean extracted document text before anything is anchored to it.

Every reader (``consultations.readers``) gives text in one shape: a block per paragraph, heading
or list item, headings marked ``#``, quoted passages marked ``>``, nested list items indented four
spaces a level. Text from PDFs and plain-text files only approaches that shape, so the cleaner
finishes the job, and spans are character offsets into its result: cleaning happens first and
once, and what it returns is what staff read.

The rules, in the order they run (each function's docstring has an example):

1. Page furniture: page numbers, lone dates, web addresses, image placeholders, bullet glyphs on
   lines of their own, and running headers and footers (a title, the addressee's name) repeated at
   the top or bottom of pages are removed wherever they fall (``is_page_furniture``,
   ``_furniture_mask``).
2. Blocks: hard-wrapped lines are joined; a list item, a ``#`` heading, a line in bold on its own
   and a ``>`` quotation each start a block of their own (``_reflow``).
3. Cut sentences: a sentence cut by a page break, removed furniture or a stray blank line is put
   back together (``continues``).
4. Glued headings: a heading run into the first sentence of its paragraph is split from it
   (``glued_heading_end``).
5. Indentation: a list item indented under another is nested one level deeper; a paragraph set in
   from the margin is a quotation (``_layout``).
6. Markup: Markdown links, emphasis and code marks are removed, so the text shown is the reader's
   text (``strip_markup``).
"""
from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
#: Bullet glyphs, including the private-use ones a Symbol or Wingdings bullet becomes in PDF text.
BULLETS = "-•●▪◦‣∙·*–■□➢►▶✓✔❖◆◇○\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\uf0a8"
LIST_MARKER = re.compile(
    rf"^(?P<marker>(?:[{BULLETS}]\s+)?(?:\(?(?:\d{{1,3}}|[a-z]|[ivx]{{1,5}})[.)]\s+)|[{BULLETS}]\s+)",
    re.IGNORECASE,
)
#: Spaces a level of list nesting is indented by in cleaned text (readers write the same).
INDENT = 4

_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$|^p(?:age|g)?\.?\s*\d{1,4}$", re.I
)
# "Page 3 of 9" anywhere in a short line, or "Page 3" set apart at its start or end: a header or footer.
_PAGE_LABEL = re.compile(
    r"\bpage\s+\d{1,4}\s*(?:of|/)\s*\d{1,4}\b|(?:^|\s{3,}|[|–-]\s*)Page\s+\d{1,4}\s*$|^Page\s+\d{1,4}(?:\s{3,}|\s*[|–-])", re.I
)
_DATE_ONLY = re.compile(
    rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{MONTHS})\.?,?\s+\d{{4}}$|^\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}$",
    re.I,
)
_WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_IMAGE = re.compile(
    r"^(?:<!--\s*image\s*-->|\[(?:image|figure|picture|logo|photo)[^\]]*\]|\((?:image|logo)\)|!\[[^\]]*\]\([^)]*\))$",
    re.I,
)
_BULLET_ONLY = re.compile(rf"^[{BULLETS}]$")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")  # what _strip_emphasis removes, in one pass
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)
_ATX = re.compile(r"^#{1,6}(?:\s|$)")
_BOLD_LINE = re.compile(r"^(\*\*|__)[^*_\s][^*_]{0,118}\1:?$")
_CELL_GAP = re.compile(r"\s{3,}")

RUNNING_TITLE_MAX = 150
FURNITURE_NEIGHBOURHOOD = 2
#: Lines at the top and at the bottom of each page where running headers and footers are looked for.
PAGE_EDGE = 3
#: Share of pages a line must head or foot (the same words, any page number) to be a running one.
RUNNING_SHARE = 0.4


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


# --- 1. page furniture --------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    page: int
    cut: bool = False  # a page break, or furniture removed: a gap that may fall inside a sentence

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


def is_page_furniture(line: str) -> bool:
    """Lines that are furniture wherever they stand (not needing repetition to be spotted).

    >>> [is_page_furniture(line) for line in ("Page 2 of 5", "- 3 -", "April 2019", "www.clinks.org", "•", "We agree.")]
    [True, True, True, True, True, False]
    """
    stripped = line.strip()
    return bool(
        _PAGE_NUMBER.match(stripped)
        or _DATE_ONLY.match(stripped)
        or _WEB_ADDRESS.match(stripped)
        or _IMAGE.match(stripped)
        or _BULLET_ONLY.match(stripped)
    )


def running_key(line: str) -> tuple[str, int | None]:
    """What a header or footer line says once page labels are taken out, and the number left at
    its start or end, if any (a page number, when it goes up with the pages).

    >>> running_key("Department for Education          Page 2 of 5")
    ('department for education', None)
    >>> running_key("Northfield Trust response | 3")
    ('northfield trust response |', 3)
    """
    cells = [cell for cell in _CELL_GAP.split(line.strip()) if cell and not is_page_furniture(cell)]
    rest = _PAGE_LABEL.sub(" ", " ".join(cells)).strip()
    number = re.search(r"\s(\d{1,4})$|^(\d{1,4})\s", rest)
    if number:
        rest = (rest[: number.start()] + " " + rest[number.end() :]).strip()
    return " ".join(rest.split()).casefold(), int(number.group(1) or number.group(2)) if number else None


def _furniture_mask(lines: list[_Line]) -> list[bool]:
    """True for lines to keep.

    Furniture wherever it stands (``is_page_furniture``); a line with a page label in it ("Page 2
    of 5") is a header or footer whatever else it says. When the text has page breaks (a PDF), a
    line that heads or foots at least ``RUNNING_SHARE`` of the pages with the same words is a
    running header or footer; without them, running titles are short lines repeated next to other
    furniture. The document's first line is its own title, kept even when it is repeated later.
    """
    texts = [line.text for line in lines]
    keep = [True] * len(lines)
    furniture = [bool(text.strip()) and (is_page_furniture(text) or _has_page_label(text)) for text in texts]
    for i, is_furniture in enumerate(furniture):
        if is_furniture:
            keep[i] = False

    nonblank = [i for i, text in enumerate(texts) if text.strip()]
    first_line = nonblank[0] if nonblank else -1
    pages = defaultdict(list)
    for i in nonblank:
        pages[lines[i].page].append(i)
    if len(pages) >= 2:
        # Lines at the page edges saying the same on several pages; a number in them must go up
        # with the pages (a page number), so "Question 3" heading page 2 and "Question 4" page 5 stay.
        edges: dict[tuple[str, int | None], set[int]] = defaultdict(set)
        at_edge = []
        for page, numbers in pages.items():
            for i in {*numbers[:PAGE_EDGE], *numbers[-PAGE_EDGE:]}:
                if furniture[i] or not _could_be_running_title(texts[i]):
                    continue
                text_key, number = running_key(texts[i])
                key = (text_key, None if number is None else number - page)
                if text_key:
                    edges[key].add(page)
                    at_edge.append((i, key))
        needed = max(2, RUNNING_SHARE * len(pages))
        for i, key in at_edge:
            if i != first_line and len(edges[key]) >= needed:
                keep[i] = False

    _drop_footnotes(texts, keep, [line.cut for line in lines])

    position = {line_no: n for n, line_no in enumerate(nonblank)}
    candidates = Counter(_normalise(texts[i]) for i in nonblank if _could_be_running_title(texts[i]))
    for i in nonblank:
        key = _normalise(texts[i])
        if candidates.get(key, 0) < 2 or not _could_be_running_title(texts[i]):
            continue
        if i == first_line:
            continue  # the document's own title, repeated later as a running header
        n = position[i]
        window = nonblank[max(0, n - FURNITURE_NEIGHBOURHOOD) : n + FURNITURE_NEIGHBOURHOOD + 1]
        near_furniture = any(furniture[j] for j in window if j != i)
        many_words = candidates[key] >= 3 and len(key.split()) >= 4
        if near_furniture or many_words:
            keep[i] = False
    return keep


_FOOTNOTE = re.compile(r"^\s*(?:\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})\s+\S")
FOOTNOTE_LINES = 12


def _drop_footnotes(texts: list[str], keep: list[bool], breaks: list[bool]) -> None:
    """Footnotes at the foot of a page ("6 Id. at 60979."), the lines just above a running footer,
    page number or page break that start with a note's number, are furniture too: a sentence
    running over the page break then joins up across them.

    >>> texts = ["An area ONC should address is what constitutes an", "", "6 Id. at 60979.", "7 Id. at 60982.",
    ...          "page 4", "", "electronic signature."]
    >>> keep = [True, True, True, True, False, True, True]
    >>> _drop_footnotes(texts, keep, [False] * 7); keep
    [True, True, False, False, False, True, True]
    """
    for i in range(1, len(texts)):
        if (keep[i] and not breaks[i]) or not (keep[i - 1] or not texts[i - 1].strip()):
            continue  # not the first line of a run of furniture
        end = i
        while end > 0 and not texts[end - 1].strip():
            end -= 1
        start = end
        while start > 0 and keep[start - 1] and texts[start - 1].strip() and end - start < FOOTNOTE_LINES:
            start -= 1
        if start < end and (start == 0 or not texts[start - 1].strip()) and _FOOTNOTE.match(texts[start]):
            if not LIST_MARKER.match(texts[start].strip()):
                for j in range(start, end):
                    keep[j] = False


def _has_page_label(line: str) -> bool:
    """A short line naming its page ("Northfield Trust response, Page 2 of 5")."""
    stripped = line.strip()
    return (len(_normalise(stripped)) <= RUNNING_TITLE_MAX and bool(_PAGE_LABEL.search(stripped))
            and not stripped.endswith((".", ",")))


def _could_be_running_title(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(_normalise(stripped)) <= RUNNING_TITLE_MAX
        and not LIST_MARKER.match(stripped)
        and not stripped.endswith((".", ":", ";", ","))
    )


def _normalise(line: str) -> str:
    return " ".join(line.split()).casefold()


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


# --- 3. cut sentences ---------------------------------------------------------------------------

_ENDS_SENTENCE = re.compile(r"[.!?:]['\"’”)\]]*$|[.!?]\s*[¹²³⁴⁵⁶⁷⁸⁹⁰\d]{1,3}$")
_ENDS_MID_SENTENCE = re.compile(
    r"(?:,|\b(?:the|a|an|of|to|and|or|for|in|on|with|that|by|as|at|from|is|are|be|been|should|must|will|would|"
    r"could|can|may|which|who|whose|its|their|our|this|these|those|not|than|into|under|between|such))$",
    re.I,
)


def continues(before: str, after: str, *, across_cut: bool) -> bool:
    """Whether ``after`` carries on the sentence ``before`` left unfinished, when a blank line or
    (``across_cut``) a page break or removed header stands between them.

    A sentence that ends without its full stop and a next block that starts in lower case are one
    sentence. Across a page break, a next block in capitals also carries on when the first stopped
    on a word that cannot end a sentence ("... the department should").

    >>> continues("We recommend that the department consults providers before the", "new duty starts.", across_cut=True)
    True
    >>> continues("The department should", "Ensure that it consults.", across_cut=True)
    True
    >>> continues("We agree.", "the rest", across_cut=True), continues("Funding", "The agency must act.", across_cut=True)
    (False, False)
    """
    before, after = before.rstrip(), after.lstrip()
    if not before or not after or _ENDS_SENTENCE.search(before):
        return False
    if after[:1].islower():
        return across_cut or len(before.split()) >= 6 or bool(_ENDS_MID_SENTENCE.search(before))
    return across_cut and bool(_ENDS_MID_SENTENCE.search(before)) and after[:1].isalnum()


def _rejoin(blocks: list[_Block]) -> list[_Block]:
    """A paragraph that carries on the sentence of the block before it (``continues``) joins it."""
    out: list[_Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            previous is not None
            and block.kind == "paragraph"
            and previous.kind in ("paragraph", "item")
            and block.gap in ("blank", "cut")
            and continues(" ".join(line.stripped for line in previous.lines[-3:]), block.lines[0].stripped,
                          across_cut=block.gap == "cut")  # the last lines say how it ends
        ):
            previous.lines.extend(block.lines)
            continue
        out.append(block)
    return out


# --- 4. glued headings --------------------------------------------------------------------------

_MINOR = {"of", "for", "and", "the", "to", "in", "on", "a", "an", "with", "by", "at", "from", "or", "vs", "&", "-", "–"}
_PRONOUN_STARTERS = {"We", "I", "Our", "It", "Its", "This", "These", "Those", "There", "They", "Their"}
_OTHER_STARTERS = {"The", "A", "An", "In", "As", "While", "Although", "However", "For", "When", "If", "Where",
                   "Many", "Some", "All", "Most", "Overall", "Currently"}
_HEADING_WORDS = 10


def glued_heading_end(text: str) -> int | None:
    """Where a heading run into the first sentence of its paragraph ends, or None.

    PDF text often runs a heading and the first line of its paragraph together. The heading is a
    few words without sentence punctuation; the sentence starts with a word sentences start with
    ("We", "The", "This" ...) followed by a word in lower case. After "The", "In" and other
    common openings the heading must be in title case, so an ordinary sentence is left alone.

    >>> text = "Timescales for Adoption We agree that two years is too short."
    >>> text[:glued_heading_end(text)]
    'Timescales for Adoption'
    >>> glued_heading_end("Funding The agency must set out its costs."), glued_heading_end("The agency must act.")
    (7, None)
    >>> glued_heading_end("Role of the voluntary sector in probation services"), glued_heading_end("As we said, We agree.")
    (None, None)
    """
    words = text.split(" ", _HEADING_WORDS + 2)
    if len(words) < 3 or not (words[0][:1].isupper() or words[0][:1].isdigit()):
        return None
    offset = 0
    for n, word in enumerate(words[: _HEADING_WORDS + 1]):
        if n and (word in _PRONOUN_STARTERS or word in _OTHER_STARTERS) and n + 1 < len(words):
            following = words[n + 1]
            heading = words[:n]
            title_case = all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _MINOR for w in heading)
            numbered = all(re.fullmatch(r"[\d.()]+", w) for w in heading)  # "2.1 The current scheme ..."
            if (
                (following[:1].islower() or word == "I")
                and (title_case or (word in _PRONOUN_STARTERS and n <= 4))
                and not numbered
                and heading[-1].lower() not in _MINOR  # a heading does not end in "the"
            ):
                return offset - 1
        if re.search(r"[.!?;:,|\"“”()]", word) and not re.fullmatch(r"\d+(?:\.\d+)*\.?", word):
            return None
        offset += len(word) + 1
    return None


def _split_glued_headings(blocks: list[_Block]) -> list[_Block]:
    out: list[_Block] = []
    for block in blocks:
        end = glued_heading_end(block.text) if block.kind == "paragraph" else None
        if end is None:
            out.append(block)
            continue
        text = block.text
        page, indent = block.lines[0].page, " " * block.indent
        out.append(_Block("paragraph", [_Line(indent + text[:end], page)], block.gap))
        out.append(_Block("paragraph", [_Line(indent + text[end:].strip(), page)], "blank"))
    return out


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
