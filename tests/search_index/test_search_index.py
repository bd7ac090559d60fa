"""search_index on both backends: query language, filters, facets, highlights, public
restriction, paging, malformed input, rebuilds and "more like this" run against a real Whoosh
index in a temporary folder and against the PostgreSQL backend (on TEST_DATABASE_URL; skipped
without it, as in `make test`, and run by `make test-postgres`). Writing under a lock, readers
during a rebuild and schema versions are Whoosh's own (the ``whoosh_ix`` tests)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index

import search_index.index
from search_index import IndexBusy, SearchIndex
from search_index.postgres import PostgresSearchIndex


def doc(doc_id, body, **extra):
    return {"id": doc_id, "kind": extra.pop("kind", "recommendation"), "title": extra.pop("title", ""),
            "body": body, "public": extra.pop("public", True), "version": extra.pop("version", 1), **extra}


CORPUS = [
    doc("recommendation:1", "Provide safe housing for women leaving prison.", title="Housing on release",
        standards=["4.1.1", "2.3"], consultation="probation-2019", org_type="charity", respondent="Clinks",
        outcome="accepted", date=dt.datetime(2020, 3, 1)),
    doc("recommendation:2", "More houses are needed; prison leavers and women wait too long.",
        standards=["4.1"], consultation="probation-2019", org_type="charity", respondent="The Howard League",
        outcome="rejected", date=dt.datetime(2021, 5, 1)),
    doc("recommendation:3", "Train staff in <script>alert('x')</script> safeguarding & trauma.",
        standards=["4.10"], consultation="youth-2020", org_type="academic", respondent="University of Leeds",
        outcome="accepted", date=dt.datetime(2019, 1, 1)),
    doc("decision:1", "We accept the recommendation on housing.", kind="decision", outcome="accepted",
        consultation="probation-2019", standards=["4.1.1"], extra="Internal note: budget zebracode unresolved",
        date=dt.datetime(2022, 1, 1)),
    doc("action:1", "Commission a housing needs survey for women.", kind="action", status=["open", "overdue"],
        consultation="probation-2019", standards=["4.1.1"], date=dt.datetime(2022, 6, 1)),
    doc("action:2", "Publish guidance on trauma-informed practice.", kind="action", status="complete",
        consultation="youth-2020", standards=["2.3"], date=dt.datetime(2018, 6, 1)),
    doc("response:9", "Confidential submission about secretword housing in prisons.", kind="response",
        consultation="probation-2019", public=False, date=dt.datetime(2023, 1, 1)),
    doc("item:4.1.1", "Accommodation: people on probation have somewhere suitable to live.", kind="item",
        title="4.1.1 Accommodation", standards=["4.1.1"]),
]


CORPUS_IDS = [d["id"] for d in CORPUS]


@pytest.fixture(scope="session")
def postgres_engine():
    """A database of its own holding only the search_document table; each index gets its own
    audience in it, so tests never see each other's documents."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL does not point at PostgreSQL: the PostgreSQL search backend is "
                    "tested by `make test-postgres`")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from consultations.workflow import SearchDocument
    from tracker import normalise_database_url

    base = make_url(normalise_database_url(url))
    name = f"{base.database}_search_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(base.set(database=name))
    SearchDocument.__table__.create(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["whoosh", "postgres"])
def make_index(request, tmp_path):
    """make_index(**options) -> an empty index on the backend under test."""
    made = []

    def make(**options):
        if request.param == "whoosh":
            index = SearchIndex(tmp_path / f"index{len(made)}", write_timeout=0.2, rebuild_timeout=0.2, **options)
        else:
            index = PostgresSearchIndex(request.getfixturevalue("postgres_engine"), uuid.uuid4().hex[:10], **options)
        made.append(index)
        return index

    yield make
    for index in made:
        if isinstance(index, PostgresSearchIndex):
            index.rebuild([])
        index.close()


@pytest.fixture
def ix(make_index):
    index = make_index()
    index.update(CORPUS)
    return index


