"""The suggestion engine: TF-IDF over framework items, on the real demo frameworks and texts.

Pure domain tests: the items are read from the demo framework files, no database needed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import pytest
from conftest import CLINKS_RESPONSE, PROBATION_FRAMEWORK, SUER_FRAMEWORK

from consultations.frameworks import load_framework_file
from consultations.suggest import SuggestionIndex, item_document, stem, suggest, tokens

CLINKS_TEXT = CLINKS_RESPONSE.read_text(encoding="utf-8")
ORGANISATIONS = ["HM Inspectorate of Probation", "Clinks"]

# Clinks R4, word for word from the demo response.
R4 = (
    "Clinks recommends, under domain three, standard 4.1.1. where it asks 'is the allocated work, "
    "suitable, taking account of service user's diversity and personal circumstances', that this be "
    "expanded to ask whether staff have specifically considered the gendered needs of service users. "
    "This should include asking whether child care responsibilities have been taken into account and "
    "past experiences of trauma."
)
# Clinks R2.2, about staff training. No framework item says "training": 1.2.4 speaks of
# "learning and development", which is what the related-words list is for.
STAFF_TRAINING = (
    "Standard 1.2.4 on staff training this standard should have questions related to diversity training "
    "and training on protected characteristics for staff. This should include cultural competence, "
    "training on gendered approaches, and the needs of young adults."
)
# Clinks R9, about involving service users in inspections.
R9 = (
    "We recommend that to engage service users in a meaningful, valid and appropriate way in inspections "
    "that HMI Probation engage with the voluntary sector to facilitate this engagement."
)
INVOLVEMENT = (
    "People with lived experience of probation should be involved in inspections: inspectors should "
    "meet service user councils, and former service users should join inspection teams as peer researchers."
)


@dataclass
class Item:
    """Just what the engine reads from a FrameworkItem."""

    id: int
    code: str
    title: str | None
    text: str | None
    aliases: list[str] = field(default_factory=list)
    parent_id: int | None = None


@pytest.fixture(scope="module")
def items() -> list[Item]:
    found: list[Item] = []
    for path in (PROBATION_FRAMEWORK, SUER_FRAMEWORK):
        ids: dict[str, int] = {}
        for spec in load_framework_file(path).items:
            ids[spec.code] = len(found) + 1
            found.append(Item(len(found) + 1, spec.code, spec.title, spec.text, list(spec.aliases),
                              ids.get(spec.parent_code) if spec.parent_code else None))
    return found


@pytest.fixture(scope="module")
def index(items) -> SuggestionIndex:
    return SuggestionIndex(items)


def codes(suggestions) -> list[str]:
    return [s.item.code for s in suggestions]


def test_clinks_r4_on_unpaid_work_allocation_suggests_4_1_1_first(index):
    assert R4 in CLINKS_TEXT  # the test text really is the demo response's
    suggestions = index.suggest(R4, ignore_words=ORGANISATIONS)
    assert codes(suggestions)[0] == "4.1.1"
    best = suggestions[0]
    # The words shown are the recommendation's own, not stems.
    assert {"suitable", "diversity", "circumstances"} <= set(best.matched_words)
    assert len(best.matched_words) == 5
    assert best.score > 2 * suggestions[1].score


def test_staff_training_text_suggests_1_2_4_first(index):
    suggestions = index.suggest(STAFF_TRAINING, ignore_words=ORGANISATIONS)
    assert codes(suggestions)[0] == "1.2.4"
    assert "training" in suggestions[0].matched_words and "staff" in suggestions[0].matched_words


def test_service_user_involvement_suggests_the_strategic_objectives(index):
    assert set(codes(index.suggest(INVOLVEMENT))[:2]) == {"SO1", "SO2"}
    # Clinks' own wording competes with the casework items on "engaging the service user",
    # but both objectives still come in the top five.
    assert {"SO1", "SO2"} <= set(codes(index.suggest(R9, ignore_words=ORGANISATIONS))[:5])


def test_scores_are_between_0_and_1_and_sorted(index):
    for text in (R4, STAFF_TRAINING, R9, INVOLVEMENT, CLINKS_TEXT):
        suggestions = index.suggest(text, limit=None, min_score=0)
        assert suggestions
        scores = [s.score for s in suggestions]
        assert all(0 < score <= 1 for score in scores)
        assert scores == sorted(scores, reverse=True)
        assert all(s.percent == round(s.score * 100) for s in suggestions)


def test_a_text_identical_to_an_item_scores_1(index, items):
    by_code = {item.code: item for item in items}
    best = index.suggest(item_document(by_code["4.1.2"], by_code["4.1"]))[0]
    assert best.item is by_code["4.1.2"] and best.score == pytest.approx(1.0)


def test_limit_and_min_score(index):
    assert len(index.suggest(R4)) == 8
    assert len(index.suggest(R4, limit=3)) == 3
    everything = index.suggest(R4, limit=None, min_score=0)
    kept = index.suggest(R4, min_score=0.2)
    assert kept and all(s.score >= 0.2 for s in kept)
    assert kept == [s for s in everything if s.score >= 0.2][:8], "the best of those scoring 0.2 or more"
    assert min(s.score for s in everything) < 0.2, "the threshold drops some"
    assert len(index.suggest(R4, limit=None, min_score=0)) > 8


def test_excluded_items_never_appear(index, items):
    by_code = {item.code: item for item in items}
    # By object and by id, whatever the limit.
    excluded = [by_code["4.1.1"], by_code["4"].id, by_code["1.2"]]
    suggestions = index.suggest(R4, exclude=excluded, limit=None, min_score=0)
    assert not {"4.1.1", "4", "1.2"} & set(codes(suggestions))
    assert suggestions  # the rest are still there
    everything = index.suggest(R4, exclude=items, limit=None, min_score=0)
    assert everything == []


@pytest.mark.parametrize("text", ["", None, "   ", "the and of it should", "4.1.1 2019 12", "— … !"])
def test_empty_text_gives_no_suggestions(index, text):
    assert index.suggest(text) == []


def test_no_items_gives_no_suggestions():
    assert suggest(R4, []) == []


def test_deterministic(items):
    first = suggest(R4, items, limit=None, min_score=0)
    again = suggest(R4, list(reversed(items)), limit=None, min_score=0)
    assert first == again
    # Equal scores are ordered by item id.
    for a, b in pairwise(first):
        assert a.score > b.score or a.item.id < b.item.id


def test_parent_title_gives_a_child_its_context(items, index):
    by_code = {item.code: item for item in items}
    document = item_document(by_code["4.1.2"], by_code["4.1"])
    assert "Unpaid work" in document and "delivered safely" in document
    # "Unpaid work" is only in the parent's title, yet reaches the children.
    found = codes(index.suggest("Unpaid work placements must be supervised."))
    assert {"4.1", "4.1.1", "4.1.2", "4.1.3"} <= set(found[:5])


def test_organisation_names_can_be_ignored(index):
    text = "HMI Probation should listen more."
    assert "3" in codes(index.suggest(text))  # "National Probation Service specific work"
    assert "3" not in codes(index.suggest(text, ignore_words=ORGANISATIONS))


def test_score_one_item(index, items):
    by_code = {item.code: item for item in items}
    one = index.score(R4, by_code["4.1.1"])
    assert one == index.suggest(R4)[0]
    assert index.score(R4, by_code["4.1.1"].id) == one
    assert index.score(R4, 10_000) is None
    assert index.score("", by_code["4.1.1"]).score == 0


@pytest.mark.parametrize(
    "family",
    [
        ["train", "training", "trained"],
        ["involve", "involvement", "involving", "involved"],
        ["engage", "engagement", "engaging", "engaged"],
        ["allocate", "allocated", "allocation"],
        ["diverse", "diversity"],
        ["gender", "gendered"],
        ["service", "services"],
        ["user", "users", "user's", "users’"],
        ["rehabilitative", "rehabilitation"],
        ["recruit", "recruitment", "recruiting"],
        ["deliver", "delivery", "delivered", "delivering"],
        ["safe", "safely", "safety"],
        ["staff", "staffing", "staffed"],
        ["suitable", "suitability"],
        ["organise", "organisation", "organisational"],
        ["inspection", "inspections", "inspector", "inspectorate"],
        ["coordinate", "coordination", "coordinated"],
        ["resettle", "resettlement"],
        ["activities", "activity", "active"],
        ["woman", "women"],
    ],
)
def test_stem_joins_word_families(family):
    assert len({stem(word) for word in family}) == 1, {word: stem(word) for word in family}


def test_stem_keeps_short_words_and_does_not_overreach():
    assert stem("work") == "work" and stem("gate") == stem("gates")
    assert stem("user") == "user"  # not "us"
    assert stem("recruit") != stem("rec")
    assert stem("deliver") not in ("del", "deli")


def test_tokens_drop_stop_words_numbers_and_keep_the_written_form():
    assert tokens("The Service Users' councils, 2019, and 4.1.3") == [
        ("servic", "Service"), ("user", "Users"), ("council", "councils")
    ]
