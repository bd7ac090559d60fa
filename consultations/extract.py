"""Find the respondent's recommendations in a cleaned written response.

How it reads a document, in order:

1. Blocks: the cleaned text is split into headings, paragraphs and list items, each with
   its character offsets.
2. Sections: a heading opens a section. "Summary of recommendations" (or just
   "Recommendations") sections list recommendations, one per item; "About ..." sections
   describe the respondent; end notes, references and appendices end the reading, so a
   quoted older recommendation in an appendix is never taken as a new one.
3. Sentences: elsewhere a recommendation is a sentence in which the respondent speaks
   ("we recommend", "Clinks urges", "we call on"), extended by the sentences that carry
   it on ("This should include ..."). A sentence that only says what should happen
   ("providers should publish ...") also counts, unless the respondent gave a summary
   list: then the body's "should"s are argument for the listed recommendations.
4. Children: a list introduced by a recommending lead-in ("To do so we recommend ... in
   the following areas:") holds the sub-points of the recommendation; lettered items
   under a numbered one do the same.
5. Repeats: a recommendation whose words are (nearly) all in an earlier one is the same
   recommendation said again; their spans are merged and the first wording is kept.

The respondent's own name is learnt from the document ("X response to ...", "About X")
and from the caller, so "Clinks recommends" counts and "The Lammy Review recommends"
does not.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .cleaning import LIST_MARKER
from .references import ReferenceResolver

# --- blocks -------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # "heading", "paragraph" or "item"
    start: int  # offsets of the content, without any list marker
    end: int
    text: str
    marker: str = ""

    @property
    def marker_kind(self) -> str | None:
        """'number', 'letter' (including roman numerals) or 'bullet'; None for other blocks."""
        if not self.marker:
            return None
        label = re.sub(r"^[-•●▪◦‣∙·*–]\s*", "", self.marker).strip(" ().")
        if not label:
            return "bullet"
        return "number" if label.isdigit() else "letter"  # letters and roman numerals alike


def split_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        start = match.start()
        marker_match = LIST_MARKER.match(line)
        if marker_match:
            marker = marker_match.group("marker")
            content = line[len(marker) :]
            blocks.append(Block("item", start + len(marker), match.end(), content, marker.strip()))
        elif _is_heading(line):
            content = line.lstrip("#").strip()
            offset = line.index(content) if content else 0
            blocks.append(Block("heading", start + offset, match.end(), content))
        else:
            blocks.append(Block("paragraph", start, match.end(), line))
    return blocks


def _is_heading(line: str) -> bool:
    """Short lines without closing punctuation, and single questions (a consultation's own)."""
    if line.startswith("#"):
        return True
    if not (line[:1].isupper() or line[:1].isdigit()):
        return False
    if line.endswith("?"):
        return len(line) <= 250 and len(split_sentences(line)) == 1
    return len(line) <= 120 and len(line.split()) <= 16 and not line.endswith((".", ",", ";", ":", "!"))


# --- sentences ----------------------------------------------------------------------

_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "st", "vs", "cf", "para", "approx", "fig", "al", "p", "pp"}
_SENTENCE_END = re.compile(r"[.!?]['\"’”)]*(?=\s+['\"‘“(]?[A-Z0-9])")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) in a block's text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _word_before(text, start, match.start()).lower().rstrip(".") in _ABBREVIATIONS:
            continue
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


# --- what counts as a recommendation ------------------------------------------------

