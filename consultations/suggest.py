"""Suggest framework items a recommendation is about, by text similarity.

No network models and no dependencies: a TF-IDF index over the framework items, built once
per request (a framework has tens to hundreds of items, so building takes a few milliseconds).

- **Documents.** An item's document is its title, text and aliases, plus its parent's title:
  "4.1.1 Is the allocated work suitable ...?" has no title of its own, and its parent's
  ("Unpaid work") says what it is about.
- **Terms.** Words are lower-cased, English stop words and words under three letters dropped,
  and reduced to a stem by a small suffix stripper (``stem``), so "allocated" meets
  "allocation" and "involvement" meets "involving". Numbers are ignored: explicit codes are the
  reference parser's job (``consultations.references``), not this one's.
- **Related words.** A recommendation about "training" rarely says "learning and development",
  which is how the standards put it. A short list of such paraphrases (``RELATED``) adds the
  related words to the recommendation's terms at half weight. The matched words still show the
  recommendation's own word.
- **Ignored words.** The caller can pass words that say nothing about the topic in this
  context, such as the names of the consulting body and the respondent ("HM Inspectorate of
  Probation", "Clinks"): otherwise "Probation" would pull every recommendation towards the one
  item whose title says "National Probation Service".
- **Weights.** Sub-linear term frequency (1 + ln tf) times smoothed inverse document frequency
  (ln((1 + N) / (1 + df)) + 1), so words every item uses ("service user", "high-quality")
  count for little and words only one item uses count for a lot.
- **Score.** The cosine of the recommendation's vector and each item's: 0 (no word in common)
  to 1 (the same words in the same proportions). Words the framework never uses still count in
  the recommendation's length, so a long text that touches an item in passing scores low.
- **Matched words.** The shared terms that contributed most to the score, shown as the
  recommendation writes them ("allocated", not the stem "alloc").

Everything is deterministic: equal scores are ordered by item id.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_LIMIT = 8
# Below this a suggestion is noise: one common word in common with a long text.
MIN_SCORE = 0.05
MATCHED_WORDS = 5

# Common English function words, and the modal verbs every recommendation uses.
STOP_WORDS = frozenset(
    """
    about above across after again against all almost along already also although always am
    among an and another any anyone anything are around as ask asked asks at away be became
    because become been before being below between both but by can cannot could did do does
    doing done down during each either else enough especially etc even ever every few for from
    further get gets given go going had has have having he her here hers herself him himself
    his how however if in including into is it its itself just least less let like made make
    makes many may me might more most much must my myself near need needs neither no nor not
    now of off often on once one only onto or other others otherwise our ours ourselves out
    over own part per perhaps put rather really same see seem seems several shall she should
    since so some something such than that the their theirs them themselves then there
    therefore these they this those though through throughout thus to together too toward
    towards under until up upon us use used using very via was way we well were what whatever
    when where whether which while who whole whom whose why will with within without would yet
    you your yours yourself yourselves
    two three four five six seven eight nine ten first second third
    """.split()
)

# Irregular forms the suffix stripper cannot reach.
IRREGULAR = {"women": "woman", "men": "man", "children": "child", "safety": "safe"}

# Paraphrases: a recommendation's word (left, or any word with its stem) also looks for the
# words on the right, at RELATED_WEIGHT. Keep this short and general: it applies to every
# framework.
RELATED = {
    "training": ("learning", "development"),
    "involvement": ("engagement",),
    "engagement": ("involvement",),
}
RELATED_WEIGHT = 0.5

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

# Derivational endings, written without a final "e" or "y" because those are trimmed first
# ("-ity" is "it", "-ive" is "iv"), and tried longest first. As in Porter's stemmer, what is
# left must be long enough, measured in vowel-consonant sequences: at least one for the
# longer endings ("statement" -> "stat"), two for the short ones, which are more often just
# the end of a word ("deliver" -> "deliv", but not on to "del").
_LONG_SUFFIXES = """
    isation ization ation ition ement ment ness anc enc ship abil ibil abl ibl ical
    ator ativ itiv ful ous
