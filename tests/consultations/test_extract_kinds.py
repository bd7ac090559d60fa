"""Each kind of document extraction used to get wrong, as small documents written for the tests.

The documents are in ``tests/fixtures/kinds/<kind>/``, in the formats responses arrive in (text,
Markdown, Word, PDF, web pages, email), each with the recommendations it holds in that folder's
``expected.json``: key, parent and text, in order, and phrases no recommendation may contain. Each
is read the way an upload is (reader, cleaner, extractor), so a kind is fixed for every format,
not for one document. ``make_documents.py`` there writes the PDF and Word ones.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from consultations import cleaning, extract, readers
from consultations.cleaning import clean_text
from consultations.extract import extract_recommendations
from consultations.readers import read_document

from conftest import CLINKS_RESPONSE, FIXTURES, PROBATION_FRAMEWORK, PROJECT
from documents import as_docx, as_html, as_pdf

KINDS = FIXTURES / "kinds"


def documents(kind: str) -> list[str]:
    return list(json.loads((KINDS / kind / "expected.json").read_text(encoding="utf-8")))


def extract_document(path: Path, respondent: str | None = None):
    text = clean_text(read_document(path.name, path.read_bytes()).text)
    return text, extract_recommendations(text, self_names=[respondent] if respondent else [])


def check(kind: str, name: str) -> None:
    """The document's recommendations are exactly the expected ones, each anchored to its text."""
    expected = json.loads((KINDS / kind / "expected.json").read_text(encoding="utf-8"))[name]
    text, found = extract_document(KINDS / kind / name, expected.get("respondent"))
    assert [[r.key, r.parent, r.text] for r in found] == expected["recommendations"]
    by_key = {rec.key: rec for rec in found}
    for key, count in expected.get("spans", {}).items():
        assert len(by_key[key].spans) == count, f"{key} is said {count} times"
    for rec in found:
        start, end = rec.spans[0]
        assert text[start:end].strip() == rec.text, "the text shown is the text the span points to"
        for phrase in expected["absent"]:
            assert phrase not in rec.text, f"{rec.key} holds {phrase!r}"


@pytest.mark.parametrize("name", documents("names"))
def test_the_respondent_names_itself(name):
    """Letterhead, sign-off, "on behalf of", "X represents", abbreviations and short forms, and the
    name the caller gives: each makes "X urges ..." the respondent's; other bodies' never are."""
    check("names", name)


def test_a_name_given_by_the_caller_is_needed_when_the_document_never_introduces_itself():
    path = KINDS / "names" / "named-by-the-caller.txt"
    assert extract_document(path)[1] == []
    assert len(extract_document(path, "Hartley Parents Forum")[1]) == 1


def test_names_are_learnt_from_the_document_and_other_bodies_are_not_the_respondent():
    blocks = extract.split_blocks(clean_text(
        "Northfield Trust\n\nDear Sir,\n\nThe Department for Education welcomes views.\n\n"
        "On behalf of the Riverside Tenants Federation (RTF), thank you.\n\nYours faithfully,\n"
        "Jane Smith\nChief Executive, Northfield Trust\n"
    ))
    names = extract.respondent_names(blocks)
    assert {"Northfield Trust", "the Trust", "Riverside Tenants Federation", "RTF", "the Federation"} <= names
    assert not any("Department" in name or "Jane" in name for name in names)


@pytest.mark.parametrize("name", documents("glued-headings"))
def test_a_heading_glued_to_its_first_sentence_keeps_the_sentence(name):
    check("glued-headings", name)


@pytest.mark.parametrize("name", documents("nested-lists"))
def test_nested_items_are_children_of_their_parent_at_every_depth(name):
    check("nested-lists", name)


@pytest.mark.parametrize("name", documents("questions"))
def test_questions_are_not_recommendations(name):
    check("questions", name)


@pytest.mark.parametrize("name", documents("quotations"))
def test_quoted_text_is_not_the_respondents(name):
    check("quotations", name)


@pytest.mark.parametrize("name", documents("page-breaks"))
def test_a_sentence_cut_by_a_page_break_is_whole_again(name):
    check("page-breaks", name)


@pytest.mark.parametrize("name", documents("markup"))
def test_markup_never_reaches_a_recommendations_text(name):
    check("markup", name)


@pytest.mark.parametrize("name", documents("labels-and-imperatives"))
def test_labelled_asks_and_imperatives_are_recommendations_and_labelled_descriptions_are_not(name):
    """"Recommendation: ..." is one whole; "Current proposal: ..." and "The issue: ..." describe;
    "Keep the waiting list open" and "Finally, reinstate the grant" ask."""
    check("labels-and-imperatives", name)


