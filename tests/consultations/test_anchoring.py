"""Anchoring recommendations to the response text (``consultations.anchoring``), called directly:
finding typed text with whitespace and line breaks folded (in linear time), checking a selected
passage's offsets, re-anchoring edits, and cutting passages at a split point."""
from __future__ import annotations


import pytest

from consultations import anchoring
from consultations.anchoring import AnchoringError
from conftest import cpu_time

DOCUMENT = (
    "Response from the Northfield Trust\n\n"
    "We urge the department to\nfund independent advocacy   for every\nservice user. It should publish "
    "the results each year.\n\n"
    "Page 2 of 5\n\n"
    "We urge the department to fund independent advocacy for every service user. "
    "The Trust also asks for a review: “a proper one”."
)


def passage(span) -> str:
    return DOCUMENT[span[0]:span[1]]


def test_typed_text_is_found_with_whitespace_line_breaks_and_case_folded():
    span = anchoring.locate(DOCUMENT, "we urge the department to fund independent advocacy for every service user.")
    assert passage(span) == "We urge the department to\nfund independent advocacy   for every\nservice user."
    # The closing quote and full stop are part of the passage when typed; straight quotes match curly ones.
    span = anchoring.locate(DOCUMENT, 'asks for a review: "a proper one".')
    assert passage(span) == "asks for a review: “a proper one”."
    # Nearest occurrence to a hint (the same sentence is made twice).
    later = anchoring.locate(DOCUMENT, "We urge the department", near=len(DOCUMENT))
    assert later[0] == DOCUMENT.rindex("We urge the department")
    # Only inside a span when asked; nothing for text that is not there, or has no words.
    first = anchoring.locate(DOCUMENT, "fund independent advocacy")
    assert anchoring.locate(DOCUMENT, "fund independent advocacy", within=(first[1], len(DOCUMENT)))[0] > first[0]
    assert anchoring.locate(DOCUMENT, "We urge the Treasury") is None
    assert anchoring.locate(DOCUMENT, " ... ") is None
    assert anchoring.locate(DOCUMENT, "fund advocacy") is None  # words must be consecutive


def test_locate_is_linear_in_the_document():
    """A repetitive document and a long near-miss needle: a pairwise search would take minutes."""
    document = "a " * 400_000 + "b"
    needle = "a " * 2_000 + "c"
    started = cpu_time()
    assert anchoring.locate(document, needle) is None
    assert anchoring.locate(document, "a " * 2_000 + "b") == (800_000 - 4_000, 800_001)
    elapsed = cpu_time() - started
    assert elapsed < 3, f"locate took {elapsed:.2f}s on an 800,000-character document"


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("5", "", "without its start or end"),
        ("", "9", "without its start or end"),
        ("-1", "9", "must be whole numbers"),
        ("1.5", "9", "must be whole numbers"),
        ("abc", "9", "must be whole numbers"),
        ("9999999999", "99999999999", "must be whole numbers"),
        ("9", "9", "must start before it ends"),
        ("20", "9", "must start before it ends"),
        ("0", str(len(DOCUMENT) + 1), f"which has {len(DOCUMENT)} characters"),
        ("34", "36", "holds only spaces"),
    ],
)
def test_a_selection_out_of_range_or_malformed_is_refused(start, end, message):
    with pytest.raises(AnchoringError, match=message):
        anchoring.parse_selection(start, end, DOCUMENT)


def test_a_selection_is_the_span_selected_without_surrounding_spaces():
    assert anchoring.parse_selection("", "", DOCUMENT) is None
    assert anchoring.parse_selection(None, None, DOCUMENT) is None
    start = DOCUMENT.index("We urge")
    assert anchoring.parse_selection(str(start), str(start + 7), DOCUMENT) == (start, start + 7)
    assert anchoring.parse_selection(f" {start - 2} ", str(start + 8), DOCUMENT) == (start, start + 7)
    assert anchoring.parse_selection("0", str(len(DOCUMENT)), DOCUMENT) == (0, len(DOCUMENT))


def test_an_edit_still_in_the_text_is_re_anchored_and_one_that_is_not_keeps_its_source():
    whole = anchoring.locate(DOCUMENT, "We urge the department to fund independent advocacy for every service user.")
    repeat = anchoring.locate(DOCUMENT, "We urge the department to fund independent advocacy for every service user.",
                              near=len(DOCUMENT))
    spans = [list(whole), list(repeat)]
    shorter = anchoring.reanchor(DOCUMENT, "Fund independent advocacy for every service user.", spans)
    assert shorter.found
    assert [passage(s) for s in shorter.spans] == ["fund independent advocacy   for every\nservice user.",
                                                   "fund independent advocacy for every service user."]
    reworded = anchoring.reanchor(DOCUMENT, "Fund advocacy for all service users.", spans)
    assert reworded == anchoring.Anchored(spans, False)
    elsewhere = anchoring.reanchor(DOCUMENT, "It should publish the results each year.", spans)
    assert elsewhere.found and [passage(s) for s in elsewhere.spans] == ["It should publish the results each year."]
    assert anchoring.reanchor(DOCUMENT, "Nothing like it.", []) == anchoring.Anchored([], False)


