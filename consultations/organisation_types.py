"""Organisation types: the installation's controlled list of kinds of respondent.

Respondents used to carry free text, so one kind appeared under several spellings ("voluntary
sector", "Voluntary sector organisation", "VCSE") in filters and facets, and public naming had to
guess ("A Voluntary sector organisation organisation"). Now each respondent points at one
``OrganisationType``; admins add, rename, reorder and deactivate types, and every way text comes
in (imports, the command line, migration 0010) maps it onto the list with ``match``, the one
matcher: case and punctuation are ignored and the default types know their usual synonyms.

Services take a session, check, change and flush; callers commit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations.models import OrganisationType

NAME_MAX = 100
PUBLIC_NAME_MAX = 150


@dataclass(frozen=True)
class DefaultType:
    name: str
    public_name: str
    synonyms: tuple[str, ...] = ()


# The list a new installation starts with (migration 0010 seeds it; ``ensure_defaults`` for a
# database made with create_all). Synonyms are compared after ``normalise``.
DEFAULT_TYPES = (
    DefaultType("Voluntary sector organisation", "a voluntary sector organisation", (
        "voluntary sector", "voluntary", "voluntary organisation", "voluntary and community sector", "vcs", "vcse",
        "vcse organisation", "third sector", "third sector organisation", "charity", "charitable organisation",
        "registered charity", "ngo", "ngo non governmental organisation", "non governmental organisation",
        "non profit", "not for profit", "community organisation", "social enterprise", "faith organisation")),
    DefaultType("Probation provider", "a probation provider", (
        "provider", "probation", "probation service", "probation services provider", "crc",
        "community rehabilitation company", "nps", "national probation service")),
    DefaultType("Statutory body", "a statutory body", (
        "statutory", "statutory organisation", "public body", "public sector", "public sector body",
        "government", "government department", "local authority", "council", "police", "nhs", "health body",
        "statutory agency", "criminal justice agency", "state", "un", "un agency", "national human rights institution",
        "nhri")),
    DefaultType("Academic or research organisation", "an academic or research organisation", (
        "academic", "academia", "research", "researcher", "university", "academic research",
        "academic or research", "academic organisation", "research organisation", "think tank")),
    DefaultType("Individual or person with lived experience", "an individual or a person with lived experience", (
        "individual", "private individual", "person", "member of the public", "lived experience",
        "person with lived experience", "service user", "people with lived experience", "individual response")),
    DefaultType("Other", "a respondent of another kind", ("other", "unknown", "not known", "other organisation")),
)

_SYNONYMS = {syn: default.name for default in DEFAULT_TYPES for syn in default.synonyms}

# Final words that already make a noun phrase; after any other the public name adds "organisation".
_NOUNS = {
    "organisation", "organisations", "organization", "body", "provider", "group", "person", "individual",
    "charity", "company", "trust", "business", "authority", "council", "association", "partnership", "service",
    "network", "union", "institution", "university", "agency", "department", "researcher", "academic", "member",
    "enterprise", "forum", "committee", "board", "respondent", "experience", "public", "campaign", "coalition",
    "federation", "institute", "society", "club", "firm", "practitioner", "professional", "worker", "team",
    "inspectorate", "ombudsman", "commission", "ministry", "court", "hospital", "school", "college", "prison",
    "government", "parliament", "office", "unit", "centre", "panel", "cooperative", "lawyer", "advocate",
    "volunteer", "family", "relative", "carer", "citizen", "resident", "victim", "survivor", "user", "state",
}


class OrganisationTypeError(ValueError):
    """A refusal naming the form field it is about (``field``), said as what to change."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


def normalise(text: str | None) -> str:
    """Lower case, words only: "Voluntary-sector (VCSE)" and "voluntary sector vcse" compare equal."""
    return " ".join(re.sub(r"[^\w]+", " ", (text or "").lower()).split())


def match(session: Session, text: str | None) -> OrganisationType | None:
    """The type ``text`` means: its name or public name ignoring case and punctuation, else a default
    type's synonym (also with a trailing "organisation", "institution" or "body" dropped); None if
    nothing fits."""
    return lookup(text, keyed(_known(session)))