@pytest.fixture
def whoosh_ix(tmp_path):
    index = SearchIndex(tmp_path / "index", write_timeout=0.2, rebuild_timeout=0.2)
    index.update(CORPUS)
    yield index
    index.close()


def ids(results):
    return set(results.ids)


# -- query language -------------------------------------------------------------------

def test_stemming_finds_other_forms_of_a_word(ix):
    assert {"recommendation:1", "recommendation:2", "decision:1", "action:1"} <= ids(ix.search("housing"))
    assert "recommendation:2" in ids(ix.search("house"))  # the body says "houses"


def test_phrase_needs_the_words_in_order(ix):
    assert ids(ix.search('"women leaving prison"')) == {"recommendation:1"}
    assert ids(ix.search('"prison women"')) == set()


def test_and_or_not(ix):
    assert ids(ix.search("women prison")) == {"recommendation:1", "recommendation:2"}  # implicit AND
    assert ids(ix.search("women AND survey")) == {"action:1"}
    assert ids(ix.search("survey OR safeguarding")) == {"action:1", "recommendation:3"}
    assert ids(ix.search("women NOT prison")) == {"action:1"}
    assert ids(ix.search("(survey OR safeguarding) AND women")) == {"action:1"}
    assert "decision:1" not in ids(ix.search("NOT housing"))


def test_prefix_search(ix):
    assert {"recommendation:1", "recommendation:2", "action:1"} <= ids(ix.search("hous*"))


@pytest.mark.parametrize("text, expected", [
    ("standard:4.1.1", {"recommendation:1", "decision:1", "action:1", "item:4.1.1"}),
    ("standard:4.1", {"recommendation:2"}),  # exactly 4.1: not 4.1.1, not 4.10
    ("standard:4.1*", {"recommendation:1", "recommendation:2", "decision:1", "action:1", "item:4.1.1"}),
    ("respondent:clinks", {"recommendation:1"}),
    ("respondent:HOWARD", {"recommendation:2"}),
    ('respondent:"howard league"', {"recommendation:2"}),
    ("outcome:accepted", {"recommendation:1", "recommendation:3", "decision:1"}),
    ("status:overdue", {"action:1"}),
    ("consultation:youth-2020", {"recommendation:3", "action:2"}),
    ("type:action", {"action:1", "action:2"}),
    ("kind:decision", {"decision:1"}),
    ("org_type:Academic", {"recommendation:3"}),
    ("title:accommodation", {"item:4.1.1"}),
    ("standard:4.1.1 women", {"recommendation:1", "action:1"}),
    ('standard:4.1.1 AND NOT type:action', {"recommendation:1", "decision:1", "item:4.1.1"}),
])
def test_field_filters_in_the_query(ix, text, expected):
    results = ix.search(text)
    assert ids(results) == expected
    assert results.notice is None


def test_unknown_field_is_plain_words(ix):
    ix.update([doc("recommendation:20", "The foo bar report.")])
    results = ix.search("foo:bar")
    assert results.ids == ["recommendation:20"] and results.notice is None


def test_filters_dict_combines_with_the_query(ix):
    assert ids(ix.search("housing", filters={"kind": "action"})) == {"action:1"}
    assert ids(ix.search("housing", filters={"type": ["action", "decision"]})) == {"action:1", "decision:1"}
    assert ids(ix.search("standard:4.1*", filters={"outcome": "accepted", "kind": "recommendation"})) == {
        "recommendation:1"}
    assert ids(ix.search("", filters={"standard": "4.1*", "status": "overdue"})) == {"action:1"}
    assert ids(ix.search("", filters={"respondent": "howard league"})) == {"recommendation:2"}
    # unknown filter names and empty values are ignored rather than failing
    assert ids(ix.search("survey", filters={"colour": "red", "outcome": ""})) == {"action:1"}


# -- facets ---------------------------------------------------------------------------