@pytest.mark.parametrize("name", documents("descriptions-and-offers"))
def test_descriptions_conditions_reports_offers_and_support_are_not_recommendations(name):
    """A "must" that describes (in a condition, a relative or explaining clause, "currently",
    "the reality is that"), someone else's advice reported, an offer to meet, the respondent's
    support for a proposal, and a question are not recommendations; the advice after a condition's
    comma is."""
    check("descriptions-and-offers", name)


@pytest.mark.parametrize("name", documents("restatements"))
def test_recommendations_said_again_in_a_conclusion_are_one_recommendation(name):
    check("restatements", name)


@pytest.mark.parametrize("name", documents("restated-in-other-words"))
def test_an_ask_said_again_in_other_words_is_one_recommendation(name):
    """A summary at the start whose points the body argues again ("We urge the ministry to close
    the sandeel fishery" / "The ministry should stop all sandeel fishing ..."), a closing paragraph
    ("In closing, the Cooperative asks the board once more to ..."), a conclusion in other words,
    a last list whose items mostly repeat, a closing sentence that repeats two or three asks at
    once: each repeat joins the ask it repeats; a new ask among them ("Finally, the board should
    publish its own monthly figures ...") and a different ask on the same subject stay apart."""
    check("restated-in-other-words", name)


@pytest.mark.parametrize("name", documents("section-headings"))
def test_section_headings_in_every_shape_end_and_start_sections(name):
    """"Summary of Recommendations:" with its colon opens a summary; "II. Access to the river" over
    its paragraph is a heading that ends an "About" section, in which only a plain ask or a
    "should" said of others counts; a numbered heading wrapped onto a second line ("... Their Own
    Records and" / "References") is one heading, not a "References" section that ends the reading."""
    check("section-headings", name)


@pytest.mark.parametrize("name", documents("own-documents"))
def test_a_report_strategy_or_guide_of_the_writers_own_has_no_recommendations_unless_it_asks(name):
    """An annual report's "carers must register", a strategy's "staff must complete training", a
    guide's "Keep your receipt" are the writer's own rules: nothing is extracted unless it asks
    someone in so many words ("We urge the county council to ...")."""
    check("own-documents", name)


@pytest.mark.parametrize("name", documents("uk-phrasing"))
def test_british_ways_of_asking(name):
    """"We would urge", "It would be helpful if the Department could", "There is a clear need for",
    "We ask only that", numbered paragraphs ("2.2 RBA recommends") and "Written evidence
    submitted by X (RBA)"; "No." answering a question ends a sentence."""
    check("uk-phrasing", name)


@pytest.mark.parametrize("name", documents("questions-in-prose"))
def test_questions_in_running_prose_are_not_recommendations(name):
    """A consultation's question repeated before its answer ("Question 3. Should the law be
    clarified ...? If so, should this be done by ..."), rhetorical questions, and a question that
    lost its question mark ("Should it extend to works still sold in shops.") ask nothing; a
    polite request of the respondent's own ("Could the council please publish ...?") does."""
    check("questions-in-prose", name)


@pytest.mark.parametrize("name", documents("conditional-inversion"))
def test_an_inverted_condition_is_a_condition_not_advice(name):
    """"Should the programme move to attestation, developers would then need to ..." and "Were the
    deadline moved, ..." set a condition; the advice after its comma still counts ("Should the
    agency adopt attestation, it should give developers 18 months")."""
    check("conditional-inversion", name)


@pytest.mark.parametrize("name", documents("reported-obligations"))
def test_what_a_law_or_proposal_requires_of_others_is_not_the_respondents_ask(name):
    """"Under the new law, gatekeepers must ...", "The Act requires ...", a list introduced by "The
    law requires that gatekeepers:" or "The new rules prohibit:", and a news-style account of a
    foreign law ("Sellers must also tell buyers ...") describe obligations; they ask for nothing."""
    check("reported-obligations", name)


@pytest.mark.parametrize("name", documents("discourse"))
def test_should_and_would_like_to_that_only_steer_the_argument_are_not_recommendations(name):
    """"One should bear in mind", "Reference should be made to", "It should be stressed that",
    "The Council would like to point out / refer to", "we would like to highlight" are argument;
    "we would like to see ..." still asks."""
    check("discourse", name)


