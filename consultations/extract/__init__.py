"""Find the respondent's recommendations in a cleaned written response.

How it reads a document, in order (the rules are the functions and patterns of this module, each
with an example in its docstring or comment):

1. Blocks: the cleaned text (``consultations.cleaning``) is split into headings, paragraphs,
   quotations (``>``) and list items with their nesting, each with its character offsets.
2. Sections: a heading opens a section. "Summary of recommendations" (or "Recommendations")
   sections list recommendations, one per item; "About ..." sections describe the respondent and
   "Definitions" sections quote terms; both are skipped. End notes, references and appendices end
   the reading, so a quoted older recommendation in an appendix is never taken as a new one. A
   heading that is itself an ask ("iOS must allow third party browser engines") is one.
3. Whose words: quotations are not the respondent's: block quotes, text in quotation marks, what
   a lead-in such as "The draft guidance says:" introduces, and definitions of terms.
4. Sentences: elsewhere a recommendation is a sentence in which the respondent speaks ("we
   recommend", "the Association urges", "Northfield Trust calls on"), extended by the sentences
   that carry it on ("This should include ..."). A sentence that only says what should happen
   ("providers should publish ...") also counts, unless the respondent gave a summary list: then
   the body's "should"s are argument for the listed recommendations. Questions never count.
5. Children: items nested under an item (1. → a. → i., or by indentation) are its sub-points at
   any depth, and a list introduced by a recommending lead-in ("... so that they:", "providers
   should:", "To do so we recommend ... in the following areas:") holds the sub-points of that
   lead-in. An item that asks a question is not a sub-point.
6. Repeats: a recommendation whose words are (nearly) all in an earlier one is the same
   recommendation said again; their spans are merged and the first wording is kept. So is one
   said again in its own section that refers back to it ("With this in mind, we believe this
   remedy needs ..."), and one said again in other words in a summary or a conclusion.

The respondent's names are learnt from the document (``respondent_names``: its title, letterhead,
sign-off, "On behalf of X", "X welcomes the opportunity", "About X", and the abbreviations and
short forms it gives them) and from the caller, so "Clinks recommends" counts and "The Lammy
Review recommends" does not.

The steps are modules: ``blocks`` (1), ``sentences`` (sentences and whose words, 3), ``rules`` (what
counts, 4), ``names`` (the respondent's names), ``reader`` (the extractor: sections and children, 2
and 5, and numbering), ``repeats`` (6) and ``result``. The split follows the seams the rules already
had; ``python -m bench.eval`` gives the same recall and precision on the gold corpus before and
after it. Everything public is importable from ``consultations.extract``.

Importing it compiles about a hundred patterns (some 50 ms): the modules that only call it import
it in the function that does, so that starting the app, or any command, does not pay for it.
"""

from .rules import ARTICLE_BLOCKS, RESPONSE_OPENING, describes_law, is_question
from .sentences import QUOTED_SHARE, is_quoted, masked, own_words, split_sentences
from .blocks import Block, split_blocks
from .names import NAME_BLOCKS, respondent_names
from .result import ExtractedRecommendation
from .repeats import (
    MERGE_CONTAINMENT, MERGE_JACCARD, MERGE_MIN_WORDS, MERGE_WORK, MERGE_WORK_FLOOR,
    RESTATED_BOTH, RESTATED_HEADING, RESTATED_MARGIN, RESTATED_POSTINGS, RESTATED_SCORE,
    RESTATED_WORK, SECTION_BACK_SHARE, SECTION_CONTAINED, SECTION_HEADING_SHARE,
    SECTION_LOOKBACK, _merge_repeats, content_words, same_point,
)
from .reader import CLAUSE_REACH, VOICELESS_BLOCKS, extract_recommendations, list_tree