def test_facets_count_every_match_not_just_the_page(ix):
    results = ix.search("housing", pagelen=1)
    assert len(results.ids) == 1 and results.total == 5
    assert dict(results.facets["kind"]) == {"recommendation": 2, "decision": 1, "action": 1, "response": 1}
    assert dict(results.facets["standard"]) == {"4.1.1": 3, "2.3": 1, "4.1": 1}  # several per document
    assert dict(results.facets["status"]) == {"open": 1, "overdue": 1}
    assert results.facets["kind"][0] == ("recommendation", 2)  # most frequent first


def test_facets_narrow_as_filters_combine(ix):
    one = ix.search("", filters={"consultation": "probation-2019"})
    two = ix.search("", filters={"consultation": "probation-2019", "outcome": "accepted"})
    assert dict(one.facets["kind"]) == {"recommendation": 2, "decision": 1, "action": 1, "response": 1}
    assert dict(two.facets["kind"]) == {"recommendation": 1, "decision": 1}
    assert dict(two.facets["outcome"]) == {"accepted": 2}


def test_only_requested_facets_are_counted(ix):
    results = ix.search("housing", facets=("outcome", "type", "nonsense"))
    assert set(results.facets) == {"outcome", "kind"}


# -- highlights -----------------------------------------------------------------------

def test_highlights_mark_matches_and_escape_everything_else(ix):
    results = ix.search("safeguarding")
    snippet = results.highlights["recommendation:3"]
    assert "<mark>safeguarding</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp; trauma" in snippet


def test_highlights_follow_stemming(ix):
    assert "<mark>houses</mark>" in ix.search("housing").highlights["recommendation:2"]


def test_snippet_without_a_body_match_is_the_escaped_start_of_the_body(ix):
    snippet = ix.search("type:recommendation safeguarding").highlights["recommendation:3"]
    assert snippet.startswith("Train staff in &lt;script&gt;")


def test_internal_note_is_searchable_by_staff_and_highlighted(ix):
    results = ix.search("zebracode")
    assert results.ids == ["decision:1"]
    assert "<mark>zebracode</mark>" in results.highlights["decision:1"]


def test_unstored_extra_is_searchable_but_never_shown(ix):
    ix.update([doc("decision:2", "We note this.", kind="decision", extra="quokkaword plan", store_extra=False)])
    results = ix.search("quokkaword")
    assert results.ids == ["decision:2"]
    assert "quokkaword" not in results.highlights["decision:2"]


# -- public search --------------------------------------------------------------------

def test_public_search_never_returns_non_public_documents(ix):
    assert "response:9" in ids(ix.search("secretword"))
    assert ix.search("secretword", public_only=True).ids == []
    results = ix.search("housing", public_only=True)
    assert "response:9" not in results.ids and results.total == 4
    assert all("secretword" not in html for html in results.highlights.values())
    assert "response" not in dict(results.facets["kind"])
    assert "response:9" not in ids(ix.search("", public_only=True))


def test_public_search_cannot_see_internal_notes_or_respondents(ix):
    assert ix.search("zebracode", public_only=True).ids == []
    assert ix.search("extra:zebracode", public_only=True).ids == []
    results = ix.search("budget", public_only=True)
    assert results.ids == []
    accepted = ix.search("recommendation housing", public_only=True)
    assert "decision:1" in accepted.ids and "zebracode" not in accepted.highlights["decision:1"]
    # respondent is not a public field: the filter is read as plain words, the dict filter ignored
    assert ix.search("respondent:clinks", public_only=True).ids == []
    assert ids(ix.search("women", filters={"respondent": "clinks"}, public_only=True)) == {
        "recommendation:1", "recommendation:2", "action:1"}


def test_public_fields_can_be_chosen_by_the_caller(make_index):
    ix = make_index(public_fields={"title", "body", "kind", "respondent"})
    ix.update(CORPUS)
    assert ids(ix.search("respondent:clinks", public_only=True)) == {"recommendation:1"}
    assert set(ix.search("housing", public_only=True).facets) == {"kind"}


# -- ordering and paging --------------------------------------------------------------

def test_sort_by_date_is_newest_first(ix):
    results = ix.search("housing", sort="date")
    assert results.ids == ["response:9", "action:1", "decision:1", "recommendation:2", "recommendation:1"]


