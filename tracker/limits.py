"""What people may send, read from the configuration: the size and number of uploaded files and
what one response document may expand to (``DOCUMENT_MAX_*``). The upload page and the
``responses`` commands apply the same limits, so a file refused on one is refused on the other.
"""
from __future__ import annotations

from flask import current_app

from consultations.readers import DocumentLimits

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_FILES = 50
DEFAULT_MAX_BULK_RECOMMENDATIONS = 1000


def max_file_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_FILE_BYTES") or DEFAULT_MAX_FILE_BYTES)


def max_files() -> int:
    return int(current_app.config.get("UPLOAD_MAX_FILES") or DEFAULT_MAX_FILES)


def max_bulk_recommendations() -> int:
    """How many recommendations one bulk action may change: its confirmation page lists each one,
    and a filter matching a whole 30,000-row import would make a page no one can check."""
    return int(current_app.config.get("BULK_MAX_RECOMMENDATIONS") or DEFAULT_MAX_BULK_RECOMMENDATIONS)


def document_limits() -> DocumentLimits:
    """What one response file may expand to when read, from the configuration (``DOCUMENT_MAX_*``);
    the upload page, ``extract`` and ``ingest`` use the same."""
    config, defaults = current_app.config, DocumentLimits()
    reading = float(config.get("DOCUMENT_MAX_SECONDS") or 0)
    return DocumentLimits(
        max_characters=int(config.get("DOCUMENT_MAX_CHARACTERS") or defaults.max_characters),
        max_pages=int(config.get("DOCUMENT_MAX_PAGES") or defaults.max_pages),
        max_xml_bytes=int(config.get("DOCUMENT_MAX_XML_BYTES") or defaults.max_xml_bytes),
        max_seconds=reading if reading > 0 else None,
    )


def megabytes(size: int) -> str:
    """20 MB, 1.5 MB, 30 KB: sizes as people read them."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    value = size / (1024 * 1024)
    return f"{value:,.0f} MB" if value >= 10 or value == int(value) else f"{value:,.1f} MB"
