"""Search as the app uses it: indexing after commit, rollback, busy index, sync/rebuild/check,
staff and public search pages, public scope, and similar recommendations. On SQLite these run on
the Whoosh backend, on PostgreSQL (`make test-postgres`) on the postgres backend."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select
from whoosh import index as whoosh_index

from consultations.models import Consultation, Recommendation, Respondent, Response
from tracker.db import db
from consultations.workflow import Decision, SearchDirty
from tracker.indexing import indexes
from consultations.organisation_types import named as named_type

SLUG = "probation-inspection-changes-2019"


@pytest.fixture
def demo(demo_content_app):
    with demo_content_app.app_context():
        return {r.key: r.id for r in db.session.scalars(select(Recommendation))}


def staff_ids(text, **kwargs):
    return indexes()["staff"].search(text, **kwargs).ids


def public_ids(text, **kwargs):
    return indexes()["public"].search(text, public_only=True, **kwargs).ids


def publish(session, rec, outcome="accepted", rationale="We agree.", note="", published=True):
    decision = Decision(recommendation=rec, outcome=outcome, public_rationale=rationale, internal_note=note,
                        state="published" if published else "draft")
    if published:
        decision.published_outcome, decision.published_rationale = outcome, rationale
        decision.published_at = dt.datetime(2019, 7, 1)
    session.add(decision)
    session.commit()
    return decision


def test_women_unpaid_work_finds_the_clinks_recommendation(app, session, demo):
    assert f"recommendation:{demo['R5']}" in staff_ids("women unpaid work")[:2]
    assert staff_ids("standard:4.1.1 type:recommendation") == [f"recommendation:{demo['R4']}"]
    assert len(staff_ids("respondent:clinks", filters={"kind": ["recommendation"]}, pagelen=50)) == 18


def test_a_change_is_searchable_after_commit_and_a_rollback_leaves_the_index_untouched(app, session, demo):
    rec = session.get(Recommendation, demo["R1"])
    rec.text = rec.text + " Zebra crossings too."
    session.flush()
    session.rollback()
    assert staff_ids("zebra") == []
    rec = session.get(Recommendation, demo["R1"])
    rec.text = rec.text + " Zebra crossings too."
    session.commit()
    assert staff_ids("zebra") == [f"recommendation:{demo['R1']}"]


def whoosh_only(app):
    if app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("the Whoosh backend's own behaviour: the postgres backend writes in the change's transaction")


def postgres_only(app):
    if app.config["SEARCH_BACKEND"] != "postgres":
        pytest.skip("the postgres search backend runs on PostgreSQL (`make test-postgres`)")


def test_a_busy_index_keeps_the_database_change_and_sync_catches_up(app, session, demo, runner):
    whoosh_only(app)
    app.config["SEARCH_WRITE_TIMEOUT"] = 0.2
    app.extensions.pop("search_indexes", None)  # reopen with the short timeout
    held = whoosh_index.open_dir(app.config["SEARCH_INDEX_DIR"] + "/staff").writer()
    try:
        rec = session.get(Recommendation, demo["R2"])
        rec.text = "Quagga monitoring for every provider."
        session.commit()
    finally:
        held.cancel()
    assert session.get(Recommendation, demo["R2"]).text.startswith("Quagga"), "the database change stands"
    assert session.scalar(select(func.count()).select_from(SearchDirty)) >= 1
    assert staff_ids("quagga") == []
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 1 and f"staff: recommendation:{demo['R2']} is out of date" in check.output
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert staff_ids("quagga") == [f"recommendation:{demo['R2']}"]
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_rebuild_and_check(app, session, demo, runner):
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    indexes()["staff"].delete([f"recommendation:{demo['R3']}"])
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 1
    assert f"staff: recommendation:{demo['R3']} is missing from the index" in check.output
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "staff: 70 documents indexed." in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_public_search_finds_published_material_only(app, session, demo):
    clinks_r4 = session.get(Recommendation, demo["R4"])
    publish(session, clinks_r4, rationale="We will add a prompt on gendered needs.", note="Internal: aardvark budget")
    publish(session, session.get(Recommendation, demo["R6"]), rationale="Draft wording about narwhal", published=False)
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    hidden = Response(consultation=consultation, text="x", respondent=Respondent(name="Secret Org", consent="confidential"))
    anonymous = Response(consultation=consultation, text="y", respondent=Respondent(
        name="Nameless Trust", consent="anonymous", organisation_type=named_type(session, "voluntary sector")))
    secret_rec = Recommendation(response=hidden, key="R1", sequence=1, text="Inspect every xylophone workshop.")
    anonymous_rec = Recommendation(response=anonymous, key="R1", sequence=1, text="Publish okapi statistics yearly.")
    session.add_all([secret_rec, anonymous_rec])
    session.commit()
    publish(session, secret_rec, rationale="Accepted for the xylophone workshops.")
    publish(session, anonymous_rec, rationale="Accepted.")

    published = session.scalar(select(Decision.id).where(Decision.recommendation_id == demo["R4"]))
    assert set(public_ids("gendered")) == {f"recommendation:{demo['R4']}", f"decision:{published}"}
    assert public_ids("gendered", filters={"outcome": ["accepted"], "kind": ["decision"]}) == [f"decision:{published}"]
    for secret in ("aardvark", "narwhal", "xylophone", "Nameless", "respondent:clinks"):
        assert public_ids(secret) == [], secret
    assert f"recommendation:{anonymous_rec.id}" in public_ids("okapi")
    assert all(not doc_id.startswith("response:") for doc_id in public_ids("probation", pagelen=100))


def test_public_search_page_respects_consent(app, client, session, demo):
    anonymous = Response(consultation=session.scalar(select(Consultation)), text="y", respondent=Respondent(
        name="Nameless Trust", consent="anonymous", organisation_type=named_type(session, "voluntary sector")))
    rec = Recommendation(response=anonymous, key="R1", sequence=1, text="Publish okapi statistics yearly.")
    session.add(rec)
    session.commit()
    publish(session, rec, rationale="Accepted.", note="Internal aardvark")
    page = client.get("/search?q=okapi").get_data(as_text=True)
    assert "Recommendation from A voluntary sector organisation" in page
    assert "<mark>okapi</mark>" in page
    assert "Nameless" not in page and "aardvark" not in page
    assert "We decided: accepted" in page
    assert "0 results" in client.get("/search?q=aardvark").get_data(as_text=True)


def test_staff_search_page(client, sign_in, demo):
    sign_in("viewer")
    page = client.get("/staff/search?q=women+unpaid+work").get_data(as_text=True)
    assert "Recommendation R5 from Clinks" in page and "<mark>women</mark>" in page
    assert 'name="kind"' in page and "recommendation <span" in page  # facets with counts
    filtered = client.get("/staff/search?q=probation&kind=item").get_data(as_text=True)
    assert "Recommendation R" not in filtered
    malformed = client.get('/staff/search?q=%22unclosed+women').get_data(as_text=True)
    assert "unclosed quote" in malformed
    for query in ("AND OR", "standard:", "((", "*", "type:"):
        assert client.get("/staff/search", query_string={"q": query}).status_code == 200
    page2 = client.get("/staff/search?q=probation&page=2").get_data(as_text=True)
    assert "result" in page2


def test_staff_search_needs_sign_in(client):
    assert client.get("/staff/search?q=x").status_code == 302


def test_search_results_render_in_a_fixed_number_of_queries(app, client, sign_in, session, demo):
    sign_in("viewer")
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        one = client.get("/staff/search?q=standard:4.1.1+type:recommendation").get_data(as_text=True)
        few = len(statements)
        statements.clear()
        session.expire_all()
        many = client.get("/staff/search?q=respondent:clinks+type:recommendation").get_data(as_text=True)
        more = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert "1 result" in one and "18 results" in many
    assert few == more


def test_similar_recommendations_show_the_same_point_from_others(app, client, sign_in, session, demo):
    consultation = session.scalar(select(Consultation))
    other = Response(consultation=consultation, text="z", respondent=Respondent(name="Women in Prison", consent="named"))
    twin = Recommendation(response=other, key="R1", sequence=1, text=(
        "We recommend a specific standard for the safety and protection of women given an unpaid work order, "
        "so they are in appropriate and safe placements."))
    session.add(twin)
    session.commit()
    publish(session, twin, outcome="accepted in part", rationale="Partly.")
    sign_in("viewer")
    page = client.get(f"/staff/recommendations/{demo['R5']}").get_data(as_text=True)
    assert "Similar recommendations" in page
    assert "Women in Prison" in page and "accepted in part" in page


def test_the_backend_follows_the_database_and_a_wrong_choice_is_refused(app, tmp_path, monkeypatch):
    from tracker import create_app

    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert app.config["SEARCH_BACKEND"] == ("postgres" if on_postgres else "whoosh")
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "other"))
    with pytest.raises(RuntimeError, match="use one of whoosh, postgres"):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SEARCH_BACKEND": "elastic"})
    if not on_postgres:
        with pytest.raises(RuntimeError, match="not PostgreSQL here"):
            create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SEARCH_BACKEND": "postgres"})


def test_postgres_documents_commit_with_the_change_and_every_app_sees_them(app, session, demo, tmp_path, monkeypatch):
    """A second app on the same database, with an instance folder of its own (another web host),
    finds a change as soon as it is committed: nothing queued, nothing to sync."""
    postgres_only(app)
    from tracker import create_app

    rec = session.get(Recommendation, demo["R1"])
    rec.text = rec.text + " Wombat shelters too."
    session.flush()
    other_host_config = {"TESTING": True, "SECRET_KEY": "other", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "other-host"))
    other = create_app(other_host_config)
    with other.app_context():
        assert indexes()["staff"].search("wombat").ids == [], "not before the commit"
    session.commit()
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    with other.app_context():
        assert indexes()["staff"].search("wombat").ids == [f"recommendation:{demo['R1']}"]
        db.engine.dispose()
    assert not (tmp_path / "other-host" / "search_index").exists(), "no index folder on disk"
