"""The respondent's names, learnt from the document and the caller, so "Clinks recommends"
counts and "The Lammy Review recommends" does not."""
from __future__ import annotations

import re

from .blocks import Block
from .rules import _ADVERBS, _ASIDE, _PRONOUNS, _VERBS


# --- the respondent's names ---------------------------------------------------------

_ORG = (
    r"Trust|Association|Society|Council|Institute|Institution|Federation|Network|Alliance|Foundation|Partnership"
    r"|Group|Company|Ltd|Limited|LLP|Inc|plc|PLC|Union|College|University|Centre|Center|Committee|Board|Forum"
    r"|Coalition|Charity|Consortium|Confederation|Organisation|Organization|League|Club|Co-?operative|Campaign"
    r"|Project|Collective|Panel|Chamber|Guild|Academy|Fund|Initiative|Clinic|Practice|Service|Services|Agency"
    r"|Authority|Commission|Community|Advocates|Action|Aid|Care|Support|Alliance"
)
_NAME_WORD = r"[A-Z][\w&'’.-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:of|for|and|the|on|in|&|de)\s+){{0,2}}{_NAME_WORD}){{0,9}}"
_ORG_NAME = re.compile(rf"\b(?:The\s+)?(?P<name>{_NAME})")
_ORG_WORD = re.compile(rf"\b(?:{_ORG})\b")
_NOT_NAMES = re.compile(
    r"^(?:the\s+)?(?:department|government|ministry|minister|secretary(?:\s+of\s+state)?|regulator|review|consultation"
    r"|proposals?|guidance|inspectorate|committee|commission|office|parliament|treasury|we|our|i|it|this|these|dear"
    r"|yours|response|submission|introduction|summary|chief\s+executive|director|chair|head)$",
    re.I,
)
# Names of government and the bodies a response is usually addressed to: never the respondent
# unless the caller says so.
_ADDRESSEE = re.compile(r"^(?:the\s+)?(?:department|ministry|hm\s|her\s+majesty|his\s+majesty|secretary|minister|cabinet|home\s+office|treasury)\b", re.I)
_JOB_WORDS = re.compile(
    r"^(?:(?:chief|executive|director|head|chair|chairman|chairwoman|chairperson|manager|officer|policy|secretary"
    r"|president|ceo|founder|senior|lead|adviser|advisor|coordinator|co-ordinator|general|deputy|vice|interim"
    r"|acting|public|affairs|external|of|research|campaigns|trustee|partner|principal|and|&)\b\s*)+",
    re.I,
)
# What a respondent calls its document: "response", "submission", "position paper", "contribution" ...
_PAPER = (
    r"(?:response|submission|evidence|comments|position(?:\s+(?:paper|statement))?|contribution|reply|views|feedback"
    r"|input)"
)
_SELF_FROM_TITLE = (
    re.compile(rf"^(?P<name>[A-Z][\w&.'’ -]{{1,80}}?)(?:'s|’s)?\s+{_PAPER}\s+(?:to|on)\b"),
    re.compile(rf"^(?:(?:written\s+)?{_PAPER}(?:\s+submitted)?|submitted)\s+(?:from|by|of)\s+(?:the\s+)?"
               r"(?P<name>[A-Z][\w&.'’ -]{1,80}?)(?:\s*\([A-Z][A-Za-z&]{1,12}\))?"
               r"(?:\s+(?:to|on|regarding|concerning|in\s+response\s+to)\s.*)?$", re.I),
    re.compile(r"^about\s+(?P<name>(?!this\b|us\b|our\b|the\s+response\b)[A-Z][\w&.'’ -]{1,80})$", re.I),
)
_VALEDICTION = re.compile(
    r"\b(?:yours\s+(?:faithfully|sincerely|truly)|(?:kind|best|warm|with\s+best)\s+(?:regards|wishes)|regards"
    r"|sincerely|respectfully(?:\s+submitted)?)\b,?",
    re.I,
)
_ON_BEHALF = re.compile(rf"\b(?i:on\s+behalf\s+of)\s+(?:[Tt]he\s+)?(?P<name>{_NAME})")
_SELF_INTRODUCTION = re.compile(
    rf"^(?:\d+(?:\.\d+)*\s+)?(?:The\s+)?(?P<name>{_NAME})(?:\s*\((?:the\s+)?[\"“]?(?P<abbr>[A-Z][A-Za-z&]{{1,12}})[\"”]?\))?,?\s+"
    r"(?:welcomes|is\s+(?:pleased|grateful|delighted|glad|happy)|appreciates|thanks|responds|represents"
    r"|(?:would\s+like|wishes)\s+to\s+(?:thank|respond|comment|submit)|is\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,6}?"
    r"(?:charity|organisation|organization|association|body|network|membership|trust|federation|coalition|alliance"
    r"|company|provider|union|society|institute|group|forum|partnership|consortium|college|council|firm"
    r"|foundation|voice|umbrella|representative))\b"
)
NAME_BLOCKS = 25  # blocks at each end of a document where the respondent introduces itself


