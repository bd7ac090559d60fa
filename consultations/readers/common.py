"""What every reader shares: the errors, the limits a file is held to, the result, and decoding text."""
from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass


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

def ensure_characters_within(filename: str, characters: int, limit: int) -> None:
    """Refuse a file whose text (so far) runs past ``limit`` characters."""
    if characters > limit:
        raise TooLarge(
            f"{filename} is too long to read: its text runs to more than {limit:,} characters, the most one "
            f"response may have (about {limit // 3_000:,} pages). Split it into smaller files, each under the limit, "
            "or ask the respondent for a shorter version, then try again."
        )


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