def keyed(types) -> dict:
    """Types (anything with ``name`` and ``public_name``, so migrations can pass plain rows) by
    every normalised spelling that names them: name, public name, public name without its article."""
    by_key: dict = {}
    for spelling in ("name", "public_name", "bare"):
        for each in types:
            text = _strip_article(each.public_name or "") if spelling == "bare" else getattr(each, spelling)
            by_key.setdefault(normalise(text), each)
    by_key.pop("", None)
    return by_key


def lookup(text: str | None, by_key: dict):
    """``match`` over types already ``keyed``: exact spelling, else a synonym of a default type,
    each also without a trailing "organisation", "institution" or "body"."""
    key = normalise(text)
    if not key:
        return None
    for candidate in (key, re.sub(r" (organisation|organization|institution|body)s?$", "", key)):
        if candidate in by_key:
            return by_key[candidate]
        synonym = _SYNONYMS.get(candidate)
        if synonym and normalise(synonym) in by_key:
            return by_key[normalise(synonym)]
    return None


def match_or_add(session: Session, text: str | None) -> tuple[OrganisationType | None, bool]:
    """The type ``text`` means, adding it to the list when nothing fits (so no value is lost);
    returns the type and whether it is new, for the caller to report. An empty list (a database
    made with create_all) gets the defaults first."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None, False
    ensure_defaults(session)
    found = match(session, cleaned)
    if found is not None:
        return found, False
    if len(cleaned) > NAME_MAX:
        raise OrganisationTypeError(f"The organisation type must be {NAME_MAX} characters or fewer.")
    added = OrganisationType(name=cleaned, public_name=describe(cleaned), position=_next_position(session),
                             active=True)
    session.add(added)  # not flushed: a caller may be half-way through building other objects
    return added, True


class ImportMatcher:
    """``match_or_add`` for a bulk import: each text looked up once, and types it had to add
    counted and named in the import's report (an ``ImportReport``: ``count`` and ``note``)."""

    def __init__(self, session: Session, report):
        self.session = session
        self.report = report
        self.seen: dict[str, OrganisationType | None] = {}

    def __call__(self, text: str | None) -> OrganisationType | None:
        key = normalise(text)
        if key not in self.seen:
            found, added = match_or_add(self.session, text)
            if added:
                self.report.count("organisation types added")
                self.report.note(f"Some organisation types were not in the list and have been added (for example "
                                 f"‘{found.name}’). An admin can rename them or stop offering them.")
            self.seen[key] = found
        return self.seen[key]


def named(session: Session, text: str | None) -> OrganisationType | None:
    """``match_or_add`` for scripts and tests that only want the type."""
    return match_or_add(session, text)[0]


def describe(name: str) -> str:
    """A singular noun phrase with its article for a type's name: "faith" → "a faith organisation",
    "Individual" → "an individual", "NGO" → "an NGO organisation"."""
    words = name.split()
    if not words:
        return "a respondent"
    first = words[0]
    if not _is_acronym(first):
        words[0] = first.lower()
    last = re.sub(r"[^\w]", "", words[-1]).lower()
    if last not in _NOUNS:
        words.append("organisation")
    phrase = " ".join(words)
    return f"{article(words[0])} {phrase}"


def article(word: str) -> str:
    """"a" or "an" by how the word sounds: an individual, a university, an NGO, a UN agency."""
    if _is_acronym(word):
        return "an" if word[0].upper() in "AEFHILMNORSX" and not word.upper().startswith(("UN", "EU", "UK", "US")) \
            else "a"
    lower = word.lower()
    if lower.startswith(("uni", "use", "usu", "eu", "one", "once")):
        return "a"
    if lower.startswith(("hour", "honest", "honour")):
        return "an"
    return "an" if lower[:1] in "aeiou" else "a"


def public_phrase(organisation_type: OrganisationType | None) -> str:
    """How an anonymous respondent of this type is named in public, capitalised for a sentence."""
    phrase = (organisation_type.public_name if organisation_type else "") or "a respondent"
    return phrase[0].upper() + phrase[1:]


def listed(session: Session, *, include_inactive: bool = True) -> list[OrganisationType]:
    """The list in its order (position, then name)."""
    query = select(OrganisationType).order_by(OrganisationType.position, func.lower(OrganisationType.name))
    if not include_inactive:
        query = query.where(OrganisationType.active.is_(True))
    return list(session.scalars(query))