def respondent_names(blocks: list[Block], given: tuple[str, ...] | list[str] = ()) -> set[str]:
    """The names the respondent calls itself by.

    Read from the title ("X response to ..."), the letterhead (an organisation's name on the
    first lines), the sign-off ("Yours faithfully, ... Chief Executive, Northfield Trust"), "On
    behalf of X", "X welcomes the opportunity", "X is a charity ...", "About X", and the caller
    (``given``); then each name's abbreviation given in the text ("the Association of Small
    Providers (ASP)") and its short form ("the Association").

    >>> names = respondent_names(split_blocks("The Association of Small Providers (ASP) welcomes the review."))
    >>> sorted(names)
    ['ASP', 'Association of Small Providers', 'the Association']
    """
    own = [block for block in blocks if block.kind != "quote"]
    texts = [block.text.strip() for block in own]
    ends = texts[:NAME_BLOCKS] + texts[-NAME_BLOCKS:] if len(texts) > 2 * NAME_BLOCKS else texts
    found: set[str] = set()
    for n, block in enumerate(own[:40]):
        if n >= 3 and block.kind != "heading":
            continue
        for pattern in _SELF_FROM_TITLE:
            match = pattern.match(texts[n])
            if match:
                found.add(match.group("name").strip())
    for text in texts[:3]:  # the letterhead
        if len(text.split()) <= 8 and _ORG_WORD.search(text) and not re.search(r"[.:;?!]$", text):
            match = _ORG_NAME.fullmatch(text)
            if match and not re.match(r"(?i)(?:to|dear|re|subject|from)\b", text):
                found.add(match.group("name"))
    for n, text in enumerate(ends):
        found.update(_signed_by(text, ends[n + 1 : n + 6]) if _VALEDICTION.search(text) else ())
        for match in _ON_BEHALF.finditer(text):
            found.add(match.group("name"))
        match = _SELF_INTRODUCTION.match(text)
        if match:
            found.add(match.group("name"))
            if match.group("abbr"):
                found.add(match.group("abbr"))
    found = {name for name in (_tidy(name) for name in found) if name and not _ADDRESSEE.match(name)}
    found.update(_tidy(name) for name in given if name and _tidy(name))
    return _with_short_forms(found, texts)


def _tidy(name: str) -> str:
    name = re.sub(r"^(?:the|The)\s+", "", " ".join(name.split())).strip(" ,.;:'’\"")
    name = re.sub(r"(?:'s|’s)$", "", name)
    return "" if _NOT_NAMES.match(name) or len(name) < 2 else name


def _signed_by(text: str, following: list[str]) -> set[str]:
    """The organisation named after a valediction: in "Yours faithfully, Jane Smith, Chief
    Executive, Northfield Trust" it is Northfield Trust (a name with an organisation word, or the
    last part after a comma that is not a job title)."""
    tail = " ".join([text[_VALEDICTION.search(text).end():], *following])[:400]
    names = {match.group("name") for match in _ON_BEHALF.finditer(tail)}
    for part in re.split(r"[,\n]|\s{2,}", tail):
        for match in _ORG_NAME.finditer(part.strip(" .")):
            words = match.group("name").split()
            jobs = [n for n, word in enumerate(words) if _JOB_WORDS.fullmatch(word + " ") and word[:1].isupper()]
            name = " ".join(words[jobs[-1] + 1 :] if jobs else words)
            if _ORG_WORD.search(name):
                names.add(name)
    if not names:
        parts = [p.strip(" .") for p in tail.split(",") if p.strip(" .")]
        last = parts[-1] if len(parts) >= 2 else ""
        if last and re.fullmatch(_NAME, last) and len(last.split()) <= 6 and not _JOB_WORDS.fullmatch(last + " "):
            names.add(last)
    return names