def test_traced_reads_the_text_against_its_passages_in_order():
    a = list(anchoring.locate(DOCUMENT, "It should publish the results each year."))
    b = list(anchoring.locate(DOCUMENT, "The Trust also asks for a review"))
    assert anchoring.traced(DOCUMENT, "It should publish the results each year. The Trust also asks", [a, b])
    assert not anchoring.traced(DOCUMENT, "The Trust also asks. It should publish", [a, b])
    assert not anchoring.traced(DOCUMENT, "It should publish the results every year.", [a])
    assert not anchoring.traced(DOCUMENT, "It should", [])


def test_split_points_name_sentence_clause_and_list_boundaries():
    text = "Fund advocacy. Review it; publish the results: (a) yearly and (b) online"
    kinds = {text[p.offset:].split()[0]: p.kind for p in anchoring.split_points(text)}
    assert kinds == {"advocacy.": "word", "Review": "sentence", "it;": "word", "publish": "clause",
                     "the": "word", "results:": "word", "(a)": "item", "yearly": "word", "and": "word",
                     "(b)": "item", "online": "word"}
    point = next(p for p in anchoring.split_points(text) if p.kind == "sentence")
    assert (point.before, point.after) == ("Fund advocacy.", "Review it; publish the results: (a)…")
    assert point.label == "Fund advocacy. | Review it; publish the results: (a)…"
    assert anchoring.split_points("Single") == []


def test_a_split_cuts_every_passage_that_holds_the_point():
    text = "We urge the department to fund independent advocacy for every service user. It should publish the " \
           "results each year."
    first = list(anchoring.locate(DOCUMENT, text))
    second_place = DOCUMENT.index("We urge", first[1])
    spans = [first, [second_place, DOCUMENT.index(" The Trust")]]
    point = text.index("It should")
    parts = anchoring.split_passage(DOCUMENT, text, spans, point)
    assert (parts.first_text, parts.second_text) == (text[:point].strip(), "It should publish the results each year.")
    assert [passage(s) for s in parts.first_spans] == [
        "We urge the department to\nfund independent advocacy   for every\nservice user.",
        "We urge the department to fund independent advocacy for every service user."]
    # The repeat holds only the first sentence: it goes wholly to the first part.
    assert [passage(s) for s in parts.second_spans] == ["It should publish the results each year."]
    assert parts.first_found and parts.second_found
    assert parts.first_spans[0][1] < parts.second_spans[0][0] == first[0] + DOCUMENT[first[0]:].index("It should")


def test_a_split_follows_markup_and_merged_passages():
    document = "## Asks\n\n**Fund** the [advocacy service](https://example.org/a) now. Then *review* it.\n\nAlso audit."
    text = "Fund the advocacy service now. Then review it."
    spans = [[document.index("**Fund"), document.index("\n\nAlso")]]
    parts = anchoring.split_passage(document, text, spans, text.index("Then"))
    assert [document[a:b] for a, b in parts.first_spans] == ["**Fund** the [advocacy service](https://example.org/a) now."]
    assert [document[a:b] for a, b in parts.second_spans] == ["Then *review* it."]
    # A merged recommendation: its text is two passages joined; the point between them separates them.
    merged = [spans[0], [document.index("Also"), len(document)]]
    parts = anchoring.split_passage(document, text + " Also audit.", merged, len(text) + 1)
    assert [document[a:b] for a, b in parts.first_spans] == [document[spans[0][0]:spans[0][1]]]
    assert [document[a:b] for a, b in parts.second_spans] == ["Also audit."]


def test_a_part_not_in_the_text_keeps_the_original_passage_as_its_source():
    spans = [list(anchoring.locate(DOCUMENT, "It should publish the results each year."))]
    text = "Publish results yearly. Consult the sector first."
    parts = anchoring.split_passage(DOCUMENT, text, spans, text.index("Consult"))
    assert (parts.first_found, parts.second_found) == (False, False)
    assert parts.first_spans == parts.second_spans == spans
    # A part that is elsewhere in the document is anchored there.
    text = "Publish results yearly. The Trust also asks for a review"
    parts = anchoring.split_passage(DOCUMENT, text, spans, text.index("The Trust"))
    assert parts.second_found and passage(parts.second_spans[0]) == "The Trust also asks for a review"


def test_an_edit_that_leaves_words_out_is_anchored_to_what_is_left():
    spans = [list(anchoring.locate(DOCUMENT, "We urge the department to fund independent advocacy for every "
                                             "service user."))]
    edited = anchoring.reanchor(DOCUMENT, "The department to fund advocacy for every service user", spans)
    assert edited.found
    assert passage(edited.spans[0]) == "the department to\nfund independent advocacy   for every\nservice user"
    assert anchoring.traced(DOCUMENT, "The department to fund advocacy", spans)
