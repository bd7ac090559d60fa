"""What a file is, from its bytes (never its name), and whether a ZIP inside it is safe to open."""
from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import Path

from .common import MAX_ZIP_MEMBERS, MAX_ZIP_RATIO, MAX_ZIP_UNCOMPRESSED, ReadError, TooLarge, ZIP_RATIO_FLOOR


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
