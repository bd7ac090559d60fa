"""Sentences, and whose words they are: quotations, quoted terms and what a lead-in introduces
are not the respondent's (step 3)."""
from __future__ import annotations

import re


# --- sentences ----------------------------------------------------------------------

_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "st", "vs", "cf", "para", "approx", "fig", "al", "p", "pp"}
# A full stop (or ! ?) before a capital; or before a footnote number and then a capital ("... at
# § 170.315(a)(12).7 Currently ..."), but not the point inside a number ("section 3.2 Providers").
_SENTENCE_END = re.compile(
    r"[.!?]['\"’”)]*(?=\s+['\"‘“(]?[A-Z0-9])|(?<=[A-Za-z)\]])[.!?]['\"’”)]*(?:\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})(?=\s+['\"‘“(]?[A-Z])"
)


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) in a block's text.

    >>> text = "We agree, e.g. on costs. Funding. How will it be paid for?"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['We agree, e.g. on costs.', 'Funding.', 'How will it be paid for?']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        word = _word_before(text, start, match.start()).lower().rstrip(".")
        if word in _ABBREVIATIONS and not (word == "no" and not text[match.end():].lstrip()[:1].isdigit()):
            continue  # "e.g.", "No. 5" (but "No. It would help ..." is an answer)
        spans.append((offset + start, offset + match.end()))
        start = match.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((offset + start, offset + len(text.rstrip())))
    return spans


def _word_before(text: str, start: int, end: int) -> str:
    """The letters, digits and dots that end just before ``end`` (not before ``start``): the
    word a full stop may abbreviate. It looks back no further than the word, so a paragraph full
    of abbreviations ("e.g.", "No.") is read in one pass."""
    begin = end
    while begin > start and (text[begin - 1].isalnum() or text[begin - 1] in "._"):  # the regex \w, and '.'
        begin -= 1
    return text[begin:end]


# --- whose words: quotations --------------------------------------------------------

_QUOTED = re.compile(
    r"“[^“”\n]*”"  # curly double quotes
    r"|(?<![\w\"])\"[^\"\n]*\"(?!\w)"  # straight double quotes
    r"|(?<![\w‘’])‘[^‘’\n]*’(?![A-Za-z])"  # curly single quotes (an apostrophe inside ends the match early)
    r"|(?<![\w'])'(?=\S)[^'\n]*(?<=\S)'(?![A-Za-z])"  # straight single quotes
    r"|«[^«»\n]*»"
)
QUOTED_SHARE = 0.6


def own_words(sentence: str) -> str:
    """The sentence with what it quotes replaced by "…", so that only the respondent's own words
    decide whether it recommends. Each pattern stops at the next quotation mark, so a text full of
    unmatched marks is read in one pass.

    >>> own_words('The proposal states that “providers must retain records”, which we oppose.')
    'The proposal states that …, which we oppose.'
    >>> own_words("Clinks' earlier response asks 'Do arrangements work?' again")
    "Clinks' earlier response asks … again"
    """
    return re.sub("…+", "…", masked(sentence))


def masked(text: str) -> str:
    """``text`` with every quoted passage replaced by as many "…" as it has characters, so that
    offsets into it are offsets into ``text``: a quotation of several sentences is masked in each."""
    if not any(mark in text for mark in "\"“‘'«"):
        return text
    return _QUOTED.sub(lambda match: "…" * len(match.group(0)), text)


def is_quoted(sentence: str) -> bool:
    """Whether a sentence is (mostly) a quotation of someone else's words.

    >>> is_quoted('“Providers must retain records for ten years.”'), is_quoted('We agree with the “ten years”.')
    (True, False)
    """
    return _mostly_quoted(sentence, own_words(sentence))


def _mostly_quoted(raw: str, own: str) -> bool:
    if own == raw:
        return False
    letters = sum(ch.isalnum() for ch in raw)
    return letters > 0 and sum(ch.isalnum() for ch in own) <= (1 - QUOTED_SHARE) * letters


# A lead-in that introduces someone else's text: "The draft guidance says:", "Paragraph 4 of the
# proposal states:", "The consultation defines a provider as follows:", "The current wording is:".
_INTRODUCES_QUOTATION = re.compile(
    r"\b(?:proposals?|draft|guidance|consultation|document|regulations?|bill|act|clause|section|paragraph|code"
    r"|framework|policy|rules?|definitions?|wording|text|paper|strategy|plan|report|review|department|government"
    r"|ministry|regulator|agency|authority|it|this)\b[^:]{0,120}?\b(?:states?|stated|says?|said|reads?|provides?"
    r"|sets?\s+out|specif(?:y|ies|ied)|defines?|defined|proposes?|proposed|includes?|included|requires?|asks?"
    r"|asked|is\s+worded|puts?\s+it|as\s+follows)\b[^:]{0,120}:$|\b(?:states?|says?|reads?)\s*:$",
    re.I,
)
# Definitions of terms: '"Provider" means ...', 'Record: includes ...'.
_DEFINITION = re.compile(
    r"^[\"“‘']?[A-Z][\w '’-]{0,60}?[\"”’']?:?\s+(?:means|includes|refers\s+to|is\s+defined\s+as|has\s+the\s+(?:same\s+)?meaning)\b"
)
