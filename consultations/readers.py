"""Turn an uploaded file's bytes into text, trusting the content rather than the extension."""
from __future__ import annotations

import codecs
from dataclasses import dataclass


class ReadError(ValueError):
    """The file cannot be read as a response; the message says why and what to do."""


@dataclass(frozen=True)
class DocumentText:
    text: str
    media_type: str


# Signatures of formats we recognise but cannot read as text yet.
_BINARY_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP-based document (Word .docx, Excel .xlsx or a ZIP archive)",
    b"\xd0\xcf\x11\xe0": "an old-style Microsoft Office document (.doc or .xls)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}

_TEXT_HELP = "Save the response as plain text (.txt) or Markdown (.md) in UTF-8 and try again."


def read_document(filename: str, data: bytes) -> DocumentText:
    """Decode a written response. Raises ``ReadError`` with a user-facing message."""
    if not data.strip():
        raise ReadError(f"{filename} is empty: there is no text to read.")
    for signature, description in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ReadError(f"{filename} is {description}, which cannot be read yet. {_TEXT_HELP}")
    text = _decode(filename, data)
    if "\x00" in text:
        raise ReadError(f"{filename} looks like a binary file, not text. {_TEXT_HELP}")
    if not text.strip():
        raise ReadError(f"{filename} is empty: there is no text to read.")
    media_type = "text/markdown" if filename.lower().endswith((".md", ".markdown")) else "text/plain"
    return DocumentText(text=text, media_type=media_type)


def _decode(filename: str, data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start]
        raise ReadError(
            f"{filename} is not UTF-8 text: byte 0x{bad:02x} at position {error.start} "
            f"cannot be decoded (the file may be in another encoding such as Windows-1252). "
            f"{_TEXT_HELP}"
        ) from None
