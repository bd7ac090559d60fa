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

The package has one module per format (``word``, ``pdf``, ``html_text``, ``markdown_text``,
``email_text``), ``sniffing`` (what a file is, and ZIP safety), ``common`` (errors, limits,
the result), ``reading`` (``read_document``) and ``child`` (reading in a child process).
Everything public is importable from ``consultations.readers``, as before.
"""

from .common import (
    DOCX_TYPE, ACCEPTED, MAX_ZIP_MEMBERS, MAX_ZIP_UNCOMPRESSED, MAX_ZIP_RATIO, ZIP_RATIO_FLOOR,
    MAX_EMAIL_NESTING, CHILD_MEMORY, ReadError, TooLarge, DocumentLimits, DEFAULT_LIMITS,
    DocumentText, ensure_characters_within,
)
from .sniffing import sniff, ensure_safe_zip, xml_bytes, ensure_xml_within
from .reading import KIND_MEDIA_TYPES, MEDIA_TYPE_EXTENSIONS, MEDIA_TYPE_NAMES, format_name, read_document
from .child import seconds
from .pdf import COLUMN_LINES
from .html_text import html_to_text
from .markdown_text import looks_like_markdown, markdown_to_text, split_front_matter