""".split()
_SHORT_SUFFIXES = "iv it ism ist is iz at ant ent ion al er or".split()
_SUFFIXES = tuple(
    sorted(((s, 1) for s in _LONG_SUFFIXES), key=lambda entry: -len(entry[0]))
    + sorted(((s, 2) for s in _SHORT_SUFFIXES), key=lambda entry: -len(entry[0]))
)
_VOWELS = set("aeiou")


def _measure(stem_: str) -> int:
    """Porter's m: how many vowel-then-consonant sequences ``stem_`` has ("trouble" has 1)."""
    pattern = ""
    for index, char in enumerate(stem_):
        vowel = char in _VOWELS or (char == "y" and index > 0 and stem_[index - 1] not in _VOWELS)
        kind = "v" if vowel else "c"
        if not pattern or pattern[-1] != kind:
            pattern += kind
    return pattern.count("vc")


def _trim(word: str) -> str:
    """Drop a final "-ly" or "-y", then a final "e": "safely" -> "saf", "delivery" -> "deliver"."""
    if word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    elif word.endswith("y") and len(word) > 4:
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _strip_ending(word: str) -> str | None:
    for ending, measure in _SUFFIXES:
        if word.endswith(ending) and _measure(word[: -len(ending)]) >= measure:
            return word[: -len(ending)]
    return None


def stem(word: str) -> str:
    """A small, predictable English suffix stripper (not a dictionary lemmatiser).

    In order: plurals and verb endings ("activities" -> "activity", "trained" -> "train"),
    then up to three rounds of trimming a final "-ly", "-y" or "e" and one derivational
    ending ("organisational" -> "organisation" -> "organ", "allocated" -> "allocat" ->
    "alloc"), then a doubled final consonant, so "staffing", "staffed" and "staff" all become
    "staf". Words of three letters or fewer are left alone. Stems are only compared with each
    other, never shown, so they need to be consistent rather than real words.
    """
    word = _plain(word).replace("'", "")
    word = IRREGULAR.get(word, word)
    if len(word) <= 3:
        return word
    # Plurals and inflections.
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and _measure(word[: -len(ending)]) >= 1:
            word = word[: -len(ending)]
            break
    # Derivational endings: "rehabilitative" and "rehabilitation" both reach "rehabil".
    for _ in range(3):
        word = _trim(word)
        shorter = _strip_ending(word)
        if shorter is None:
            break
        word = shorter
    else:
        word = _trim(word)
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def _plain(word: str) -> str:
    """Lower case, without a possessive "'s"."""
    plain = word.lower().replace("’", "'")
    return plain.removesuffix("'s")


def tokens(text: str | None) -> list[tuple[str, str]]:
    """``(stem, word as written)`` for each content word of ``text``, in order."""
    found = []
    for match in _WORD.finditer(text or ""):
        word = match.group(0)
        plain = _plain(word)
        if len(plain) < 3 or plain in STOP_WORDS:
            continue
        term = stem(plain)
        if len(term) >= 3 and term not in STOP_WORDS:
            found.append((term, word))
    return found


class ItemLike(Protocol):
    id: Any
    code: str
    title: str | None
    text: str | None
    aliases: Any
    parent_id: Any


@dataclass(frozen=True)
class Suggestion:
    """A framework item the text is similar to: ``score`` in [0, 1], and the words that matched."""

    item: Any
    score: float
    matched_words: tuple[str, ...]

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def evidence(self) -> str:
        """The matched words as stored on a link (``Link.evidence``)."""
        return ", ".join(self.matched_words)


def item_document(item: ItemLike, parent: ItemLike | None = None) -> str:
    """The text an item is indexed by: its title, text, aliases and its parent's title."""
    parts = [item.title or "", item.text or "", *(item.aliases or [])]
    if parent is not None:
        parts.append(parent.title or "")
    return "\n".join(part for part in parts if part)


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {term: w / norm for term, w in vector.items()} if norm else {}


def _tf_idf(counts: Counter, idf: dict[str, float], default_idf: float) -> dict[str, float]:
    return {term: (1 + math.log(n)) * idf.get(term, default_idf) for term, n in counts.items()}


_RELATED_STEMS = {
    stem(word): tuple(stem(other) for other in others) for word, others in RELATED.items()
}