_VERBS = (
    r"recommends?|urges?|calls?\s+(?:on|upon|for)|proposes?|suggests?|requests?|encourages?"
    r"|advises?|asks?\s+(?:that|for)|invites?|(?:would|want|wants)\s+(?:like\s+)?to\s+see"
)
# Words between the subject and the verb, any number of them. No alternative may be a sequence of
# others ("would also" is "would" then "also"): each such choice doubles the ways the regex
# tries a long run of them, and "we would also would also ..." then takes minutes.
_ADVERBS = (
    r"(?:\s+(?:also|would|therefore|further|again|strongly|firmly|respectfully|urgently|"
    r"continue\s+to|wish\s+to|want\s+to))*"
)
_IMPERSONAL = re.compile(
    r"\bit\s+is\s+(?:\w+ly\s+)?recommended\s+that\b|\bour\s+(?:\w+\s+)?recommendation\s+(?:is|would\s+be)\b",
    re.I,
)
_WEAK = re.compile(r"\b(?:should|must|ought\s+to|needs?\s+to)\b", re.I)
_WEAK_SELF = re.compile(r"\b(?:we|i|you)\s+(?:\w+\s+)?(?:should|must|ought|need)\b", re.I)
_NOT_ADVICE = re.compile(r"^(?:if|whether|although|while|when|unless|as)\b|\bin\s+theory\b", re.I)
_REPORTED = re.compile(
    r"\b(?:recommended|called\s+for|urged|argued|said|stated|found|concluded|highlighted|noted)\b", re.I
)
_SIGNPOST = re.compile(
    r"\bfor\s+(?:further|more)\s+information\b|\brefer(?:ring)?\s+to\s+our\b|\bsee\s+our\b", re.I
)
_LIST_LEAD_IN = re.compile(r"\b(?:our|the\s+following|these|key)\s+recommendations?\b", re.I)
_ANAPHORA = re.compile(
    r"\b(?:this|the\s+above)\s+recommendation\b|\bto\s+do\s+(?:so|this)\b|\bto\s+achieve\s+this\b"
    r"|\bto\s+this\s+end\b|\bto\s+implement\s+this\b|\bin\s+order\s+to\s+do\s+this\b",
    re.I,
)
_CONTINUES = re.compile(
    r"^(?:this|these|that|those|it|they|such|including|in\s+particular|in\s+addition|for\s+example|which)\b",
    re.I,
)
_DEICTIC = re.compile(r"\bthis\s+(?:section|standard|question|area|domain|point|issue)\b|\bunder\s+this\b", re.I)
_SECTION_RECOMMENDATIONS = re.compile(
    r"^(?:summary\s+of\s+(?:our\s+|the\s+|key\s+)?recommendations|(?:our\s+|key\s+|main\s+|list\s+of\s+)?recommendations)$",
    re.I,
)
_SECTION_END = re.compile(
    r"^(?:end\s*notes?|notes|footnotes|references|bibliography|sources|appendix|appendices|annex(?:e|es)?)\b",
    re.I,
)
_SECTION_ABOUT = re.compile(r"^about\b", re.I)
_SELF_FROM_TITLE = (
    re.compile(r"^(?P<name>[A-Z][\w&.'’ -]{1,80}?)(?:'s|’s)?\s+response\s+to\b"),
    re.compile(r"^(?:response|submission|evidence)\s+(?:from|by)\s+(?P<name>[A-Z][\w&.'’ -]{1,80})$", re.I),
    re.compile(r"^about\s+(?P<name>(?!this\b|us\b|our\b|the\s+response\b)[A-Z][\w&.'’ -]{1,80})$", re.I),
)


def infer_self_names(blocks: list[Block]) -> set[str]:
    """The names the respondent calls itself by, read from the title and "About X"."""
    names: set[str] = set()
    for block in blocks[:40]:
        for pattern in _SELF_FROM_TITLE:
            match = pattern.match(block.text.strip())
            if match:
                names.add(match.group("name").strip())
    return {name for name in names if name.lower() not in {"we", "our", "the"}}


def _recommending(names: set[str]) -> re.Pattern:
    subjects = ["we", "i"] + [re.escape(name) for name in sorted(names, key=len, reverse=True)]
    return re.compile(rf"\b(?:{'|'.join(subjects)}){_ADVERBS}\s+(?:{_VERBS})\b", re.I)


# --- result -------------------------------------------------------------------------


