"""Turn an uploaded file's bytes into text, trusting the content rather than the extension.

The type is sniffed from the bytes (magic numbers; inside a ZIP, the parts it holds; an
email's header block; leading HTML markup) and the file name is only used in messages, so a
PDF named ``.txt`` is read as a PDF and a ``.docx`` that is really text is read as text.

Each reader returns text in the shape the cleaner and extractor expect: one block per
paragraph, heading or list item, separated by a blank line. Headings from Word, HTML and Markdown
are written with ``#`` markers so the extractor sees them as headings whatever their length; list
items carry their number, letter or bullet and are indented four spaces for each level they are
nested (the extractor reads nested items as sub-points); quotations (a blockquote, a Word "Quote"
paragraph, a Markdown ``>`` or code block) are written with ``>`` so they are never taken as the
respondent's own words. Markdown is read with a CommonMark parser, from its structure.

Every refusal is a ``ReadError`` whose message says what the file is and what to do.

What an accepted file may expand to is limited (``DocumentLimits``: characters of text, pages of
a PDF, XML inside a Word document), and a file over a limit is refused with ``TooLarge``, naming
the limit. With ``max_seconds`` set, everything but plain text is read in a child process that is
stopped after that long: PDF, HTML and email parsers have inputs of a few kilobytes that take
minutes (a page drawing the same line a million times), which no size limit catches.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import dataclasses
import datetime as dt
import email
import email.policy
import functools
import html
import io
import json
import os
import quopri
import re
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .cleaning import INDENT, LIST_MARKER

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

ACCEPTED = (
    "Accepted formats: Word (.docx), PDF with a text layer (.pdf), plain text (.txt), Markdown (.md), "
    "web pages (.html) and emails (.eml)."
)
_TEXT_HELP = "Save the response as plain text (.txt) or Markdown (.md) in UTF-8 and try again."
_SCANNED = (
    "it looks like a scanned image with no text layer; run OCR (text recognition) on it "
    "or send the original document"
)

# Decompression-bomb limits for ZIP-based files (Word .docx, Excel .xlsx). A real response of
# a few hundred pages is a few MB of XML; these leave room for embedded images.
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_UNCOMPRESSED = 250 * 1024 * 1024
MAX_ZIP_RATIO = 200  # expanded size / compressed size of one member; XML is typically 5-30
ZIP_RATIO_FLOOR = 5 * 1024 * 1024  # members smaller than this expand harmlessly whatever the ratio
MAX_EMAIL_NESTING = 3  # an email attached to an email attached to an email
CHILD_MEMORY = 2 * 1024 * 1024 * 1024  # address space of the child process that reads a file


class ReadError(ValueError):
    """The file cannot be read as a response; the message says why and what to do."""


class TooLarge(ReadError):
    """The file is readable but expands beyond a limit of ``DocumentLimits``; the message names it."""


@dataclass(frozen=True)
class DocumentLimits:
    """How far an accepted file may expand when read. The defaults suit a response of a few
    hundred pages and keep the slowest file within them to seconds; the web app and the commands
    take theirs from the configuration (``TRACKER_DOCUMENT_MAX_*``)."""

    #: Characters of text, all formats (an email: its body and attachments together).
    max_characters: int = 1_000_000
    #: Pages of a PDF.
    max_pages: int = 1_000
    #: Uncompressed XML inside a Word document (python-docx holds all of it in memory, about
    #: ten times over, and reads it at about a megabyte a second when built to be slow).
    max_xml_bytes: int = 10 * 1024 * 1024
    #: Read in a child process stopped after this many seconds; None reads in this process.
    max_seconds: float | None = None


DEFAULT_LIMITS = DocumentLimits()


@dataclass(frozen=True)
class DocumentText:
    text: str
    media_type: str
    #: Things the reader skipped that a person should know about (an unreadable attachment,
    #: pages of a PDF without text); the document was still read.
    warnings: tuple[str, ...] = ()
    #: The date the document says it was sent (an email's Date header), if any.
    sent_on: dt.date | None = None


# --- sniffing -----------------------------------------------------------------------------

# Formats we recognise but do not read, with what to say about them.
_REFUSED_SIGNATURES = [
    (b"\xd0\xcf\x11\xe0", "an old-style Microsoft Office file (Word .doc, Excel .xls or an Outlook .msg "
                          "message). Save a document as .docx or PDF, or an email as .eml, and try again"),
    (b"{\\rtf", "a Rich Text Format (.rtf) document. Save it as .docx or PDF and try again"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x7fELF", "a program (executable file)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
]
_IMAGE_HELP = (
    ". If it is a scan of a letter, run OCR (text recognition) on it and upload the text, "
    "or ask the respondent for the original document"
)

# Leading comments as one optional group: "(?:<!--.*?-->\s*)*" matches the same (a comment may hold
# "--><!--"), but tries every way of splitting a run of comments when no tag follows: 2**n of them.
_HTML_START = re.compile(
    rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)?<(?:!doctype\s+html|html|head|body|meta|title|p|div|h[1-6]|table|ul|ol)\b",
    re.IGNORECASE | re.DOTALL,
)
_HEADER_LINE = re.compile(rb"^([!-9;-~]+):")
_EMAIL_HEADERS = {b"to", b"subject", b"date", b"message-id", b"mime-version", b"received", b"return-path",
                  b"content-type", b"cc", b"reply-to", b"x-mailer", b"delivered-to"}


def sniff(data: bytes) -> str:
    """The kind of file ``data`` is: pdf, docx, xlsx, email, html or text.

    Raises ``ReadError`` for anything recognisably not a written response, naming it.
    """
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-" or (b"%PDF-" in head and b"%%EOF" in data[-2048:]):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    for signature, description in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            raise _Refused(description + (_IMAGE_HELP if "image" in description else ""))
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        raise _Refused("a Windows program (executable file)")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise _Refused("a WebP image" + _IMAGE_HELP)
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in data[:8192]:
        raise _Refused("a binary file of a type that is not recognised")
    if _looks_like_email(data):
        return "email"
    if _HTML_START.match(_ascii_head(data)):
        return "html"
    return "text"


class _Refused(Exception):
    """A sniffed description of a file we will not read (turned into a ReadError with its name)."""


def _ascii_head(data: bytes) -> bytes:
    """The first bytes, as ASCII-compatible bytes (UTF-16 transcoded), without BOM or leading space."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data[:4096].decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    return data[:4096].removeprefix(codecs.BOM_UTF8).lstrip()


