"""Step 6: a recommendation said again (in the same words, in its own section, or in other words
in a summary or conclusion) is merged into the first."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

from .blocks import Block
from .result import _Candidate
from .sentences import split_sentences


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


@lru_cache(maxsize=65536)
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


# A repeat inside a section. An ask is said again in its own section, in other words, when it
# refers back to it (``_BACK_REFERENCE``, ``_THIS_PROPOSED``, a demonstrative naming what the ask
# named) or says nothing the ask did not. One that says it is new is never a repeat.
_NEW_ASK = re.compile(
    r"\b(?:also|further(?:more)?|in\s+addition|additional(?:ly)?|another|secondly|thirdly|finally|lastly|separately"
    r"|moreover)\b|^(?:second|third|fourth|next),",
    re.I,
)
_BACK_REFERENCE = re.compile(
    r"^(?:with\s+(?:this|that|these)\s+in\s+mind|in\s+(?:the\s+)?light\s+of\s+(?:this|that|the\s+above)|given\s+(?:this"
    r"|the\s+above)|as\s+(?:(?:noted|stated|set\s+out|said|explained|mentioned|argued)\s+)?above|as\s+before|again"
    r"|to\s+(?:repeat|reiterate)|as\s+such|for\s+(?:this|that|these)\s+reasons?|(?:this|that)\s+is\s+why|hence"
    r"|accordingly|therefore)\b,?\s*",
    re.I,
)
# "We propose this be a fourth remedy ...", "we ask that this is ...", "this should be made ...":
# the ask just made, asked for again.
_THIS_PROPOSED = re.compile(
    r"\b(?:propose|recommend|suggest|ask|urge|request)s?\s+(?:that\s+)?(?:this|it)\s+(?:be|is|becomes?|should|must)\b"
    r"|^(?:this|it)\s+(?:should|must)\s+(?:therefore\s+)?(?:be|become)\s+(?:a|an|the|one)\b",
    re.I,
)
# A subject named with a demonstrative, "this remedy needs ...", "such a standpipe should ...",
# "This rent freeze should ...": what is named again, by its last word.
_DEMONSTRATIVE = re.compile(
    r"\b(?:this|these|those|such(?:\s+an?)?|the\s+same)\s+((?:[a-z][\w-]*\s+){0,2}?([a-z][\w-]*))"
    r"(?=\s+(?:should|must|would|will|needs?|is|are|be|could|can|may|ought)\b)",
    re.I,
)
SECTION_LOOKBACK = 12  # earlier asks of the section a passage is compared with, nearest first
SECTION_HEADING_SHARE = 0.6  # a heading's words a passage of its section holds, to say the heading's ask again
SECTION_CONTAINED = 0.8  # a passage's words an earlier ask holds, to say nothing new
SECTION_BACK_SHARE = 0.5  # ... or, when it refers back ("With this in mind, ..."), to say it again


def _merge_section_repeats(text: str, tops: list[_Candidate], names: set[str]) -> list[_Candidate]:
    """An ask said again inside its own section joins the ask it repeats (its span is added, the
    first wording kept). Within a section, and only with the ``SECTION_LOOKBACK`` asks before it
    (so a long response stays linear), a passage repeats an ask when:

    - the ask is the section's heading ("## iOS must allow third party browser engines") and the
      passage holds ``SECTION_HEADING_SHARE`` of its words ("Apple should allow third-party browser
      engines on iOS ...");
    - it asks for "this" again ("We propose this be a fourth remedy that the regulator considers"):
      the ask just before it;
    - it names with a demonstrative what an ask named ("With this in mind, we believe this remedy
      needs to be strengthened ...", "As above, such a standpipe should ..."), and nothing between
      them names it (in "Bulk FHIR establishes a foundation. We propose that this foundation be
      preserved" the foundation is the one just described, not an earlier ask's);
    - it refers back ("With this in mind", "As above") and holds ``SECTION_BACK_SHARE`` of its
      words in the ask, or says nothing the ask did not (``SECTION_CONTAINED`` of its words, three
      or more: "Close collaboration with the banks is needed" after asking to work in close
      collaboration with the banks).

    A passage that says it is new ("should also", "in addition", ``_NEW_ASK``), a lead-in with
    items, an item of the same list as the ask (or of any list, for a heading's ask: the items
    under "Apple must open its platform" are asks of their own), a summary's or a conclusion's passage (left to
    ``_merge_restatements``) never joins; a demonstrative naming something no ask named ("This
    scheme should be advertised") stays an ask of its own.

    >>> text = ("Rents\\n\\nThe council should freeze allotment rents for three years. The council should also offer "
    ...         "half-price plots. This rent freeze should apply to every site.\\n")
    >>> [(r.text, len(r.spans)) for r in extract_recommendations(text)]
    [('The council should freeze allotment rents for three years.', 2), ('The council should also offer half-price plots.', 1)]
    """
    ignored = _root_words(" ".join(_ASKING_WORDS)) | {word for name in names for word in _root_words(name)}
    kept: list[_Candidate] = []
    sections: dict[int, list[tuple[_Candidate, set[str]]]] = defaultdict(list)
    for top in tops:
        passage = text[slice(*top.spans[0])]
        back = _BACK_REFERENCE.match(passage)  # its words are those after "With this in mind, "
        words = _root_words(passage[back.end():] if back else passage) - ignored
        earlier = sections[top.section][-SECTION_LOOKBACK:]
        target = None
        if not (top.opening or top.restates or top.children or top.titled):
            target = _repeated(text, passage, back, words, top, earlier)
        if target is None:
            kept.append(top)
            if not (top.opening or top.restates):
                sections[top.section].append((top, words))
            continue
        target.spans.extend(span for span in top.spans if span not in target.spans)
    return kept


def _repeated(text: str, passage: str, back: re.Match | None, words: set[str], top: _Candidate,
              earlier: list[tuple[_Candidate, set[str]]]) -> _Candidate | None:
    """The ask of ``earlier`` (same section, in order) that ``passage`` says again, if any (see
    ``_merge_section_repeats``); ``back``: its opening words that refer back, if any."""
    earlier = [(ask, theirs) for ask, theirs in earlier if top.listed is None or ask.listed != top.listed]
    if not earlier or _NEW_ASK.search(passage):
        return None
    for ask, theirs in reversed(earlier):
        if ask.titled and top.listed is None and len(theirs & words) >= max(2, SECTION_HEADING_SHARE * len(theirs)):
            return ask  # (the items of a list under it are asks of their own)
    rest = passage[back.end():] if back else passage
    if _THIS_PROPOSED.search(rest):
        return earlier[-1][0]
    first = split_sentences(rest)[0] if rest.strip() else (0, 0)  # named in the passage's first sentence
    named = {_root(_stem(match.group(2).lower())) for match in _DEMONSTRATIVE.finditer(rest, 0, first[1])}
    named -= _STOPWORD_ROOTS
    for ask, theirs in reversed(earlier):
        shared = len(theirs & words)
        if named & theirs:  # ... if nothing between them names it: the nearest mention is the ask
            between = text[ask.spans[0][1] : top.spans[0][0]]
            return None if named & theirs & _root_words(between) else ask
        if back and shared >= 2 and shared >= SECTION_BACK_SHARE * len(words):
            return ask
        if len(words) >= 3 and shared >= SECTION_CONTAINED * len(words):
            return ask
    return None


# Words that say how something is asked or said again, not what: they never tell two asks apart.
_ASKING_WORDS = frozenset(
    "urge urges urged recommend recommends recommended recommendation recommendations ask asks asked request requests"
    " requested respectfully strongly encourage encourages encouraged call calls called propose proposes suggest"
    " suggests must need needs believe believes like see ensure ensures consider considers please therefore continue"
    " again once more finally closing conclusion conclude summary summarise summarize short sum reiterate whole"
    " support supports urgently following follows above below comment comments point points area areas paper"
    " response document letter".split()
)
# What a restatement shares with the ask it repeats, by weight of distinctive words: at least
# the first share of the shorter of the two, and the second of its own words. An item of a closing
# list is there to repeat; a closing sentence may be a last new ask ("Finally, ..."); the body
# argues a summary's points but adds asks of its own.
RESTATED_SCORE = {"closing item": (0.3, 0.2), "closing": (0.4, 0.3), "body": (0.5, 0.0)}
RESTATED_MARGIN = 1.5  # ... and it must share that many times more with it than with any other ask
RESTATED_BOTH = 0.45  # a closing passage that repeats several asks at once: its share of words they hold
RESTATED_HEADING = 0.1  # added when the heading above a passage of the body names the summary's ask
RESTATED_POSTINGS = 20  # a word said in more asks than this tells none apart: not looked up
RESTATED_WORK = 50  # comparisons per restatement at most, on average (plus a floor for short texts)


def _merge_restatements(text: str, tops: list[_Candidate], blocks: list[Block], names: set[str]) -> list[_Candidate]:
    """A recommendation said again in other words joins the one it repeats, keeping the first
    wording and adding the new span. Where it stands says it repeats: in a conclusion or a closing
    paragraph ("To conclude, ...", "In closing, the Cooperative asks the board once more to ...")
    or a closing list (``_closing_list``) it repeats an earlier ask; in the body after a summary at the start ("Summary",
    "Executive summary", "Key recommendations" before any argument) it may argue an ask of the
    summary again: the first ask under a heading (which often names it) states the point its
    section argues. Which ask it repeats is told by the
    distinctive words they share (``_Targets.best``): every word weighs by how few of the
    document's blocks use it, words of asking and the respondent's names weigh nothing, and the
    pair must share two words or more and ``RESTATED_SCORE`` of the weight, with no other ask
    close (``RESTATED_MARGIN``). A summary's ask takes at most one passage of the body, the one
    most like it. Two different asks merged lose one of them, a repeat left is only a duplicate:
    when in doubt, nothing is merged.

    >>> text = ("Summary\\n\\nWe urge the ministry to close the sandeel fishery in the North Sea.\\n\\nSandeels\\n\\n"
    ...         "The ministry should stop all sandeel fishing in the North Sea.\\n\\nFees\\n\\nFees should be waived.\\n"
    ...         "\\nConclusion\\n\\nThe sandeel fishery must close.\\n")
    >>> [(r.text, len(r.spans)) for r in extract_recommendations(text)]
    [('We urge the ministry to close the sandeel fishery in the North Sea.', 3), ('Fees should be waived.', 1)]
    """
    last = next((top for top in reversed(tops) if not (top.opening or top.restates)), None)
    if not any(top.restates or top.opening for top in tops) and (
        last is None or (last.listed is None and len(last.children) < 2)
    ):
        return tops  # nothing said again, and no list at the end that may say it
    restatements = _Restatements(text, blocks, names, len(tops))
    owner = _argued_points(tops, restatements)  # id(body ask) -> the summary's ask it argues
    earlier = restatements.targets()  # asks made before a conclusion
    kept: list[_Candidate] = []
    # The body's last list of asks (or last lead-in with its items), after which only
    # restatements come: a closing list, if its items repeat (``_closing_list``).
    last = next((top for top in reversed(tops) if not (top.opening or top.restates or id(top) in owner)), None)
    closing = [top for top in tops if last is not None and last.listed is not None and top.listed == last.listed
               and not (top.opening or top.restates or id(top) in owner)]
    for top in tops:
        if closing and top is closing[0]:
            _closing_list(closing, earlier)
        if top is last and len(top.children) >= 2 and not closing:
            _closing_list(top.children, earlier, top)  # "Our members ask for the following:" ...
        if not top.restates:
            if id(top) in owner:
                target = owner[id(top)]
                target.spans.extend(span for span in top.spans if span not in target.spans)
                target.children.extend(top.children)
            else:
                kept.append(top)
            earlier.add(top, owner.get(id(top), top))
            continue
        had_children = bool(top.children)
        for child in list(top.children):
            target = earlier.best(child, "closing item")
            if target is not None:
                target[1].spans.append(child.spans[0])
                top.children.remove(child)
        if had_children and not top.children:
            continue  # "In summary, we ask the council to:" said nothing but what it listed
        target = earlier.best(top, "closing") if not top.children else None
        if target is not None:
            target[1].spans.extend(top.spans)
            continue
        kept.append(top)
    return kept


def _closing_list(items: list[_Candidate], earlier: _Targets, lead_in: _Candidate | None = None) -> None:
    """The last list of asks of a response, most of whose items repeat asks made before it (two
    or more, and at least half), is a closing list whatever its heading: all its items are read as
    restatements, so those that repeat join their ask and the others stay new ones (the items of
    a lead-in stay under it)."""
    if len(items) < 2:
        return
    repeats = sum(earlier.best(item, "closing") is not None for item in items)
    if repeats >= max(2, len(items) / 2):
        for item in [lead_in] if lead_in else items:
            item.restates = True


def _argued_points(tops: list[_Candidate], restatements: _Restatements) -> dict[int, _Candidate]:
    """Asks of the body that argue an ask of a summary at the start, by ``id``: the first ask
    under a heading of the body (which often names the point) states the point its section
    argues. A summary's ask takes at most one of them, the one most like it (see
    ``_merge_restatements``)."""
    openings = restatements.targets()  # a summary's asks, and their sub-points
    argued: list[tuple[float, int, _Candidate, _Candidate]] = []  # (score, order, body ask, summary ask)
    section: str | None = None  # the heading of the last ask of the body
    for top in tops:
        if top.opening:
            for node in (top, *top.children):
                openings.add(node)
            continue
        if top.restates or not openings:
            continue
        opens_section = top.heading is not None and top.heading != section
        section = top.heading
        target = openings.best(top, "body", top.heading) if opens_section else None
        if target is not None:
            argued.append((target[0], len(argued), top, target[1]))
    owner: dict[int, _Candidate] = {}
    taken: set[int] = set()
    for _, _, top, target in sorted(argued, key=lambda match: (-match[0], match[1])):
        if id(target) not in taken:
            taken.add(id(target))
            owner[id(top)] = target
    return owner


class _Restatements:
    """The weights of a document's words, and lookups of the ask a passage repeats.

    A word weighs log(blocks / blocks using it): "sandeel" in three blocks of twenty weighs more
    than "ministry" in twelve. Each ask is indexed by its words (``_Targets``); a passage is
    compared only with the asks that share one of its words, skipping words that more than
    ``RESTATED_POSTINGS`` asks use (they weigh little and decide nothing), and within a budget of
    ``RESTATED_WORK`` comparisons a passage, so a long response stays near-linear."""

    def __init__(self, text: str, blocks: list[Block], names: set[str], size: int):
        self.text = text
        frequency: Counter[str] = Counter()
        for block in blocks:
            frequency.update(_root_words(block.text))
        total = len(blocks) + 1
        self.ignored = _root_words(" ".join(_ASKING_WORDS)) | {word for name in names for word in _root_words(name)}
        self.weight = {word: math.log(total / count) for word, count in frequency.items() if word not in self.ignored}
        self.work = RESTATED_WORK * size + 2_000

    def words(self, text: str) -> dict[str, float]:
        return {word: self.weight.get(word, 0.0) for word in _root_words(text) if word not in self.ignored}

    def targets(self) -> _Targets:
        return _Targets(self)


def _root_words(text: str) -> set[str]:
    """``content_words`` cut a little further, so that a paraphrase's forms meet: "reimbursement"
    and "reimburse", "appeals" and "appeal", "creation" and "create".

    >>> sorted(_root_words("reimbursement appeals creation")) == sorted(_root_words("reimburse appeal create"))
    True
    """
    return {_root(word) for word in content_words(text)}


@lru_cache(maxsize=65536)
def _root(word: str) -> str:
    return _ROOT_ENDING.sub("", word) if len(word) > 5 else word


_ROOT_ENDING = re.compile(r"(?:e?ment|ion|ly|e)$")
_STOPWORD_ROOTS = frozenset(_root(_stem(word)) for word in _STOPWORDS)


class _Targets:
    def __init__(self, restatements: _Restatements):
        self.owner = restatements
        self.nodes: list[tuple[_Candidate, dict[str, float], float]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    def add(self, node: _Candidate, merged_into: _Candidate | None = None) -> None:
        """Index ``node``'s words; an ask found to argue a summary's ask stands for that one."""
        words = self.owner.words(self.owner.text[slice(*node.spans[0])])
        for word in words:
            self.postings[word].append(len(self.nodes))
        self.nodes.append((merged_into or node, words, sum(words.values())))

    def best(self, candidate: _Candidate, place: str, heading: str | None = None) -> tuple[float, _Candidate] | None:
        """The ask ``candidate`` says again and the share of words they have in common, if one
        stands out (see ``_merge_restatements``); ``place`` is where it stands ("closing item",
        "closing", "body"), which sets the share it needs (``RESTATED_SCORE``). A heading over it
        that names the ask adds ``RESTATED_HEADING`` ("Quota for small boats" over "... should
        not lose any part of its share")."""
        words = self.owner.words(self.owner.text[slice(*candidate.spans[0])])
        titled = self.owner.words(heading) if heading else {}
        found = {n for word in words for n in self.postings.get(word, ())[: RESTATED_POSTINGS + 1]
                 if len(self.postings[word]) <= RESTATED_POSTINGS}
        self.owner.work -= len(found) + len(words)
        if self.owner.work < 0 or not found:
            return None
        own = sum(words.values())
        scores = []
        for n in found:
            node, theirs, their_weight = self.nodes[n]
            shared = words.keys() & theirs.keys()
            if len(shared) >= 2 and min(own, their_weight) > 0:
                weight = sum(theirs[word] for word in shared)
                named = sum(theirs[word] for word in titled.keys() & theirs.keys())
                bonus = RESTATED_HEADING if titled and named >= 0.5 * sum(titled.values()) > 0 else 0.0
                scores.append((weight / min(own, their_weight) + bonus, weight / own, -n, node, shared))
        scores.sort(key=lambda score: (score[0], score[2]), reverse=True)
        seen: set[int] = set()  # two wordings of one ask (a summary's and its section's) are one
        scores = [score for score in scores if id(score[3]) not in seen and not seen.add(id(score[3]))]
        if not scores:
            return None
        first, second = scores[0], (scores[1] if len(scores) > 1 else None)
        alike = second is not None and first[0] < RESTATED_MARGIN * second[0]  # which one, unclear
        least, least_own = RESTATED_SCORE[place]
        if first[0] >= least and first[1] >= least_own and not alike:
            return first[0], first[3]
        # A closing passage may repeat several asks at once ("EFSP urges the Commission once
        # again to leave the right untouched and to give rightholders a way to opt out"): if
        # together they hold enough of its words, it joins the one it is most like.
        floor = RESTATED_SCORE["closing item"][0]
        several = [score for score in scores if score[0] >= floor]
        if place != "body" and len(several) >= 2:
            held = set().union(*(score[4] for score in several))
            if sum(words[word] for word in held) / own >= RESTATED_BOTH:
                return first[0], first[3]
        return None


def _prefix(size: int, share: float) -> int:
    """How many of a passage's ``size`` rarest words hold the first word it shares with any
    passage it has at least ``share * size`` words in common with (see ``_merge_repeats``)."""
    shared = max(math.ceil(share * size) - 1, 1)  # one less than the bound, against rounding
    return size - shared + 1