def choices(session: Session, current: OrganisationType | None = None) -> list[OrganisationType]:
    """What a form offers: the active types, and ``current`` even if deactivated (so an edit keeps it)."""
    types = listed(session, include_inactive=False)
    if current is not None and current not in types:
        types.append(current)
    return types


def filter_options(session: Session) -> list[tuple[int, str]]:
    """(id, label) for filters: every type in list order, since deactivated ones may still be in use."""
    return [(each.id, each.name + ("" if each.active else " (no longer offered)")) for each in listed(session)]


def ensure_defaults(session: Session) -> list[OrganisationType]:
    """Add the default types an empty list lacks (a database made with create_all, the demo)."""
    if _known(session):
        return []
    added = [OrganisationType(name=d.name, public_name=d.public_name, position=i, active=True)
             for i, d in enumerate(DEFAULT_TYPES)]
    session.add_all(added)
    return added


def save(session: Session, organisation_type: OrganisationType | None, *, name: str, public_name: str | None,
         position: int | None = None, active: bool = True) -> OrganisationType:
    """Add (``organisation_type`` None) or change a type. Names are unique ignoring case; a blank
    public name is made from the name; a blank position puts a new type last."""
    name = " ".join((name or "").split())
    public_name = " ".join((public_name or "").split())
    if not name:
        raise OrganisationTypeError("Enter the name of the organisation type")
    if len(name) > NAME_MAX:
        raise OrganisationTypeError(f"The name must be {NAME_MAX} characters or fewer")
    if len(public_name) > PUBLIC_NAME_MAX:
        raise OrganisationTypeError(f"The public name must be {PUBLIC_NAME_MAX} characters or fewer", "public_name")
    if public_name:
        _check_public_name(public_name)
    taken = select(OrganisationType.id).where(func.lower(OrganisationType.name) == name.lower())
    if organisation_type is not None:
        taken = taken.where(OrganisationType.id != organisation_type.id)
    if session.scalar(taken) is not None:
        raise OrganisationTypeError(f"There is already an organisation type called {name}. Choose a different name")
    if organisation_type is None:
        organisation_type = OrganisationType(position=_next_position(session) if position is None else position)
        session.add(organisation_type)
    elif position is not None and organisation_type.position != position:
        organisation_type.position = position
    changes = {"name": name, "public_name": public_name or describe(name), "active": active}
    for field, value in changes.items():
        if getattr(organisation_type, field) != value:  # unchanged fields stay out of the log
            setattr(organisation_type, field, value)
    session.flush()
    return organisation_type


def move(session: Session, organisation_type: OrganisationType, step: int) -> OrganisationType:
    """Move a type one place up (``step`` -1) or down (+1) in the list, renumbering it 0, 1, 2..."""
    types = listed(session)
    index = types.index(organisation_type)
    target = index + step
    if not 0 <= target < len(types):
        return organisation_type
    types[index], types[target] = types[target], types[index]
    for position, each in enumerate(types):
        if each.position != position:
            each.position = position
    session.flush()
    return organisation_type


def _check_public_name(public_name: str) -> None:
    """A public name reads in a sentence: "a" or "an", right for the word after it, then the noun."""
    words = public_name.split()
    if words[0].lower() not in ("a", "an") or len(words) < 2:
        raise OrganisationTypeError(
            "Start the public name with “a” or “an”, for example “a voluntary sector organisation”", "public_name")
    if article(words[1]) != words[0].lower():
        raise OrganisationTypeError(f"Use “{article(words[1])}” before “{words[1]}” in the public name", "public_name")


def _next_position(session: Session) -> int:
    positions = [each.position or 0 for each in _known(session)]
    return max(positions) + 1 if positions else 0


def _known(session: Session) -> list[OrganisationType]:
    """Every type, those added but not yet flushed included, without flushing: callers such as
    imports and ``named`` may be half-way through building other objects."""
    with session.no_autoflush:
        stored = list(session.scalars(select(OrganisationType)))
    return stored + [obj for obj in session.new if isinstance(obj, OrganisationType) and obj not in stored]


def _is_acronym(word: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", word)
    return len(letters) >= 2 and letters.isupper()


def _strip_article(phrase: str) -> str:
    return re.sub(r"^(a|an)\s+", "", phrase.strip(), flags=re.IGNORECASE)