def test_empty_query_browses_by_facet_newest_first(ix):
    results = ix.search("", filters={"kind": "action"})
    assert results.ids == ["action:1", "action:2"]
    assert ix.search(None).total == len(CORPUS)


def test_dates_may_be_dates_or_aware_datetimes(ix):
    ix.update([
        doc("action:10", "Dated work", date=dt.date(2030, 1, 1)),
        doc("action:11", "Dated work", date=dt.datetime(2030, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=5)))),
    ])
    assert ix.search("dated", sort="date").ids == ["action:11", "action:10"]


def test_pagination(ix):
    ix.update([doc(f"recommendation:{n}", f"Paging test number {n}", date=dt.datetime(2000, 1, 1) + dt.timedelta(days=n))
               for n in range(100, 125)])
    first, second, third = (ix.search("paging", page=p, pagelen=10, sort="date") for p in (1, 2, 3))
    assert (first.total, first.pages, len(first.ids), len(third.ids)) == (25, 3, 10, 5)
    assert not set(first.ids) & set(second.ids)
    assert first.ids[0] == "recommendation:124" and third.ids[-1] == "recommendation:100"
    beyond = ix.search("paging", page=99, pagelen=10)
    assert beyond.page == 3 and len(beyond.ids) == 5
    odd = ix.search("paging", page="nonsense", pagelen=-4)
    assert odd.page == 1 and odd.pagelen == 1
    none = ix.search("nothingmatchesthis")
    assert (none.total, none.pages, none.page, none.ids) == (0, 0, 1, [])


# -- malformed queries ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected, notice_word", [
    ('"women leaving', {"recommendation:1"}, "unclosed quote"),
    ("women AND", {"recommendation:1", "recommendation:2", "action:1"}, "AND, OR or NOT"),
    ("AND OR women", {"recommendation:1", "recommendation:2", "action:1"}, "AND, OR or NOT"),
    ("women OR OR survey", {"action:1"}, "AND, OR or NOT"),
    ("standard: women", {"recommendation:1", "recommendation:2", "action:1"}, "“standard:”"),
    ("(women survey", {"action:1"}, "bracket"),
    ("women survey)", {"action:1"}, "bracket"),
    ("((", set(CORPUS_IDS), "bracket"),
    ("NOT NOT women", {"recommendation:1", "recommendation:2", "action:1"}, "AND, OR or NOT"),
    ("(" * 25 + "survey" + ")" * 25, {"action:1"}, "inside each other"),
    ('standard:"4.1.1 accommodation', {"item:4.1.1"}, "unclosed quote"),
])
def test_malformed_queries_search_the_words_and_say_so(ix, text, expected, notice_word):
    results = ix.search(text)
    assert ids(results) == expected
    assert results.notice and notice_word in results.notice


def test_many_groups_side_by_side_are_fine(ix):
    results = ix.search(" OR ".join(["(survey)"] * 30))
    assert results.ids == ["action:1"] and results.notice is None


def test_query_of_only_operators_browses_everything_with_a_notice(ix):
    results = ix.search("AND OR")
    assert results.total == len(CORPUS) and "AND, OR or NOT" in results.notice


NASTY = [
    "", " ", "\t\n", '"', '""', '"""', "'", "''", "(", ")", "()", ")(", "((((", "))))", "AND", "OR", "NOT",
    "AND OR NOT", "NOT NOT women", "women NOT", "standard:", "standard:*", "standard:\"\"", "type:", ":", "::",
    ":women", "women:", "foo:bar:baz", "*", "**", "?", "wom?n", "*women", "w*", "women^2", "women~2",
    '"women"~2', "[a TO b]", "{a TO b}", "id:recommendation:1", "public:false", "version:1", "date:2020",
    "standard:4.1.*", "standard:(4.1 OR 4.2)", "\x00women\x00", "women\u200bprison", "“women leaving”",
    "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%s", "\\", "\\\"", "women" * 500, "a " * 2000,
    "ŵömén prïsön 女性 السجن", "🙂 housing 🙂", "AND" * 100, "(" * 300 + "women" + ")" * 300,
    "NOT (NOT (NOT women))", "title: body: extra:", "respondent:\"", "standard:\"4.1.1",
    "(" * 499 + "women" + ")" * 499, "NOT " * 249 + "women", "women OR " * 120 + "prison",
]


