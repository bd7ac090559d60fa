"""Reading explicit references ("standard 4.1.1", "domain three") and resolving them."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from consultations.references import ReferenceResolver, find_mentions


@dataclass(eq=False)
class Item:
    code: str
    aliases: list = field(default_factory=list)


ITEMS = [
    Item("1", ["domain one"]),
    Item("1.3"),
    Item("1.3.2"),
    Item("2", ["domain two"]),
    Item("3", ["domain three (NPS)"]),
    Item("4", ["domain three", "domain 3"]),
    Item("4.1"),
    Item("4.1.1"),
    Item("4.1.2"),
    Item("4.1.3"),
    Item("SO1", ["strategic objective 1", "objective one"]),
]


@pytest.fixture
def resolver():
    return ReferenceResolver(ITEMS)


@pytest.mark.parametrize(
    "text, codes",
    [
        ("Question 4.1.3 of domain three asks whether", ["4.1.3"]),
        ("under domain three, standard 4.1.1. where it asks", ["4.1.1"]),
        ("under 4.1.2 which asks if unpaid work is delivered safely", ["4.1.2"]),
        ("Standard 1.3 on services", ["1.3"]),
        ("In particular standard 1.3.2 measures the volume", ["1.3.2"]),
        ("Clinks recommends that, under domain one, when inspecting", ["1"]),
        ("Domains two and three throughout these domains", ["2", "4"]),
        ("Standards 1.3 and 4.1.1 both apply", ["1.3", "4.1.1"]),
        ("in line with strategic objective 1", ["SO1"]),
        ("this supports objective one and SO1", ["SO1"]),
        ("domain 3 covers unpaid work", ["4"]),
    ],
)
def test_references_resolve(resolver, text, codes):
    resolution = resolver.resolve(text)
    assert resolution.codes == codes
    assert resolution.unresolved == []


def test_a_broad_reference_far_from_a_narrow_one_is_kept(resolver):
    text = "Standard 1.3 on services measures whether services are in place. " * 2 + "In particular standard 1.3.2 measures"
    assert resolver.resolve(text).codes == ["1.3", "1.3.2"]


@pytest.mark.parametrize(
    "text, unresolved",
    [
        ("Standard 9.9 should be created", ["standard 9.9"]),
        ("under domain seven", ["domain 7"]),
        ("strategic objective 4 is missing", ["strategic objective 4"]),
    ],
)
def test_unknown_references_are_kept_as_unresolved(resolver, text, unresolved):
    resolution = resolver.resolve(text)
    assert resolution.codes == []
    assert [u.replace("seven", "7") for u in resolution.unresolved] == unresolved


@pytest.mark.parametrize(
    "text",
    [
        "In response to question 4, we agree.",  # the consultation's own question number
        "About 1.3 million people are supervised",  # a quantity
        "Section 4.1 of this response explains",  # a part of the response itself
        "The rate rose by 4.1% last year",
        "version 1.3 of the guidance",
        "on 1 April 2019 the specification changed",
    ],
)
def test_numbers_that_are_not_references_are_ignored(resolver, text):
    resolution = resolver.resolve(text)
    assert resolution.codes == [] and resolution.unresolved == []


def test_mentions_keep_their_positions():
    text = "See standard 4.1.1 and under 4.1.2."
    mentions = find_mentions(text)
    assert [(m.text, text[m.start : m.end]) for m in mentions] == [("standard 4.1.1", "4.1.1"), ("4.1.2", "4.1.2")]


def test_evidence_records_the_words_that_matched(resolver):
    resolution = resolver.resolve("Domains two and three")
    assert [resolution.evidence[id(item)] for item in resolution.items] == ["domain two", "domain three"]
