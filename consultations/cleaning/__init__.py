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

The steps are modules, in order: ``furniture``, ``blocks``, ``sentences``, ``headings``, ``layout``,
``markup``; ``patterns`` holds what they share and ``cleaner`` runs them. Everything public is
importable from ``consultations.cleaning``.
"""

from .patterns import (
    BULLETS, FURNITURE_NEIGHBOURHOOD, INDENT, LIST_MARKER, MONTHS, PAGE_EDGE, RUNNING_SHARE,
    RUNNING_TITLE_MAX, _EMPHASIS,
)
from .cleaner import clean_text
from .furniture import FOOTNOTE_LINES, is_page_furniture, running_key
from .sentences import continues
from .headings import glued_heading_end
from .markup import _strip_emphasis, strip_markup