NOT_PUBLIC = {d["id"] for d in CORPUS if not d["public"]}


@pytest.mark.parametrize("public_only", [False, True])
def test_nasty_input_never_raises(ix, public_only):
    for text in NASTY:
        unfiltered = set(ix.search(text, public_only=public_only).ids)
        found = []
        for sort in ("relevance", "date"):
            results = ix.search(text, public_only=public_only, sort=sort, filters={"standard": text[:20]})
            # the corpus fits on one page of 20, so the page holds every match, each once
            assert len(set(results.ids)) == len(results.ids) == results.total <= len(CORPUS), text
            assert results.pages == (1 if results.total else 0) and results.page == 1, text
            assert set(results.ids) <= unfiltered, f"a filter only narrows: {text!r}"
            assert not (public_only and set(results.ids) & NOT_PUBLIC), text
            assert set(results.highlights) == set(results.ids), text
            assert all("<script>" not in html for html in results.highlights.values()), text
            found.append(set(results.ids))
        assert found[0] == found[1], f"sorting changes the order, not what matches: {text!r}"
    women = ix.search("(" * 300 + "women" + ")" * 300, public_only=public_only)
    assert set(women.ids) == {"recommendation:1", "recommendation:2", "action:1"} and women.notice


def test_nasty_filters_and_facets_never_raise(ix):
    women = set(ix.search("women").ids)
    assert women == {"recommendation:1", "recommendation:2", "action:1"}
    for value in NASTY[:20] + [None, 4, ["4.1.1", None, ""], ()]:
        results = ix.search("women", filters={"standard": value, "kind": value, value if isinstance(value, str) else "x": 1},
                            facets=(value,) if isinstance(value, str) else ())
        # A blank filter (or an unknown field) is ignored; any other value of "kind" names no kind
        # in the corpus, so nothing matches. None of the values is a facet, so none is counted.
        blank = value is None or value == () or (isinstance(value, str) and not value.strip())
        assert set(results.ids) == (women if blank else set()), repr(value)
        assert results.total == len(results.ids) and results.facets == {}, repr(value)


# -- writing --------------------------------------------------------------------------

def test_update_replaces_a_document_with_the_same_id(ix):
    count = ix.doc_count()
    ix.update([doc("recommendation:1", "Now about probation hostels.", version=2)])
    assert ix.doc_count() == count
    assert "recommendation:1" not in ids(ix.search("leaving"))
    assert ix.search("hostels").ids == ["recommendation:1"]
    assert ix.all_versions()["recommendation:1"] == 2


def test_delete(ix):
    ix.delete(["recommendation:1", "no-such-id"])
    assert "recommendation:1" not in ix.all_versions()
    assert ix.doc_count() == len(CORPUS) - 1
    ix.update([doc("recommendation:30", "Survey again.")], delete_ids=["action:1"])
    assert ids(ix.search("survey")) == {"recommendation:30"}


def test_all_versions_lists_every_document(ix):
    assert ix.all_versions() == {d["id"]: 1 for d in CORPUS}


def test_a_bad_document_is_refused_before_anything_is_written(ix):
    with pytest.raises(ValueError, match="Unknown document keys"):
        ix.update([doc("recommendation:40", "Fine."), {"id": "x:1", "kind": "item", "standard": "4.1"}])
    with pytest.raises(ValueError, match="id"):
        ix.update([{"kind": "item"}])
    with pytest.raises(ValueError, match="date"):
        ix.update([doc("recommendation:41", "Dated.", date="2020-01-01")])
    assert "recommendation:40" not in ix.all_versions()