@pytest.mark.parametrize("name", documents("rhetorical-imperatives"))
def test_imperatives_that_introduce_an_illustration_are_not_recommendations(name):
    """"Consider a fictional scenario where ...", "Imagine a patient who ...", "Take the case of",
    "Note that", "Picture ...", and what the illustration goes on to say ("She must pay ...") are
    not asks; "Publish the change log", "Consider a tapered grant" are."""
    check("rhetorical-imperatives", name)


@pytest.mark.parametrize("name", documents("agreement"))
def test_agreement_and_shared_concern_are_positions_not_asks(name):
    """"We also agree that efforts should be focused on ...", "we share the Association's concern
    that ...", "We accept the principle that ..." agree with others; the advice after "but" in the
    same sentence still counts."""
    check("agreement", name)


@pytest.mark.parametrize("name", documents("descriptive-clauses"))
def test_a_modal_inside_a_clause_that_describes_is_not_advice(name):
    """"It is very hard to regulate that software must be stable", "no recourse if a vendor decides
    that an app must ...", "the rules assume that a buyer must ...", "In practice, retailers must
    ..." describe how things are."""
    check("descriptive-clauses", name)



@pytest.mark.parametrize("name", documents("evaluative-frames"))
def test_asks_in_evaluative_frames_are_recommendations(name):
    """"It is essential that X also allow Y", "It's vital that", "X is also needed", "There are
    significant benefits from compelling X to allow Y", "could be balanced by a provision, perhaps
    similar to ...", "We support option B", "We support the alternative proposal to retain X" and
    "We support the retention of X" (choosing what the consultation offers instead of its proposal,
    or keeping what it would end) ask; "We support the proposal to ...", "We support the proposed
    retention ..." and "We agree with the proposal ..." agree; "It is important to note" argues."""
    check("evaluative-frames", name)


@pytest.mark.parametrize("name", documents("rules-the-respondent-asks-for"))
def test_what_the_respondent_says_a_rule_must_require_is_its_ask(name):
    """"Any initiative ... must require that the rights holders consent", "EFSP insists that any
    licence must ...", "... must require that:" over a list: the respondent's own modal or verb
    governs the clause, even right after an account of the law in the same paragraph; "The
    Directive requires that libraries:" and "the draft guidance requires that they must ..."
    describe."""
    check("rules-the-respondent-asks-for", name)


@pytest.mark.parametrize("name", documents("reported-mandates"))
def test_what_regulators_and_courts_imposed_is_reported_not_asked(name):
    """"Dutch regulators mandated that Apple must ...", "a court ordered that ...", "the Commission
    decided that ...", "Google was required to ...", and what follows them in the paragraph
    describe; a news post with its editors' "we" and its "..., according to the commission", and an
    explainer with a byline and a newsletter sign-up, ask for nothing; a blog post that says it
    carries a response ("Today we submitted our response ...") still asks."""
    check("reported-mandates", name)


@pytest.mark.parametrize("name", documents("consequences-and-descriptions"))
def test_consequences_and_descriptions_with_modals_are_not_recommendations(name):
    """"Under the proposed language, Apple would no longer need to ...", "This then ensures that
    ...", "consumers have no recourse if ..." describe what a proposal does; a sentence that gives
    the ask's effect ("This would let ...") is not part of the ask, one that carries it on ("This
    should be set out ...") is."""
    check("consequences-and-descriptions", name)


@pytest.mark.parametrize("name", documents("asks-as-headings"))
def test_a_heading_that_states_an_ask_is_the_ask(name):
    """"## iOS must allow third party browser engines" over a section arguing for it is one
    recommendation, worded as the heading, with the body's restatement as a second span; a
    different ask in the section stays apart; "Why parents drive" and "Defaults" are topics."""
    check("asks-as-headings", name)


@pytest.mark.parametrize("name", documents("repeats-in-a-section"))
def test_an_ask_said_again_in_its_own_section_is_one_recommendation(name):
    """"With this in mind, we believe this remedy needs to be strengthened ...", "We propose this be
    a fourth remedy ...", "As above, such a standpipe ...", "Close collaboration with the banks is
    needed" after asking for it: each refers back to an ask of its own section and joins it. A new
    ask ("should also ...") and "This scheme should ..." about something no ask named stay apart."""
    check("repeats-in-a-section", name)

# --- Clinks' C9: a summary item cut by a page break --------------------------------------------


@pytest.fixture(scope="module")
def clinks_as_text():
    return [(r.key, r.parent, r.text) for r in extract_document(CLINKS_RESPONSE, "Clinks")[1]]