class SuggestionIndex:
    """TF-IDF vectors of framework items; ``suggest`` ranks them against a text.

    ``items`` are FrameworkItem rows (or anything with ``id``, ``code``, ``title``, ``text``,
    ``aliases`` and ``parent_id``). Parents are looked up among the items given, so building
    the index never queries the database; pass whole frameworks, as
    ``consultations.frameworks.current_items`` returns them.
    """

    def __init__(self, items: Iterable[ItemLike]):
        self.items: list[Any] = sorted(items, key=lambda item: item.id)
        self._position = {item.id: index for index, item in enumerate(self.items)}
        by_id = {item.id: item for item in self.items}
        counts = [
            Counter(term for term, _ in tokens(item_document(item, by_id.get(item.parent_id))))
            for item in self.items
        ]
        document_frequency: Counter = Counter()
        for terms in counts:
            document_frequency.update(terms.keys())
        n = len(self.items)
        self.idf = {term: math.log((1 + n) / (1 + df)) + 1 for term, df in document_frequency.items()}
        self._unseen_idf = math.log(1 + n) + 1  # a word no item uses: the rarest possible
        self.vectors = [_normalised(_tf_idf(terms, self.idf, self._unseen_idf)) for terms in counts]

    def __len__(self) -> int:
        return len(self.items)

    def _query(self, text: str | None, ignore_words: str | Iterable[str] = ()) -> tuple[dict[str, float], dict[str, str]]:
        """The text's normalised vector, and each term as the text first writes it."""
        if isinstance(ignore_words, str):
            ignore_words = [ignore_words]
        # Ignored as written, not by stem: "Inspectorate" in a name says nothing, "inspection" may.
        ignored = {_plain(word) for words in ignore_words for _, word in tokens(words)}
        found = [(term, word) for term, word in tokens(text) if _plain(word) not in ignored]
        written: dict[str, str] = {}
        for term, word in found:
            written.setdefault(term, word if word.isupper() and len(word) > 1 else word.lower())
        vector = _tf_idf(Counter(term for term, _ in found), self.idf, self._unseen_idf)
        for term in list(vector):
            frequency_weight = vector[term] / self.idf.get(term, self._unseen_idf)
            for related in _RELATED_STEMS.get(term, ()):
                if related in self.idf and related not in written:
                    vector[related] = RELATED_WEIGHT * frequency_weight * self.idf[related]
                    written[related] = written[term]
        return _normalised(vector), written

    def _suggestion(self, query: dict[str, float], written: dict[str, str], item) -> Suggestion:
        vector = self.vectors[self._position[item.id]]
        shared = {term: weight * vector[term] for term, weight in query.items() if term in vector}
        score = min(1.0, max(0.0, sum(shared.values())))
        words: list[str] = []
        for term in sorted(shared, key=lambda term: (-shared[term], term)):
            if written[term] not in words:
                words.append(written[term])
        return Suggestion(item, round(score, 6), tuple(words[:MATCHED_WORDS]))

    def suggest(
        self,
        text: str | None,
        exclude: Iterable[Any] = (),
        limit: int | None = DEFAULT_LIMIT,
        min_score: float = MIN_SCORE,
        ignore_words: str | Iterable[str] = (),
    ) -> list[Suggestion]:
        """Items ranked by similarity to ``text``, best first, leaving out ``exclude``.

        ``exclude`` holds items or item ids (for example everything already linked, whatever
        its status). Only items scoring above 0 and at least ``min_score`` are returned.
        ``ignore_words`` (a text or texts) are left out of ``text``'s terms.
        """
        query, written = self._query(text, ignore_words)
        if not query:
            return []
        excluded = {getattr(entry, "id", entry) for entry in exclude}
        found = []
        for item in self.items:
            if item.id in excluded:
                continue
            suggestion = self._suggestion(query, written, item)
            if suggestion.score > 0 and suggestion.score >= min_score:
                found.append(suggestion)
        found.sort(key=lambda s: (-s.score, s.item.id))
        return found if limit is None else found[:limit]

    def score(self, text: str | None, item: Any, ignore_words: str | Iterable[str] = ()) -> Suggestion | None:
        """How similar ``text`` is to one indexed item (or item id); None if it is not indexed."""
        index = self._position.get(getattr(item, "id", item))
        if index is None:
            return None
        query, written = self._query(text, ignore_words)
        return self._suggestion(query, written, self.items[index])


def suggest(
    text: str | None,
    items: Sequence[ItemLike],
    exclude: Iterable[Any] = (),
    limit: int | None = DEFAULT_LIMIT,
    min_score: float = MIN_SCORE,
    ignore_words: str | Iterable[str] = (),
) -> list[Suggestion]:
    """Rank ``items`` by similarity to ``text`` (builds a ``SuggestionIndex`` once)."""
    return SuggestionIndex(items).suggest(
        text, exclude=exclude, limit=limit, min_score=min_score, ignore_words=ignore_words
    )


__all__ = [
    "RELATED",
    "STOP_WORDS",
    "Suggestion",
    "SuggestionIndex",
    "item_document",
    "stem",
    "suggest",
    "tokens",
]
