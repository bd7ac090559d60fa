"""The extraction corpus (tests/corpus) and the figures `make eval` measures on it.

The floors in tests/corpus/floors.json are what extraction reached when they were last raised;
a change that finds fewer recommendations, extracts more that are not, misses one of Clinks' 18
or extracts anything from a document without recommendations fails here. Raise the floors when
extraction gets better (`make eval` prints the figures).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import PROJECT

sys.path.insert(0, str(PROJECT))  # bench/ is a folder of scripts, not an installed package

from bench import eval as corpus  # noqa: E402

FLOORS = json.loads((corpus.CORPUS / "floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results():
    return corpus.evaluate()


def test_the_corpus_is_varied_and_every_gold_excerpt_is_quoted_from_its_document():
    golds = corpus.load_corpus()
    assert len(golds) >= 15
    styles = Counter(gold.style for gold in golds)
    assert sum(1 for count in styles.values() if count >= 2) >= 5, styles
    assert styles["none"] >= 2
    for gold in golds:
        assert corpus.misquoted(gold) == [], f"{gold.path.name}: excerpts not in {gold.name}"
        assert all(len(corpus.words(item.text)) >= 2 for item in gold.items), gold.path.name
        assert (gold.style == "none") == (not gold.items), f"{gold.path.name}: style 'none' means no recommendations"


def test_extraction_stays_at_or_above_the_floors(results):
    figures = corpus.summary(results)
    per_document = "\n".join(
        f"{r.gold.name}: {len(r.found)}/{len(r.gold.items)} found, {r.counted} extracted" for r in results
    )
    assert figures["recall"] >= FLOORS["recall"], per_document
    assert figures["precision"] >= FLOORS["precision"], per_document
    assert figures["clinks_found"] >= FLOORS["clinks_found"], per_document
    assert figures["empty_documents_items"] <= FLOORS["empty_documents_items"], per_document


def test_make_eval_prints_each_document_and_the_totals(capsys):
    assert corpus.main(["--brief"]) == 0
    out = capsys.readouterr().out
    assert "clinks-2019.txt" in out and "total" in out and "Clinks 18 of 18" in out


def test_a_gold_excerpt_with_a_typo_stops_make_eval_with_the_file_and_the_excerpt(tmp_path, capsys):
    (tmp_path / "letter.txt").write_text("We urge the Council to publish its data every month.\n")
    (tmp_path / "letter.gold.json").write_text(json.dumps({
        "document": "letter.txt", "respondent": "Anyone", "style": "prose",
        "recommendations": [{"id": "1", "text": "urge the Council to publish its date"}],
    }))
    assert corpus.main(["--corpus", str(tmp_path)]) == 2
    assert "letter.gold.json: excerpt not in the document: 'urge the Council to publish its date'" in capsys.readouterr().err


# --- how an extracted item is judged ----------------------------------------------------------


def gold_of(*items, optional=(), traps=()):
    return corpus.Gold(
        Path("g.gold.json"), Path("g.txt"), "The Trust", "numbered", list(items), list(optional), list(traps)
    )


def item(key, text, parent=None):
    return corpus.Extracted(key, text, parent)


PUBLISH = corpus.GoldItem("1", "the Department should publish the data every quarter")
FUND = corpus.GoldItem("2", "the Department should fund local advice services for three years")
AUDIT = corpus.GoldItem("2.1", "an independent audit of the advice services each year", parent="2")


def test_an_item_spanning_two_recommendations_finds_only_one():
    result = corpus.match(gold_of(PUBLISH, FUND), [
        item("R1", "The Trust believes the Department should publish the data every quarter and the "
                   "Department should fund local advice services for three years."),
    ])
    assert len(result.found) == 1 and len(result.missed) == 1 and result.false == []


def test_the_same_recommendation_extracted_twice_is_a_false_duplicate():
    summary = corpus.GoldItem("1", PUBLISH.text, also=["publish its data quarterly"])
    result = corpus.match(gold_of(summary), [
        item("R1", "The Department should publish the data every quarter."),
        item("R2", "We ask that it publish its data quarterly, as in other regions."),
    ])
    assert list(result.found) == ["1"]
    assert [(i.key, why) for i, why in result.false] == [("R2", "duplicate of 1")]


def test_a_child_counts_as_found_whether_extracted_as_a_child_or_on_its_own():
    nested = corpus.match(gold_of(FUND, AUDIT), [
        item("R1", "The Department should fund local advice services for three years, with:"),
        item("R1.1", "an independent audit of the advice services each year", parent="R1"),
    ])
    flat = corpus.match(gold_of(FUND, AUDIT), [
        item("R1", "The Department should fund local advice services for three years, with:"),
        item("R2", "An independent audit of the advice services each year."),
    ])
    assert set(nested.found) == set(flat.found) == {"2", "2.1"}
    assert (nested.nested, flat.nested) == (1, 0)


def test_optional_passages_count_neither_way_and_traps_are_named():
    result = corpus.match(
        gold_of(PUBLISH, optional=["it is essential that the data are complete"],
                traps=["the consultation proposes that providers must keep records for ten years"]),
        [
            item("R1", "It is essential that the data are complete."),
            item("R2", "The consultation proposes that providers must keep records for ten years."),
        ],
    )
    assert [i.key for i in result.optional] == ["R1"] and result.counted == 1
    assert [(i.key, why) for i, why in result.false] == [("R2", "trap")]
    assert result.missed == [PUBLISH]


def test_totals_add_counts_not_ratios():
    one = corpus.match(gold_of(PUBLISH), [item("R1", PUBLISH.text)])
    nine = corpus.match(gold_of(FUND), [item(f"R{n}", f"unrelated sentence number {n}") for n in range(9)])
    totals = corpus.Totals()
    totals.add(one)
    totals.add(nine)
    assert (totals.recall, totals.precision) == (0.5, 0.1)