def test_rebuild_replaces_everything_while_an_open_searcher_keeps_working(whoosh_ix):
    before = whoosh_ix._ix.searcher()  # a reader that started before the rebuild
    whoosh_ix.search("housing")  # leaves a pooled searcher on the old segments too
    old_segments = {p.name for p in whoosh_ix.path.glob("*.seg")}
    seen = []
    count = whoosh_ix.rebuild((doc(f"item:{n}", f"Rebuilt text {n}", kind="item") for n in range(2500)),
                       progress=seen.append)
    assert count == 2500 and seen[-1] == 2500 and 1000 in seen
    assert whoosh_ix.doc_count() == 2500 and whoosh_ix.search("housing").total == 0
    assert whoosh_ix.search("rebuilt").total == 2500
    from whoosh.qparser import QueryParser
    old_hits = before.search(QueryParser("body", before.schema).parse("housing"))
    assert not old_segments & {p.name for p in whoosh_ix.path.glob("*.seg")}  # old files are gone...
    assert len(old_hits) == 5 and old_hits[0]["id"]  # ...yet the old reader still reads them
    before.close()


def test_rebuild_skips_later_duplicates(ix):
    assert ix.rebuild([doc("item:1", "first"), doc("item:1", "second")]) == 1
    assert ix.search("first").ids == ["item:1"] and ix.search("second").ids == []


def test_a_failed_rebuild_leaves_the_old_index_and_the_lock_free(ix):
    def broken():
        yield doc("item:1", "partial")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        ix.rebuild(broken())
    assert ix.doc_count() == len(CORPUS) and ix.search("partial").total == 0
    ix.update([doc("item:2", "after the failure")])
    assert ix.search("failure").ids == ["item:2"]


def test_lock_held_by_another_writer_raises_index_busy_quickly_and_recovers(whoosh_ix):
    writer = whoosh_index.open_dir(str(whoosh_ix.path)).writer()
    try:
        start = time.monotonic()
        with pytest.raises(IndexBusy):
            whoosh_ix.update([doc("recommendation:50", "Blocked write.")])
        assert time.monotonic() - start < 1.5
        with pytest.raises(IndexBusy):
            whoosh_ix.rebuild([doc("recommendation:50", "Blocked rebuild.")])
        assert whoosh_ix.search("housing").total == 5  # readers are never blocked
    finally:
        writer.cancel()
    whoosh_ix.update([doc("recommendation:50", "Unblocked write.")])
    assert whoosh_ix.search("unblocked").ids == ["recommendation:50"]


def test_lock_held_by_another_process(whoosh_ix):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom whoosh import index\n"
         f"w = index.open_dir({str(whoosh_ix.path)!r}).writer()\nprint('locked', flush=True)\nsys.stdin.read()\nw.cancel()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy):
            whoosh_ix.update([doc("recommendation:51", "Blocked.")])
        assert whoosh_ix.search("housing").total == 5
    finally:
        holder.communicate("")
    whoosh_ix.update([doc("recommendation:51", "Written once the other process let go.")])
    assert whoosh_ix.search("process").ids == ["recommendation:51"]