@dataclass
class ExtractedRecommendation:
    key: str
    text: str
    parent: str | None
    spans: list[tuple[int, int]]
    references: list[str] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    heading: str | None = None  # the question or topic heading it was found under
    items: list = field(default_factory=list, repr=False)  # resolved framework items
    evidence: dict = field(default_factory=dict, repr=False)  # id(item) -> words matched

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "text": self.text,
            "parent": self.parent,
            "spans": [list(span) for span in self.spans],
            "references": list(self.references),
            "unresolved_references": list(self.unresolved_references),
        }


@dataclass
class _Candidate:
    spans: list[tuple[int, int]]
    heading: str | None
    children: list[_Candidate] = field(default_factory=list)


# --- the extractor ------------------------------------------------------------------


def extract_recommendations(
    text: str,
    *,
    resolver: ReferenceResolver | None = None,
    self_names: tuple[str, ...] | list[str] = (),
) -> list[ExtractedRecommendation]:
    """All recommendations in ``text`` (cleaned), parents before their children."""
    blocks = split_blocks(text)
    names = infer_self_names(blocks) | {name for name in self_names if name}
    reader = _Reader(text, blocks, _recommending(names))
    tops = _merge_repeats(text, reader.read())
    return _number(text, tops, resolver or ReferenceResolver([]))


class _Reader:
    def __init__(self, text: str, blocks: list[Block], recommending: re.Pattern):
        self.text = text
        self.blocks = blocks
        self.recommending = recommending
        self.tops: list[_Candidate] = []
        self.has_summary = any(
            block.kind == "heading" and _SECTION_RECOMMENDATIONS.match(block.text) for block in blocks
        )

    def read(self) -> list[_Candidate]:
        section = "body"
        heading: str | None = None
        i = 0
        while i < len(self.blocks):
            block = self.blocks[i]
            if block.kind == "heading":
                if _SECTION_END.match(block.text):
                    break
                section = self._section_of(block.text)
                heading = block.text
                i += 1
                continue
            if section == "about":
                i += 1
                continue
            if section == "recommendations":
                self._read_summary_block(block)
                i += 1
                continue
            i = self._read_body_block(i, heading)
        return self.tops

    @staticmethod
    def _section_of(heading: str) -> str:
        if _SECTION_RECOMMENDATIONS.match(heading):
            return "recommendations"
        if _SECTION_ABOUT.match(heading):
            return "about"
        return "body"

    # Summary sections: every item is a recommendation; lettered items are its sub-points.
    def _read_summary_block(self, block: Block) -> None:
        if block.kind == "paragraph" and not self._is_recommendation(self._sentence_texts(block), summary=True):
            return  # an introduction such as "We make the following recommendations:"
        candidate = _Candidate([(block.start, block.end)], None)
        if block.kind == "item" and block.marker_kind == "letter" and self.tops:
            self.tops[-1].children.append(candidate)
        else:
            self.tops.append(candidate)

    # Body: sentences in which the respondent recommends, and the lists they introduce.
    def _read_body_block(self, i: int, heading: str | None) -> int:
        block = self.blocks[i]
        sentences = split_sentences(block.text, block.start)
        texts = [self.text[s:e] for s, e in sentences]
        lead_in = self._lead_in(i, texts)
        last = len(sentences) - 1 if lead_in else len(sentences)
        self._read_sentences(sentences[:last], texts[:last], heading)
        if not lead_in:
            return i + 1
        if _ANAPHORA.search(texts[-1]) and self.tops:
            parent = self.tops[-1]
        else:
            parent = _Candidate([sentences[-1]], heading)
            self.tops.append(parent)
        j = i + 1
        while j < len(self.blocks) and self.blocks[j].kind == "item":
            item = self.blocks[j]
            parent.children.append(_Candidate([(item.start, item.end)], heading))
            j += 1
        return j

    def _lead_in(self, i: int, texts: list[str]) -> bool:
        """A sentence ending in ':' that introduces a list of recommendations."""
        following = self.blocks[i + 1] if i + 1 < len(self.blocks) else None
        if not texts or not self.blocks[i].text.rstrip().endswith(":"):
            return False
        if following is None or following.kind != "item":
            return False
        last = texts[-1]
        return bool(_LIST_LEAD_IN.search(last) or self._is_recommendation([last], summary=False))

    def _read_sentences(self, sentences, texts, heading) -> None:
        current: _Candidate | None = None
        for index, ((start, end), sentence) in enumerate(zip(sentences, texts)):
            if self._is_recommendation([sentence], summary=False) and not (
                current and _CONTINUES.match(sentence) and not self.recommending.search(sentence)
            ):
                span_start = start
                if _DEICTIC.search(sentence) and index > 0 and current is None:
                    span_start = sentences[index - 1][0]
                current = _Candidate([(span_start, end)], heading)
                self.tops.append(current)
            elif current and _CONTINUES.match(sentence):
                current.spans[0] = (current.spans[0][0], end)
            else:
                current = None

    def _is_recommendation(self, sentences: list[str], *, summary: bool) -> bool:
        for sentence in sentences:
            if _SIGNPOST.search(sentence):
                continue
            if self.recommending.search(sentence) or _IMPERSONAL.search(sentence):
                return True
            if (summary or not self.has_summary) and self._advises(sentence):
                return True
        return False

    @staticmethod
    def _advises(sentence: str) -> bool:
        stripped = sentence.strip()
        modal = _WEAK.search(stripped)
        return bool(
            modal
            and not stripped.endswith("?")
            and not _NOT_ADVICE.search(stripped)
            and not _WEAK_SELF.search(stripped)
            # Someone else's recommendation, reported ("the review found that X should ...");
            # a reporting verb after the advice is part of it ("... and report what they said").
            and not _REPORTED.search(stripped[:modal.start()])
        )

    def _sentence_texts(self, block: Block) -> list[str]:
        return [self.text[s:e] for s, e in split_sentences(block.text, block.start)]


