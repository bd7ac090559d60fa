"""Public search obeys exactly the visibility rules of ``consultations/published.py``, through every
change that alters what the public may see: consultation status, consent, soft delete and
restore of responses, recommendations, decisions and actions, duplicates, publication.

After each committed change the public index must equal what ``published.py`` allows
(``search check`` finds no difference), with no ``search sync`` in between: the
after-commit step re-indexes every document whose visibility depends on what changed.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy.orm import Session

from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.triage import delete_response, restore_response
from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations.workflow import SearchDirty
from consultations.soft_delete import restore, soft_delete
from consultations.published import public_recommendations
from tracker.indexing import differences, indexes
from consultations.organisation_types import named as named_type

TODAY = dt.date(2026, 12, 1)


def public_search(text: str, **kwargs):
    return indexes()["public"].search(text, public_only=True, pagelen=100, **kwargs)


def publish_decision(session, rec, rationale):
    decision = decision_rules.save_decision(session, rec, "accepted", rationale, "Internal: keep quiet.", None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None)
    return decision


@pytest.fixture
def world(app, session):
    """Two consultations, one a draft; in each a named respondent with a published decision and
    an action; a duplicate in the open consultation answered by the first decision."""
    draft = Consultation(slug="zanzibar-draft-consultation", title="Zanzibar draft consultation", body="HMIP",
                         status="draft")
    live = Consultation(slug="open-consultation", title="Open consultation", body="HMIP", status="open")
    made = {}
    for consultation, name, word in ((draft, "Pelican Draft Trust", "marmalade"),
                                     (live, "Heron Open Trust", "porridge"),
                                     (live, "Egret Second Trust", "porridge")):
        respondent = Respondent(name=name, organisation_type=named_type(session, "charity"), consent="named")
        response = Response(consultation=consultation, respondent=respondent, channel="email",
                            text=f"We recommend {word} for every probation office.", received_on=dt.date(2026, 1, 5))
        rec = Recommendation(response=response, key="R1", sequence=1, origin="manual", spans=[],
                             text=f"We recommend {word} for every probation office.")
        session.add_all([consultation, respondent, response, rec])
        made[name] = rec
    session.flush()
    made["Egret Second Trust"].duplicate_of = made["Heron Open Trust"]
    decisions = {}
    for name, word in (("Pelican Draft Trust", "marmalade"), ("Heron Open Trust", "porridge")):
        decisions[name] = publish_decision(session, made[name], f"We agree about {word} rationale.")
        action_rules.add_action(session, decisions[name], f"Stock {word} action plan", "Head of estates",
                            TODAY + dt.timedelta(days=30), today=TODAY)
    session.commit()
    return {"recs": made, "decisions": decisions, "draft": draft, "live": live}


def assert_index_matches_published(session):
    """``search check``, read through a session of its own (it lets go of what it loads)."""
    with Session(bind=session.get_bind()) as reader:
        assert differences(reader) == []


def test_a_draft_consultation_is_not_in_public_search_or_its_facets(session, world):
    assert public_search("porridge").ids, "the open consultation's decision is public (the search works)"
    found = public_search("marmalade")
    assert found.ids == []
    everything = public_search("")
    slugs = {value for value, _ in everything.facets.get("consultation", [])}
    assert "zanzibar-draft-consultation" not in slugs and "open-consultation" in slugs
    assert public_search("Pelican").ids == [] and public_search("Zanzibar").ids == []
    assert_index_matches_published(session)

    # Opening the consultation publishes its outcome: the documents appear without a sync.
    world["draft"].status = "open"
    session.commit()
    assert {doc.split(":")[0] for doc in public_search("marmalade").ids} == {"recommendation", "decision", "action"}
    assert_index_matches_published(session)
    world["draft"].status = "draft"
    session.commit()
    assert public_search("marmalade").ids == []
    assert_index_matches_published(session)


def test_deleting_a_recommendation_removes_its_decision_and_actions_from_public_search(session, world):
    heron, egret = world["recs"]["Heron Open Trust"], world["recs"]["Egret Second Trust"]
    # Both members deleted: nothing of the group is public any more.
    soft_delete(egret)
    session.commit()
    assert_index_matches_published(session)
    soft_delete(heron)
    session.commit()
    assert public_search("porridge").ids == []
    assert_index_matches_published(session)
    restore(heron)
    session.commit()
    assert {doc.split(":")[0] for doc in public_search("porridge").ids} == {"recommendation", "decision", "action"}
    assert_index_matches_published(session)


def test_deleting_a_published_decision_removes_its_actions_from_public_search(session, world):
    """Published decisions deleted before they could only be withdrawn (the domain refuses it now)."""
    decision = world["decisions"]["Heron Open Trust"]
    soft_delete(decision)
    session.commit()
    assert public_search("porridge").ids == [], "recommendations, decision and action all gone"
    assert_index_matches_published(session)
    decision_rules.restore_decision(session, decision)
    session.commit()
    assert len(public_search("porridge").ids) == 4  # two recommendations, the decision, the action
    assert_index_matches_published(session)


def test_a_withdrawn_decision_is_searchable_as_withdrawn_without_its_text(session, world):
    decision = world["decisions"]["Heron Open Trust"]
    rationale = decision.published_rationale
    decision_rules.withdraw(decision, "Superseded by the zebrafinch review.")
    session.commit()
    assert_index_matches_published(session)
    assert f"decision:{decision.id}" in public_search("zebrafinch").ids
    words = [w for w in rationale.split() if len(w) > 6]
    for word in words[:3]:
        assert f"decision:{decision.id}" not in public_search(word).ids, word


def test_consent_and_response_deletion_change_public_search_at_once(session, world):
    heron = world["recs"]["Heron Open Trust"]
    respondent = heron.response.respondent
    respondent.consent = "confidential"
    session.commit()
    ids = public_search("porridge").ids
    assert f"recommendation:{heron.id}" not in ids
    assert f"recommendation:{world['recs']['Egret Second Trust'].id}" in ids, "the duplicate stays public"
    assert_index_matches_published(session)
    respondent.consent = "named"
    session.commit()
    assert_index_matches_published(session)

    response = world["recs"]["Egret Second Trust"].response
    delete_response(session, response)
    session.commit()
    assert f"recommendation:{world['recs']['Egret Second Trust'].id}" not in public_search("porridge").ids
    assert_index_matches_published(session)
    restore_response(session, response)
    session.commit()
    assert_index_matches_published(session)


def test_a_duplicate_moved_to_another_group_follows_its_new_decision(session, world):
    egret = world["recs"]["Egret Second Trust"]
    egret.duplicate_of = None  # no decision of its own: not public any more
    session.commit()
    assert f"recommendation:{egret.id}" not in public_search("porridge").ids
    assert_index_matches_published(session)
    egret.duplicate_of = world["recs"]["Heron Open Trust"]
    session.commit()
    assert f"recommendation:{egret.id}" in public_search("porridge").ids
    assert_index_matches_published(session)


def test_every_public_document_is_one_published_py_allows(session, world):
    """The public index is derived from published.py: its recommendations are exactly the public ones."""
    public = {f"recommendation:{p.id}" for p in public_recommendations(session)}
    indexed = {doc for doc in indexes()["public"].all_versions() if doc.startswith("recommendation:")}
    assert indexed == public and public


def test_search_check_reports_a_public_document_that_should_not_be_public(session, world, runner):
    pelican = world["recs"]["Pelican Draft Trust"]
    leaked = {"id": f"recommendation:{pelican.id}", "kind": "recommendation", "title": "Pelican Draft Trust",
              "body": pelican.text, "consultation": "zanzibar-draft-consultation", "public": True, "version": "x"}
    indexes()["public"].update([leaked])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"public: recommendation:{pelican.id} is in the index but should not be public" in result.output
    repaired = runner.invoke(args=["search", "check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "1 document repaired" in repaired.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert public_search("marmalade").ids == []


def test_a_group_left_by_its_last_public_member_leaves_public_search(session, world):
    heron, egret = world["recs"]["Heron Open Trust"], world["recs"]["Egret Second Trust"]
    soft_delete(heron)
    session.commit()
    assert len(public_search("porridge").ids) == 3, "the duplicate keeps the decision and its action public"
    egret.duplicate_of = None
    session.commit()
    assert public_search("porridge").ids == []
    assert_index_matches_published(session)


def test_updates_on_the_same_day_keep_one_order_everywhere(session, world, client):
    """Ordered by date alone, same-day updates came back in any order on PostgreSQL once a row
    had been rewritten, and `search check` then found the action's document out of date."""
    action = world["decisions"]["Heron Open Trust"].actions[0]
    texts = [f"Update number {n} on the porridge stock." for n in range(1, 6)]
    for text in texts:
        action_rules.add_update(session, action, TODAY, text, None, None, True, None, today=TODAY)
    session.commit()
    first = action.updates[0]
    first.text = texts[0] + " Corrected."  # an UPDATE moves the row to the end of a PostgreSQL heap
    session.commit()
    texts[0] += " Corrected."
    assert_index_matches_published(session)
    session.expire_all()
    assert [u.text for u in session.get(type(action), action.id).updates] == texts
    heron = world["recs"]["Heron Open Trust"]
    api = client.get(f"/api/v1/recommendations/{heron.id}").get_json()
    assert [u["text"] for u in api["actions"][0]["updates"]] == texts


def test_sync_on_an_index_that_cannot_be_written_says_so(app, runner, session, world):
    if app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("an index folder is the Whoosh backend's; the postgres backend has none")
    session.add(SearchDirty(entity_type="recommendation", entity_id=world["recs"]["Heron Open Trust"].id))
    session.commit()
    lock = os.path.join(app.config["SEARCH_INDEX_DIR"], "staff", "MAIN_WRITELOCK")
    if os.path.exists(lock):
        os.remove(lock)
    os.mkdir(lock)  # the lock file cannot be opened for writing: an OS error, not a held lock
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 1
    assert "cannot be written" in result.output and "may write to it" in result.output
    assert "busy" not in result.output