def test_threads_keep_searching_while_documents_are_written(ix):
    errors, stop = [], threading.Event()

    def search_until_stopped():
        while not stop.is_set():
            try:
                results = ix.search("concurrent", facets=("kind",))
                assert results.total == sum(n for _, n in results.facets.get("kind", []))
            except Exception as error:  # reported below: a thread's exception is otherwise lost
                errors.append(error)
                return

    threads = [threading.Thread(target=search_until_stopped) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for n in range(15):
            ix.update([doc(f"recommendation:{200 + n}", f"Concurrent write {n}")])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert ix.search("concurrent").total == 15


def test_unwritable_folder_is_index_busy(whoosh_ix, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(whoosh_ix._ix, "writer", fail)
    with pytest.raises(IndexBusy, match="No space left"):
        whoosh_ix.update([doc("recommendation:52", "Disk full.")])
    monkeypatch.undo()
    whoosh_ix.update([doc("recommendation:52", "Disk has room again.")])  # the lock was released


# -- schema versions ------------------------------------------------------------------

def test_a_new_index_is_current(whoosh_ix):
    assert whoosh_ix.needs_rebuild is False


def test_schema_version_change_needs_a_rebuild(whoosh_ix, monkeypatch):
    monkeypatch.setattr(search_index.index, "SCHEMA_VERSION", 999)
    assert whoosh_ix.needs_rebuild is True
    with pytest.raises(IndexBusy, match="rebuild"):
        whoosh_ix.update([doc("recommendation:60", "Waits for the rebuild.")])
    assert whoosh_ix.search("housing").total == 5  # searching still works meanwhile
    whoosh_ix.rebuild(CORPUS)
    assert whoosh_ix.needs_rebuild is False
    assert SearchIndex(whoosh_ix.path).needs_rebuild is False  # as seen by another process


def test_rebuild_writes_the_new_schema_over_an_old_one(tmp_path):
    old_schema = whoosh_fields.Schema(id=whoosh_fields.ID(unique=True, stored=True), body=whoosh_fields.TEXT(stored=True))
    old = whoosh_index.create_in(str(tmp_path), old_schema)
    with old.writer() as writer:
        writer.add_document(id="old:1", body="an old document about housing")
    ix = SearchIndex(tmp_path)
    assert ix.needs_rebuild is True  # no version file: written by something else
    assert ix.search("housing", public_only=False).ids == ["old:1"]  # old index still answers
    ix.rebuild(CORPUS)
    assert not ix.needs_rebuild and "respondent" in ix._ix.schema
    assert ix.search("respondent:clinks").ids == ["recommendation:1"]


# -- more like this -------------------------------------------------------------------

def test_more_like_this_finds_the_near_duplicate_first_and_never_itself(ix):
    ix.update([
        doc("recommendation:70", "Ensure every woman leaving prison has safe housing arranged before release."),
        doc("recommendation:71", "Ensure each woman leaving prison has safe housing arranged before her release."),
        doc("recommendation:72", "Improve staff training on trauma."),
    ])
    similar = ix.more_like_this("recommendation:70")
    assert similar[0][0] == "recommendation:71"
    assert "recommendation:70" not in [doc_id for doc_id, _ in similar]
    assert len(similar) <= 5 and all(score > 0 for _, score in similar)


def test_more_like_this_respects_public_only(ix):
    ix.update([doc("response:10", "Confidential submission about secretword housing in prisons today.",
                   kind="response", public=False)])
    assert "response:10" in [i for i, _ in ix.more_like_this("response:9")]
    assert ix.more_like_this("response:9", public_only=True) == []
    assert "response:10" not in [i for i, _ in ix.more_like_this("recommendation:1", public_only=True)]
    assert ix.more_like_this("no-such-id") == []


# -- the PostgreSQL backend's transactions ----------------------------------------------

def test_postgres_documents_are_written_in_the_callers_transaction(postgres_engine):
    ix = PostgresSearchIndex(postgres_engine, uuid.uuid4().hex[:10])
    with postgres_engine.connect() as connection:
        transaction = connection.begin()
        ix.update([doc("recommendation:1", "A wombat shelter in every region.")], connection=connection)
        assert ix.search("wombat").ids == [], "nobody else sees it before the commit"
        transaction.rollback()
    assert ix.search("wombat").ids == [] and ix.doc_count() == 0, "a rollback takes it back"
    with postgres_engine.begin() as connection:
        ix.update([doc("recommendation:1", "A wombat shelter in every region.")], connection=connection)
    assert ix.search("wombat").ids == ["recommendation:1"]
    with postgres_engine.connect() as connection:
        transaction = connection.begin()
        ix.rebuild([doc("item:1", "Something else entirely.")], connection=connection)
        transaction.rollback()
    assert ix.search("wombat").ids == ["recommendation:1"], "a failed rebuild leaves the old documents"
    ix.rebuild([])


def test_long_bodies_are_highlighted_in_passages(make_index):
    ix = make_index()
    filler = "Nothing to see in this sentence at all. " * 30
    ix.update([doc("response:1", filler + "The probation hostel needs a new kitchen. " + filler)])
    snippet = ix.search("kitchen").highlights["response:1"]
    assert "<mark>kitchen</mark>" in snippet and len(snippet) < len(filler)