@pytest.mark.parametrize("convert", [as_pdf, as_docx, as_html], ids=["pdf", "docx", "html"])
def test_clinks_in_every_format_gives_the_same_18_recommendations(clinks_as_text, convert, tmp_path):
    """C9, "... engage the voluntary sector to facilitate this engagement", ends the summary list
    and runs over a page break in the PDF: its second half was read as a paragraph of its own, so
    the recommendation was cut short (and R1.2-R1.4 were lost after another break)."""
    paragraphs = [block for block in clean_text(CLINKS_RESPONSE.read_text(encoding="utf-8")).split("\n\n") if block]
    path = tmp_path / f"clinks.{convert.__name__[3:]}"
    path.write_bytes(convert(paragraphs))
    found = [(r.key, r.parent, r.text) for r in extract_document(path, "Clinks")[1]]
    assert found == clinks_as_text
    assert len(found) == 18 and found[-1][2].endswith("to facilitate this engagement.")


# --- rules, each with an example --------------------------------------------------------------


@pytest.mark.parametrize("module", [cleaning, extract, readers], ids=lambda module: module.__name__)
def test_every_rules_example_holds(module):
    """The docstring examples of the cleaning, extraction and reading rules are run as tests
    (each is a package: every module of it)."""
    modules = [module, *(importlib.import_module(info.name)
                         for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."))]
    # An example may use any name the package exports, as it did when the package was one module.
    exported = {name: value for name, value in vars(module).items() if not inspect.ismodule(value)}
    results = [doctest.testmod(each, globs={**exported, **vars(each)}, optionflags=doctest.ELLIPSIS)
               for each in modules]
    assert sum(r.attempted for r in results) > 0 and sum(r.failed for r in results) == 0


# --- the command line, without a database -------------------------------------------------------


@pytest.fixture
def no_database(tmp_path, monkeypatch):
    """An app whose instance folder is empty: no database file, no tables."""
    from tracker import create_app

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    return app


def test_extract_runs_without_a_database_and_creates_none(no_database, tmp_path):
    result = no_database.test_cli_runner().invoke(
        args=["extract", str(KINDS / "names" / "named-by-the-caller.txt"), "--respondent", "Hartley Parents Forum"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 recommendation found in named-by-the-caller.txt.")
    assert "Hartley Parents Forum urges the county council" in result.output
    assert "No framework is imported (or given with --framework-file)" in result.output
    assert not list(tmp_path.glob("*.sqlite3")), "no database file is created"


def test_a_framework_file_adds_references_without_a_database(no_database, tmp_path):
    result = no_database.test_cli_runner().invoke(
        args=["extract", str(CLINKS_RESPONSE), "--json", "--framework-file", str(PROBATION_FRAMEWORK)]
    )
    assert result.exit_code == 0, result.output
    by_key = {rec["key"]: rec for rec in json.loads(result.output)["recommendations"]}
    assert len(by_key) == 18 and by_key["R3"]["references"] == ["4.1.3"]
    assert not list(tmp_path.glob("*.sqlite3"))


@pytest.mark.parametrize("args, message", [
    (["--framework", "hmip"], "there is no database with frameworks in it"),
    (["--framework-file", str(PROJECT / "README.md")], "unsupported file type '.md'"),
    (["--framework-file", str(PROBATION_FRAMEWORK), "--framework", "other"], "other"),
])
def test_framework_options_that_cannot_work_say_why(no_database, args, message):
    result = no_database.test_cli_runner().invoke(args=["extract", str(CLINKS_RESPONSE), *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_frameworks_in_the_database_are_used_when_there_is_one(runner):
    assert runner.invoke(args=["frameworks", "import", str(PROBATION_FRAMEWORK)]).exit_code == 0
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE), "--json"])
    by_key = {rec["key"]: rec for rec in json.loads(result.output)["recommendations"]}
    assert by_key["R3"]["references"] == ["4.1.3"]


def test_the_flask_command_works_on_a_fresh_checkout(tmp_path):
    """``flask --app tracker extract FILE`` as a new user types it, with an empty instance folder."""
    env = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "tracker", "extract",
         str(KINDS / "nested-lists" / "outline-three-deep.txt")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 recommendations found in outline-three-deep.txt, with 5 sub-points.")
    assert "        R1.2.1. holds a budget for carers' breaks;" in done.stdout


@pytest.mark.parametrize("name", documents("front-matter"))
def test_front_matter_is_metadata_and_a_post_with_a_byline_is_read_as_an_article(name):
    """A Markdown post's YAML front matter (title, date, author) is not a heading run into the text;
    its author line marks an article, whose "must"s describe unless the post says it responds."""
    check("front-matter", name)
