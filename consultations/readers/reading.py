"""``read_document``: sniff the bytes, pick the reader, hold the result to the limits."""
from __future__ import annotations


from .child import _read_in_child
from .common import ACCEPTED, DEFAULT_LIMITS, DOCX_TYPE, DocumentLimits, DocumentText, ReadError, _TEXT_HELP, _decode, ensure_characters_within
from .email_text import _read_email
from .html_text import _decode_html, _html_text
from .markdown_text import _markdown_text, looks_like_markdown
from .pdf import _read_pdf
from .sniffing import _Refused, ensure_safe_zip, ensure_xml_within, sniff
from .word import _read_docx


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

#: What people call each format, for pages that show a file's type.
MEDIA_TYPE_NAMES = {
    "application/pdf": "PDF",
    DOCX_TYPE: "Word document",
    "message/rfc822": "Email",
    "text/html": "Web page",
    "text/plain": "Plain text",
    "text/markdown": "Markdown",
}


def format_name(media_type: str | None) -> str:
    """A file's format in words ("Word document", "PDF"); an unknown type as "File"."""
    base = (media_type or "").split(";")[0].strip().lower()
    return MEDIA_TYPE_NAMES.get(base, "File")


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