def _with_short_forms(names: set[str], texts: list[str]) -> set[str]:
    """Each name with its abbreviation from the text ("Northfield Trust (NT)"), its initials when
    the text uses them as a word ("European Federation of Small Publishers", then "EFSP calls on
    ..."), and its short form ("the Trust")."""
    out = set(names)
    joined = "\n".join(texts)
    for name in names:
        for match in re.finditer(rf"{re.escape(name)}\s*\((?:the\s+|hereafter\s+)?[\"“]?(?P<abbr>[A-Z][A-Za-z&]{{1,12}})[\"”]?\)", joined):
            out.add(match.group("abbr"))
            break
        initials = "".join(word[0] for word in re.findall(r"\b[A-Z][\w'’-]*", name))
        if len(initials) >= 3 and re.search(rf"\b{initials}\b", joined):
            out.add(initials)
        head = re.split(r"\s+(?:of|for|on|in)\s+", name)[0]  # "Association" of "Association of X"
        words = _ORG_WORD.findall(head) or _ORG_WORD.findall(name)
        if words and len(name.split()) > 1:
            out.add("the " + words[-1])
    return {name for name in out if not _NOT_NAMES.match(name)}


def _recommending(names: set[str], verbs: str = _VERBS) -> re.Pattern:
    """The respondent recommending: "we urge", "the Association strongly recommends", "Northfield
    Trust, as a provider, calls on". Names are matched as written (case counts, save a leading
    "the"), pronouns in any case.

    >>> bool(_recommending({"the Trust"}).search("The Trust urges the department not to adopt it."))
    True
    >>> bool(_recommending(set()).search("The review recommends that providers publish data."))
    False
    """
    subjects = _subjects(names)
    # ... or a second verb of the same subject: "We support the definitions and urge the Department to ..."
    joined = rf"\b(?:{subjects})\b[^.;:!?]{{0,200}}?\b(?i:and|but)\s+(?i:to\s+)?(?i:\w+ly\s+)?(?i:{verbs})"
    return re.compile(rf"\b(?:{subjects}){_ASIDE}(?i:{_ADVERBS}\s+(?:{verbs}))\b|{joined}\b")


def _subjects(names: set[str]) -> str:
    """A pattern for whoever speaks for the respondent: its pronouns ("we", "our members", "this
    comment") in any case, its names as written (save a leading "the")."""
    spelled = [
        (r"[Tt]he\s+" + re.escape(name[4:]) if name.startswith("the ") else re.escape(name))
        for name in sorted(names, key=len, reverse=True)
    ]
    return rf"(?i:{_PRONOUNS})" + "".join(f"|{name}" for name in spelled)


# Someone's view, in the present or the past, and no reporting "that" needed: "Critics say the
# rules should ...", "Trade unions argue that ...", "Some member states felt that ...". Whose view
# it is decides: the respondent's ("The Trust believes the Department should ...") advises.
_THEY_SAY = re.compile(
    r"\b(?:says?|said|argues?|argued|claims?|claimed|warns?|warned|believes?|believed|feels?|felt|insists?|insisted"
    r"|contends?|contended|thinks?|thought|suggests?|wants?|demands?)\b(?!\s+by\b)",
    re.I,
)
# The word before such a verb, when it makes the verb a noun: "Claims should ...", "the calls for".
_NOUN_BEFORE = re.compile(
    r"(?:^|\b(?:the|a|an|of|for|to|and|or|in|on|by|with|this|that|these|those|such|their|its|his|her|any|all|our|each"
    r"|every|whose|which)\s+|['’]s\s+)$",
    re.I,
)
