"""Find explicit references to framework items in text and resolve them to items.

Two kinds of mention are read:

* structural: a keyword and one or more numbers ("standard 1.3", "Question 4.1.3",
  "domains two and three", "strategic objective 1"), resolved through the framework's
  aliases first ("domain three" may be item 4) and then, for the inspection vocabulary
  (standard, domain, question ...), by code. A structural mention
  that matches nothing is *unresolved*: kept and shown, never dropped;
* bare codes ("under 4.1.2"), counted only when they match an item, since a bare
  number is as likely to be a version or a quantity.

A broad reference written right next to a narrower one ("Question 4.1.3 of domain
three") only qualifies it, so the broader item is dropped in favour of the narrower.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}  # fmt: skip

_KEYWORDS = (
    r"strategic\s+objectives?|key\s+questions?|domains?|standards?|questions?|objectives?"
    r"|priorit(?:y|ies)|themes?|indicators?|criteri(?:on|a)|principles?|prompts?"
)
_NUMBER = r"(?:\d{1,3}(?:\.\d{1,3})*|" + "|".join(NUMBER_WORDS) + r"|[A-Z]{1,4}\d{1,3}(?:\.\d{1,3})*)"
_STRUCTURAL = re.compile(
    rf"\b(?P<keyword>{_KEYWORDS})\s+(?P<numbers>{_NUMBER}(?:\s*(?:,|and|or|&)\s*{_NUMBER})*)\b",
    re.IGNORECASE,
)
_BARE_CODE = re.compile(r"(?<![\w.£$€/-])(?P<code>\d{1,2}(?:\.\d{1,2}){1,3})(?![\w%]|\.\d)")
# Both are tried at a code's position (match at its end; search ending at its start) rather than on
# the text sliced there: slicing the rest of the text for every code is quadratic in long texts.
_NOT_A_CODE_AFTER = re.compile(r"\s*(?:%|per\s*cent|million|billion|bn\b|m\b|times|hours|years|km|miles)", re.I)
_NOT_A_CODE_BEFORE = re.compile(
    r"(?:version|v|act|section|paragraph|para|page|p|pp|chapter|figure|fig|table|annex|appendix|clause|rule)\.?\s*$",
    re.I,
)
_LONGEST_NOT_A_CODE_WORD = len("paragraph.")
QUALIFIER_DISTANCE = 30
# Keywords whose number *is* the item's code ("standard 1.3" is item 1.3). Others, such as
# "objective 2", name items only through the framework's aliases.
CODE_KEYWORDS = {"standard", "domain", "question", "key question", "indicator", "criterion", "prompt"}


class ItemLike(Protocol):
    code: str
    aliases: list


@dataclass
class Mention:
    text: str
    start: int
    end: int
    keyword: str | None  # None for a bare code
    number: str  # digits form, e.g. "3" for "three"


@dataclass
class Resolution:
    """What one text refers to: resolved items (with the words that matched) and the rest."""

    items: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)  # id(item) -> mention text
    unresolved: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        seen: list[str] = []
        for item in self.items:
            if item.code not in seen:
                seen.append(item.code)
        return seen


def find_mentions(text: str) -> list[Mention]:
    """Every structural mention and bare code in ``text``, in order."""
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for match in _STRUCTURAL.finditer(text):
        keyword = _singular(match.group("keyword"))
        numbers_start = match.start("numbers")
        for number_match in re.finditer(rf"{_NUMBER}", match.group("numbers"), re.IGNORECASE):
            raw = number_match.group(0)
            number = NUMBER_WORDS.get(raw.lower(), raw)
            if keyword in ("question", "prompt") and "." not in number:
                continue  # "question 4" is the consultation's own question, not a framework item
            start = numbers_start + number_match.start()
            end = numbers_start + number_match.end()
            mentions.append(Mention(f"{keyword} {raw}", start, end, keyword, number))
        taken.append(match.span())
    taken_starts = [start for start, _ in taken]  # in order and not overlapping, as finditer gives them
    for match in _BARE_CODE.finditer(text):
        before = bisect.bisect_right(taken_starts, match.start()) - 1
        if before >= 0 and match.start() < taken[before][1]:
            continue
        if _NOT_A_CODE_AFTER.match(text, match.end()) or _not_a_code_before(text, match.start()):
            continue
        code = match.group("code")
        mentions.append(Mention(code, match.start(), match.end(), None, code))
    mentions.sort(key=lambda mention: mention.start)
    return mentions


def _not_a_code_before(text: str, end: int) -> bool:
    """``_NOT_A_CODE_BEFORE.search(text[:end])``, looking back only past the spaces before ``end``
    and the longest word it names (with its full stop)."""
    start = end
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return _NOT_A_CODE_BEFORE.search(text, max(0, start - _LONGEST_NOT_A_CODE_WORD), end) is not None


def _singular(keyword: str) -> str:
    keyword = " ".join(keyword.lower().split())
    irregular = {"priorities": "priority", "criteria": "criterion"}
    if keyword in irregular:
        return irregular[keyword]
    return keyword[:-1] if keyword.endswith("s") else keyword


class ReferenceResolver:
    """Resolves mentions against framework items (any objects with ``code`` and ``aliases``)."""

    def __init__(self, items: Iterable[ItemLike]):
        self.by_code: dict[str, list] = {}
        self.by_alias: dict[str, list] = {}
        for item in items:
            self.by_code.setdefault(item.code.casefold(), []).append(item)
            for alias in item.aliases or []:
                self.by_alias.setdefault(_alias_key(alias), []).append(item)

    def resolve(self, text: str) -> Resolution:
        """Linear in the number of mentions, however many a long text holds (each list membership
        below is tested once per distinct item or text, not once per mention)."""
        resolution = Resolution()
        found: list[tuple[Mention, object]] = []
        unresolved: set[str] = set()
        for mention in find_mentions(text):
            items = self._lookup(mention)
            if items:
                found.extend((mention, item) for item in items)
            elif mention.keyword is not None and mention.text not in unresolved:
                unresolved.add(mention.text)
                resolution.unresolved.append(mention.text)
        present: set[int] = set()  # ids of the items known to be (equal to one) in resolution.items
        for index, (mention, item) in enumerate(found):
            if id(item) in present or self._only_qualifies(index, found):
                continue
            present.add(id(item))
            if item not in resolution.items:  # items may compare equal without being the same object
                resolution.items.append(item)
                resolution.evidence[id(item)] = mention.text
        return resolution

    def _lookup(self, mention: Mention) -> list:
        if mention.keyword is None:
            return self.by_code.get(mention.number.casefold(), [])
        for phrase in (mention.text, f"{mention.keyword} {mention.number}"):
            if items := self.by_alias.get(_alias_key(phrase)):
                return items
        if mention.keyword in CODE_KEYWORDS or not mention.number.isdigit():
            return self.by_code.get(mention.number.casefold(), [])
        return []

    @staticmethod
    def _only_qualifies(index: int, found: list) -> bool:
        """True when a narrower item is mentioned right beside this broader one (``found[index]``).

        Mentions never overlap and are in order, so only the neighbours within
        ``QUALIFIER_DISTANCE`` characters on either side are looked at."""
        mention, item = found[index]
        for step in (-1, 1):
            j = index + step
            while 0 <= j < len(found):
                other_mention, other = found[j]
                j += step
                if other_mention is mention:
                    continue
                gap = max(other_mention.start - mention.end, mention.start - other_mention.end)
                if gap > QUALIFIER_DISTANCE:
                    break
                if other is not item and _is_ancestor(item.code, other.code):
                    return True
        return False


def _is_ancestor(code: str, other: str) -> bool:
    return len(other) > len(code) and other.startswith(code) and other[len(code)] in ".-/"


def _alias_key(phrase: str) -> str:
    words = phrase.casefold().split()
    return " ".join(NUMBER_WORDS.get(word, word) for word in words)