# --- repeats ------------------------------------------------------------------------

_STOPWORDS = set(
    "a an and are as at be been by for from has have in into is it its of on or our that the their "
    "there these this those to under we which with will would should could also can may".split()
)
MERGE_CONTAINMENT = 0.8
MERGE_JACCARD = 0.5
MERGE_MIN_WORDS = 4
# Work allowed for finding repeats: index entries looked at and comparisons made, per passage on
# average (generated responses of 1 MB and 4 MB use about 30 and 110), plus a floor for short texts.
MERGE_WORK = 200
MERGE_WORK_FLOOR = 20_000


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)*", text.lower())
    return {_stem(word) for word in words if word not in _STOPWORDS and len(word) > 1}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def same_point(a: str, b: str) -> bool:
    """True when two passages make the same recommendation in (nearly) the same words."""
    return _same_words(content_words(a), content_words(b))


def _same_words(words_a: set[str], words_b: set[str]) -> bool:
    smaller = min(len(words_a), len(words_b))
    if smaller < MERGE_MIN_WORDS:
        return False
    shared = len(words_a & words_b)
    union = len(words_a) + len(words_b) - shared
    return shared / smaller >= MERGE_CONTAINMENT and shared / union >= MERGE_JACCARD


def _merge_repeats(text: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Each candidate joins the first earlier kept one that makes the same point, else is kept.

    Comparing every pair is quadratic (a 256 KB response with 600 recommendations made 190,000
    comparisons), so a candidate is only compared with kept passages that share one of the
    rarest words of both (prefix filtering), which finds every pair ``_same_words`` accepts:

    - two passages of s <= l words making the same point share at least MERGE_CONTAINMENT * s
      words, and at least MERGE_JACCARD * l (a Jaccard similarity J means sharing
      J * (s + l) / (1 + J) words, which needs s >= J * l);
    - with the words of every passage in one order (rarest in the document first), two sets
      sharing at least k words have their first shared word among the first n - k + 1 of each.

    So each kept passage is indexed by its few rarest words, for when it is the smaller of a pair,
    and by more of them, for when it is the larger (``_prefix``). The passages found are tried in
    the order kept, so the result is the same as trying every kept passage in turn.

    A text can still be written so that every passage shares its rarest words with most others
    (thousands of different recommendations in the same hundred words), and comparing them would
    be quadratic again. So the work is held to ``MERGE_WORK`` per passage; once that is spent,
    only word-for-word repeats (the same words) are merged. Real and generated responses use a
    fraction of it.
    """
    words = [content_words(text[slice(*candidate.spans[0])]) for candidate in candidates]
    frequency = Counter(word for found in words for word in found)
    kept: list[_Candidate] = []
    kept_words: list[set[str]] = []
    kept_size: list[int] = []
    kept_spans: list[set[tuple[int, int]]] = []
    as_smaller: dict[str, list[int]] = defaultdict(list)  # rare word -> kept passages, by index
    as_larger: dict[str, list[int]] = defaultdict(list)
    same_words: dict[frozenset[str], int] = {}  # the first kept passage with these words
    work = MERGE_WORK * len(candidates) + MERGE_WORK_FLOOR
    for candidate, found in zip(candidates, words):
        size = len(found)
        rarest = []  # fewer than MERGE_MIN_WORDS words are never the same point as anything
        if size >= MERGE_MIN_WORDS:
            rarest = sorted(found, key=lambda word: (frequency[word], word))
        few, more = rarest[: _prefix(size, MERGE_CONTAINMENT)], rarest[: _prefix(size, MERGE_JACCARD)]
        entries = sum(len(as_larger.get(word, ())) for word in few) + sum(len(as_smaller.get(word, ())) for word in more)
        if entries <= work:
            # Sizes too far apart cannot reach MERGE_JACCARD: the smaller has J * the larger's words
            # or more (a word of slack against rounding).
            sharing = {k for word in few for k in as_larger.get(word, ())
                       if size <= kept_size[k] <= size / MERGE_JACCARD + 1}
            sharing.update(k for word in more for k in as_smaller.get(word, ())
                           if size * MERGE_JACCARD - 1 <= kept_size[k] <= size)
            work -= entries + len(sharing)
            twin = next((k for k in sorted(sharing) if _same_words(kept_words[k], found)), None)
        else:
            twin = same_words.get(frozenset(found)) if rarest else None
        if twin is None:
            for word in few:
                as_smaller[word].append(len(kept))
            for word in more:
                as_larger[word].append(len(kept))
            kept.append(candidate)
            kept_words.append(found)
            kept_size.append(size)
            kept_spans.append(set(candidate.spans))
            same_words.setdefault(frozenset(found), len(kept) - 1)
            continue
        first, spans = kept[twin], kept_spans[twin]
        for span in candidate.spans:
            if span not in spans:
                spans.add(span)
                first.spans.append(span)
        first.children.extend(candidate.children)
        first.heading = first.heading or candidate.heading
    return kept


def _prefix(size: int, share: float) -> int:
    """How many of a passage's ``size`` rarest words hold the first word it shares with any
    passage it has at least ``share * size`` words in common with (see ``_merge_repeats``)."""
    shared = max(math.ceil(share * size) - 1, 1)  # one less than the bound, against rounding
    return size - shared + 1


# --- numbering and references -------------------------------------------------------


def _number(text: str, tops: list[_Candidate], resolver: ReferenceResolver) -> list[ExtractedRecommendation]:
    result: list[ExtractedRecommendation] = []

    def build(candidate: _Candidate, key: str, parent: str | None, heading: str | None):
        spans = sorted(candidate.spans)
        primary = candidate.spans[0]
        resolution = resolver.resolve("\n".join(text[s:e] for s, e in spans))
        result.append(
            ExtractedRecommendation(
                key=key,
                text=text[primary[0] : primary[1]].strip(),
                parent=parent,
                spans=spans,
                references=resolution.codes,
                unresolved_references=resolution.unresolved,
                heading=candidate.heading or heading,
                items=resolution.items,
                evidence=resolution.evidence,
            )
        )

    for n, top in enumerate(tops, start=1):
        key = f"R{n}"
        build(top, key, None, None)
        for m, child in enumerate(top.children, start=1):
            build(child, f"{key}.{m}", key, top.heading)
    return result
