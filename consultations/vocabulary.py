"""Every status vocabulary, once: its values in order, how people read them, and their GOV.UK
tag colour.

Models, services, form choices, the ``status_tag`` template macro, the JSON API's schema and the
OpenAPI enums are all derived from these, so a new status is added here and nowhere else.
A value keeps one colour whichever vocabulary it is in (``closed`` is grey for a consultation
and for a response), which ``tag`` relies on and ``_check_colours`` enforces at import.
"""
from __future__ import annotations

from dataclasses import dataclass

# GOV.UK Frontend's tag colours (``govuk-tag--<colour>``).
TAG_COLOURS = frozenset({"grey", "green", "turquoise", "blue", "light-blue", "purple", "pink", "red",
                         "orange", "yellow"})


@dataclass(frozen=True)
class Term:
    value: str  # as stored
    colour: str = "grey"
    label: str = ""  # as shown; the value with a capital letter when not given

    def __post_init__(self) -> None:
        if self.colour not in TAG_COLOURS:
            raise ValueError(f"{self.colour!r} is not a GOV.UK tag colour")
        if not self.label:
            object.__setattr__(self, "label", self.value[:1].upper() + self.value[1:])

    @property
    def tag_class(self) -> str:
        return f"govuk-tag--{self.colour}"


class Vocabulary(tuple):
    """The ordered terms of one status list; behaves as the tuple of its stored values, so
    ``status in VOCABULARY`` and ``", ".join(VOCABULARY)`` read as before."""

    terms: tuple[Term, ...]

    def __new__(cls, *terms: Term) -> Vocabulary:
        vocabulary = super().__new__(cls, (term.value for term in terms))
        vocabulary.terms = terms
        return vocabulary

    def __getnewargs__(self) -> tuple[Term, ...]:  # copy and pickle rebuild it from its terms
        return self.terms

    def choices(self) -> list[tuple[str, str]]:
        """(value, label) pairs for a form's radios or select."""
        return [(term.value, term.label) for term in self.terms]

    def label(self, value: str) -> str:
        """How ``value`` reads; a value this vocabulary does not know (legacy data), capitalised."""
        return next((term.label for term in self.terms if term.value == value), None) or Term(value).label

    def subset(self, *values: str) -> Vocabulary:
        missing = set(values) - set(self)
        if missing:
            raise ValueError(f"not in this vocabulary: {sorted(missing)}")
        return Vocabulary(*(term for term in self.terms if term.value in values))


CONSULTATION_STATUSES = Vocabulary(
    Term("draft", "grey"), Term("open", "green"), Term("closed", "grey"), Term("analysing", "blue"),
    Term("outcome published", "purple"))
# What the public may see (consultations.published): everything but drafts.
PUBLIC_CONSULTATION_STATUSES = CONSULTATION_STATUSES.subset("open", "closed", "analysing", "outcome published")

# A response's triage status, in the order it moves through them (consultations.triage.STATUS_FLOW).
RESPONSE_STATUSES = Vocabulary(
    Term("received", "blue"), Term("in review", "yellow"), Term("recommendations confirmed", "green"),
    Term("closed", "grey"))

CONSENT_LEVELS = Vocabulary(Term("named", "turquoise"), Term("anonymous", "yellow"), Term("confidential", "orange"))

LINK_ORIGINS = Vocabulary(
    Term("explicit", label="Referenced in the response"), Term("suggested", label="Suggested by the tracker"),
    Term("manual", label="Added by staff"))
LINK_STATUSES = Vocabulary(Term("proposed", "yellow"), Term("confirmed", "green"), Term("rejected", "red"))

# Clusters of duplicates and campaigns.
GROUP_STATUSES = Vocabulary(Term("proposed", "yellow"), Term("confirmed", "green"), Term("rejected", "red"))

IMPORT_STATUSES = Vocabulary(Term("running", "blue"), Term("finished", "green"), Term("failed", "red"))

DECISION_OUTCOMES = Vocabulary(
    Term("accepted", "green"), Term("accepted in part", "turquoise"), Term("not accepted", "red"),
    Term("already in place", "blue"), Term("under consideration", "yellow"))
DECISION_STATES = Vocabulary(Term("draft", "grey"), Term("approved", "blue"), Term("published", "green"),
                             Term("withdrawn", "orange"))
# What the public sees as a decision's outcome: a withdrawn one shows as withdrawn (consultations.published).
PUBLIC_DECISION_OUTCOMES = Vocabulary(*DECISION_OUTCOMES.terms, Term("withdrawn", "orange"))

ACTION_STATUSES = Vocabulary(
    Term("not started", "grey"), Term("in progress", "blue"), Term("implemented", "green"),
    Term("superseded", "purple"), Term("withdrawn", "orange"))
# Actions with nothing left to do: never overdue.
FINISHED_ACTION_STATUSES = ACTION_STATUSES.subset("implemented", "superseded", "withdrawn")

# Not statuses of a record, but shown as tags beside one.
MARKERS = Vocabulary(Term("retired", "grey"), Term("not found", "red"))

ALL = (CONSULTATION_STATUSES, RESPONSE_STATUSES, CONSENT_LEVELS, LINK_STATUSES, GROUP_STATUSES,
       IMPORT_STATUSES, DECISION_OUTCOMES, PUBLIC_DECISION_OUTCOMES, DECISION_STATES, ACTION_STATUSES, MARKERS)


def _check_colours() -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for vocabulary in ALL:
        for term in vocabulary.terms:
            seen = terms.setdefault(term.value, term)
            if (seen.colour, seen.label) != (term.colour, term.label):
                raise ValueError(f"{term.value!r} is shown two ways: {seen} and {term}")
    return terms


TAGS = _check_colours()
UNKNOWN_COLOUR = "grey"  # a value no vocabulary knows (legacy data) still shows, in grey


def tag(value: str) -> Term:
    """How a status value is shown as a tag, whichever vocabulary it comes from."""
    return TAGS.get(value) or Term(value, UNKNOWN_COLOUR)
