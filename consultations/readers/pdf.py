"""PDF with a text layer: page text, columns, and refusing scans and page bombs."""
from __future__ import annotations

import io
import re
import warnings

from .common import ACCEPTED, DEFAULT_LIMITS, DocumentLimits, DocumentText, ReadError, TooLarge, _SCANNED, ensure_characters_within


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