def _looks_like_email(data: bytes) -> bool:
    """An RFC 822 header block (optionally after an mbox ``From `` line) then a blank line,
    with a From header and at least one other header only emails have."""
    lines = data[:16384].splitlines()
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    names: list[bytes] = []
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t") and names:
            continue  # a folded continuation of the previous header
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.append(match.group(1).lower())
    else:
        return False  # no blank line ends the header block
    return b"from" in names and any(name in _EMAIL_HEADERS for name in names)


def _sniff_zip(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _Refused("a damaged ZIP-based file (perhaps a Word document that was not copied completely). "
                       "Open it and save it again, or save it as PDF") from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        raise _Refused("a PowerPoint presentation (.pptx). Save it as PDF and try again")
    if "mimetype" in names and "content.xml" in names:
        raise _Refused("an OpenDocument file (.odt, .ods or .odp). Save it as .docx or PDF and try again")
    if "[Content_Types].xml" in names:
        raise _Refused("an Office file of a kind that is not a Word document. Save it as .docx or PDF and try again")
    raise _Refused("a ZIP archive. Unzip it and upload the documents inside it")


def ensure_safe_zip(filename: str, data: bytes | Path, max_uncompressed: int | None = None) -> None:
    """Refuse a ZIP-based file (.docx, .xlsx) that would expand to an unreasonable size.

    Checks the member count, the declared uncompressed total (``MAX_ZIP_UNCOMPRESSED`` unless
    given: a survey workbook may rightly be larger than any document) and each large
    member's compression ratio before anything is decompressed. Declared sizes cannot be
    used to lie past these checks: ``zipfile`` stops at a member's declared size and the CRC
    check then fails, which the readers report as a damaged file.
    """
    limit = MAX_ZIP_UNCOMPRESSED if max_uncompressed is None else max_uncompressed
    try:
        with zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ReadError(f"{filename} is a damaged ZIP-based file. Open it and save it again.") from None
    bomb = f"{filename} was refused as a possible decompression bomb:"
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReadError(f"{bomb} it holds {len(infos):,} parts (at most {MAX_ZIP_MEMBERS:,} are accepted).")
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise ReadError(f"{bomb} it would expand to {_megabytes(total)} "
                        f"(at most {_megabytes(limit)} is accepted).")
    for info in infos:
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise ReadError(f"{bomb} its part {info.filename} expands from {_megabytes(info.compress_size)} "
                            f"to {_megabytes(info.file_size)}, far more than any real document.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


_BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".wdp", ".jfif",
                 ".bin", ".odttf", ".ttf", ".otf", ".fntdata", ".mp3", ".mp4", ".wav", ".avi", ".mov", ".svg")


def xml_bytes(data: bytes) -> int:
    """How many bytes of XML a Word document (a ZIP) expands to, from its table of contents.

    Pictures and other binary parts do not count (they are held as they are, not parsed), unless
    they compress like text: XML named as a picture would still be parsed if the package says so."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    return sum(info.file_size for info in infos
               if not (info.filename.lower().endswith(_BINARY_PARTS) and info.file_size < 2 * max(info.compress_size, 1)))


def ensure_xml_within(filename: str, data: bytes, limit: int) -> None:
    """Refuse a Word document whose XML parts expand beyond ``limit`` bytes, before any is parsed."""
    xml = xml_bytes(data)
    if xml > limit:
        raise TooLarge(
            f"{filename} is a Word document too large to read: it expands to {_megabytes(xml)} of text and "
            f"formatting (XML), more than the {_megabytes(limit)} a document may have. Save it as PDF, or split "
            "it into smaller documents, then try again."
        )


# --- reading --------------------------------------------------------------------------------

KIND_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": DOCX_TYPE,
    "email": "message/rfc822",
    "html": "text/html",
    "text": "text/plain",
}
#: File name extensions that match each media type (the first is used to correct a wrong one).
MEDIA_TYPE_EXTENSIONS = {
    "application/pdf": (".pdf",),
    DOCX_TYPE: (".docx",),
    "message/rfc822": (".eml",),
    "text/html": (".html", ".htm"),
    "text/plain": (".txt", ".text"),
    "text/markdown": (".md", ".markdown"),
}


def read_document(filename: str, data: bytes, *, limits: DocumentLimits = DEFAULT_LIMITS,
                  _depth: int = 0) -> DocumentText:
    """Read a written response of any accepted format. Raises ``ReadError`` with a user-facing
    message (``TooLarge`` when the file is beyond ``limits``)."""
    if not data.strip():
        raise ReadError(f"{filename} is empty: there is no text to read.")
    try:
        kind = sniff(data)
    except _Refused as refused:
        raise ReadError(f"{filename} is {refused}. {ACCEPTED}") from None
    if kind == "xlsx":
        raise ReadError(
            f"{filename} is an Excel workbook (.xlsx), not a written response. Survey exports are imported "
            f"with the survey import, not as a response. {ACCEPTED}"
        )
    if kind == "text":
        text = _decode(filename, data)
        media_type = "text/markdown" if filename.lower().endswith((".md", ".markdown")) else "text/plain"
        if not (media_type == "text/markdown" or looks_like_markdown(text)):
            result = DocumentText(text, media_type)
        elif limits.max_seconds is not None:
            ensure_characters_within(filename, len(text), limits.max_characters)
            result = _read_in_child(filename, data, limits)
        else:
            ensure_characters_within(filename, len(text), limits.max_characters)
            result = DocumentText(_markdown_text(filename, text), media_type)
    elif limits.max_seconds is not None:
        result = _read_in_child(filename, data, limits)
    elif kind == "pdf":
        result = _read_pdf(filename, data, limits)
    elif kind == "docx":
        ensure_safe_zip(filename, data)
        ensure_xml_within(filename, data, limits.max_xml_bytes)
        result = _read_docx(filename, data, limits)
    elif kind == "email":
        result = _read_email(filename, data, _depth, limits)
    else:
        result = DocumentText(_html_text(filename, _decode_html(filename, data)), "text/html")
    if "\x00" in result.text:
        raise ReadError(f"{filename} looks like a binary file, not text. {_TEXT_HELP}")
    if not result.text.strip():
        raise ReadError(f"{filename} is empty: there is no text to read.")
    ensure_characters_within(filename, len(result.text), limits.max_characters)
    return result


def ensure_characters_within(filename: str, characters: int, limit: int) -> None:
    """Refuse a file whose text (so far) runs past ``limit`` characters."""
    if characters > limit:
        raise TooLarge(
            f"{filename} is too long to read: its text runs to more than {limit:,} characters, the most one "
            f"response may have (about {limit // 3_000:,} pages). Split it into smaller files, each under the limit, "
            "or ask the respondent for a shorter version, then try again."
        )


# --- reading in a child process ---------------------------------------------------------------


def _read_in_child(filename: str, data: bytes, limits: DocumentLimits) -> DocumentText:
    """``read_document`` in a child process, stopped after ``limits.max_seconds`` and held to
    ``CHILD_MEMORY``: whatever a parser does with a file, this process and its memory are safe."""
    job = json.dumps({"filename": filename, "limits": dataclasses.asdict(dataclasses.replace(limits, max_seconds=None))})
    path = os.pathsep.join(entry for entry in sys.path if entry)  # the child imports what this process does
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from consultations.readers import _child; _child()", job], input=data,
            capture_output=True, timeout=limits.max_seconds, env={**os.environ, "PYTHONPATH": path},
        )
    except subprocess.TimeoutExpired:
        raise TooLarge(
            f"{filename} took more than {seconds(limits.max_seconds)} to read, so reading it was stopped. "
            "A file that is not very long can still be slow to read when it is built oddly (for example, "
            "pages of complex drawings). Save or print it as a new PDF, or copy its text into a .txt file, "
            "then try again."
        ) from None
    except OSError as error:
        raise ReadError(f"{filename} could not be read just now ({error.strerror or error}). Try again.") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {"error": f"{filename} could not be read: reading it needed more memory than is allowed "
                           f"({CHILD_MEMORY // 1024 // 1024:,} MB), or failed. It may be damaged. Save it "
                           "again as PDF or .docx, or copy its text into a .txt file, then try again."}
    if "error" in answer:
        raise (TooLarge if answer.get("too_large") else ReadError)(answer["error"])
    sent_on = dt.date.fromisoformat(answer["sent_on"]) if answer["sent_on"] else None
    return DocumentText(answer["text"], answer["media_type"], tuple(answer["warnings"]), sent_on)


def seconds(value: float) -> str:
    """1 second, 2.5 seconds."""
    return "1 second" if value == 1 else f"{value:g} seconds"


def _child() -> None:
    """The child's side of ``_read_in_child``: the file on standard input, the result as JSON."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    except (ImportError, ValueError, OSError):  # not on this system, or a lower limit is already set
        pass
    job = json.loads(sys.argv[1])
    try:
        found = read_document(job["filename"], sys.stdin.buffer.read(), limits=DocumentLimits(**job["limits"]))
        answer = {"text": found.text, "media_type": found.media_type, "warnings": list(found.warnings),
                  "sent_on": found.sent_on.isoformat() if found.sent_on else None}
    except ReadError as error:
        answer = {"error": str(error), "too_large": isinstance(error, TooLarge)}
    sys.stdout.write(json.dumps(answer))


def _decode(filename: str, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ReadError(
                f"{filename} starts as UTF-16 text but bytes {error.start} to {error.end} cannot be decoded: it may be "
                f"damaged, or not text at all. {_TEXT_HELP}"
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start]
        raise ReadError(
            f"{filename} is not UTF-8 text: byte 0x{bad:02x} at position {error.start} "
            f"cannot be decoded (the file may be in another encoding such as Windows-1252). "
            f"{_TEXT_HELP}"
        ) from None


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


# --- PDF ------------------------------------------------------------------------------------


def _read_pdf(filename: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    """Text page by page. Pages without text are reported; a PDF with none is refused. The page
    count is checked before any page is read (from the count the PDF declares, then from its page
    tree), and the characters after each page."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    damaged = (f"{filename} looks like a PDF but could not be read: it may be damaged or incomplete. "
               "Open it and save or print it to a new PDF, then try again.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns about every oddity of real-world files
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")  # restrictions-only PDFs open with an empty password
                except (DependencyError, NotImplementedError):
                    raise ReadError(
                        f"{filename} is an encrypted PDF (AES) that cannot be opened here. Print it to a new PDF, "
                        "or ask the respondent for a copy without encryption, then try again."
                    ) from None
                if not opened:
                    raise ReadError(
                        f"{filename} is a password-protected (encrypted) PDF, so its text cannot be read. "
                        "Ask the respondent for a copy without a password, or save it without one, then try again."
                    )
            _ensure_pages_within(filename, _declared_pages(reader), limits.max_pages)
            pages = list(reader.pages)  # pypdf walks the whole page tree for this
        except ReadError:
            raise
        except Exception:  # pypdf raises many kinds on damaged files; all mean the same to the reader
            raise ReadError(damaged) from None
        if not pages:
            raise ReadError(f"{filename} is a PDF with no pages. {ACCEPTED}")
        _ensure_pages_within(filename, len(pages), limits.max_pages)
        texts, blank, characters = [], [], -2  # the length of "\n\f\n".join(texts) + "\n", as it grows
        for number, page in enumerate(pages, start=1):
            text = _page_text(page)
            if text.strip():
                texts.append(text.strip())
                characters += len(texts[-1]) + 3
                ensure_characters_within(filename, characters, limits.max_characters)
            else:
                blank.append(number)
    if not texts:
        raise ReadError(f"{filename} is a PDF without any text: {_SCANNED}.")
    found = []
    if blank:
        pages_named = _page_list(blank)
        found.append(f"{filename}: {pages_named} of {len(pages)} {'has' if len(blank) == 1 else 'have'} "
                     f"no text (scanned images?), so {'its' if len(blank) == 1 else 'their'} content is missing. "
                     "Run OCR on the PDF, or check the original, if those pages matter.")
    return DocumentText("\n\f\n".join(texts) + "\n", "application/pdf", tuple(found))


def _declared_pages(reader) -> int:
    """The page count the PDF states, read without walking its page tree (60,000 pages take pypdf
    five seconds to walk). A PDF that understates it is caught once the tree is walked."""
    count = reader.root_object["/Pages"].get_object().get("/Count", 0)
    return count if isinstance(count, int) else 0


def _ensure_pages_within(filename: str, pages: int, limit: int) -> None:
    if pages > limit:
        raise TooLarge(
            f"{filename} has {pages:,} pages, more than the {limit:,} a PDF may have. Split it into smaller PDFs, "
            "or leave out pages that are not part of the response (such as appendices already published), "
            "then try again."
        )


_COLUMN_GAP = re.compile(r"\S {4,}\S")
COLUMN_LINES = 0.4  # share of lines with a wide gap inside that marks a page set in columns


def _page_text(page) -> str:
    """A page's text in pypdf's layout mode, which leaves a blank line where the page has a gap
    between paragraphs (the plain mode runs paragraphs together, and the extractor then reads
    several as one). Layout mode puts columns side by side on each line, so a page where many
    lines have a wide gap inside is read in the plain mode, which follows the text column by column."""
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is stricter about some damaged pages; the plain mode may still work
        text = ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and sum(1 for line in lines if _COLUMN_GAP.search(line)) < COLUMN_LINES * len(lines):
        return "\n".join(line.rstrip() for line in text.splitlines())
    try:
        return page.extract_text() or ""
    except Exception:  # one damaged page should not lose the others
        return ""


def _page_list(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(map(str, numbers[:10])) + (" ..." if len(numbers) > 10 else "")
    return f"pages {shown}"


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


# --- email ----------------------------------------------------------------------------------


def _read_email(filename: str, data: bytes, depth: int, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        return _email_text(filename, message, depth, limits)
    except (ReadError, MemoryError):
        raise
    except Exception:  # the email package fails in many ways on damaged messages (a RecursionError too)
        raise ReadError(f"{filename} looks like an email but could not be read: it may be damaged. "
                        "Save the email again from your mail program as .eml, then try again.") from None


def _sniff_quietly(data: bytes) -> str | None:
    try:
        return sniff(data)
    except _Refused:
        return None


def _email_text(filename: str, message, depth: int, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentText:
    """The subject as a heading, the body (plain text preferred), then each attachment read
    with the same readers under its own heading. Unreadable attachments become warnings; an
    attachment beyond a limit refuses the email, and so does the text of all of them together
    going past ``limits.max_characters``."""
    found: list[str] = []
    sections: list[str] = []
    subject = " ".join(str(message.get("subject", "") or "").split())
    body = message.get_body(preferencelist=("plain", "html"))
    body_text = ""
    if body is not None:
        content = _part_text(body)
        body_text = _html_text(filename, content) if body.get_content_type() == "text/html" else content
    if body_text.strip():
        sections.append(body_text.strip())
    characters = len(subject) + len(body_text)
    ensure_characters_within(filename, characters, limits.max_characters)

    attachments_read = 0
    for number, part in enumerate(message.iter_attachments(), start=1):
        name = _attachment_name(part, number)
        content_type = part.get_content_type()
        if content_type.startswith("image/") and part.get("content-id") and not part.get_filename():
            continue  # a logo or picture shown inside the message, not a document sent with it
        try:
            if content_type == "message/rfc822":
                if depth >= MAX_EMAIL_NESTING:
                    raise ReadError(f"{name} is an email nested more than {MAX_EMAIL_NESTING} deep; it was not read.")
                child = _email_text(name, _attached_message(name, part), depth + 1, limits)
            else:
                payload = part.get_payload(decode=True) or b""
                if content_type == "text/plain" and _sniff_quietly(payload) == "text":
                    payload = _part_text(part).encode("utf-8")  # decoded from its declared charset
                child = read_document(name, payload, limits=limits, _depth=depth + 1)
        except TooLarge as error:
            raise TooLarge(f"{filename} could not be read because of an attachment: {error}") from None
        except ReadError as error:
            found.append(f"Attachment {name} was not read: {str(error).replace(' ' + ACCEPTED, '')}")
            continue
        attachments_read += 1
        sections.append(f"# Attachment: {name}\n\n{child.text.strip()}")
        found.extend(child.warnings)
        characters += len(child.text)
        ensure_characters_within(filename, characters, limits.max_characters)

    if not sections:
        reasons = " ".join(found)
        raise ReadError(
            f"{filename} is an email with no readable text: its body is empty and "
            + ("none of its attachments could be read. " + reasons if found else "it has no attachments.")
        )
    if subject:
        sections.insert(0, f"# {subject}")
    return DocumentText("\n\n".join(sections) + "\n", "message/rfc822", tuple(found), _email_date(message))


def _attached_message(name: str, part):
    """An attached email. Some mail programs base64-encode it, which the standard parser
    leaves as an encoded body without headers, so that is decoded and parsed here."""
    inner = part.get_content()
    encoding = str(part.get("content-transfer-encoding", "")).lower()
    if encoding in ("base64", "quoted-printable") and not inner.is_multipart():
        encoded = str(inner.get_payload())
        try:
            data = (base64.b64decode(encoded) if encoding == "base64"
                    else quopri.decodestring(encoded.encode("ascii", errors="replace")))
        except (binascii.Error, ValueError):
            raise ReadError(f"{name} is an attached email that is damaged; it was not read.") from None
        inner = email.message_from_bytes(data, policy=email.policy.default)
    return inner


def _part_text(part) -> str:
    """A text part's content in its declared charset; unknown charsets are read as UTF-8."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _attachment_name(part, number: int) -> str:
    name = part.get_filename()
    if name:
        return " ".join(html.unescape(str(name)).replace("/", " ").replace("\\", " ").split())[:200]
    return f"attachment {number} ({part.get_content_type()})"


def _email_date(message) -> dt.date | None:
    try:
        header = message.get("date")
        value = getattr(header, "datetime", None)
    except (TypeError, ValueError, IndexError):
        return None
    return value.date() if isinstance(value, dt.datetime) else None
