"""A recommendation's public timeline: each step with its date (the decision published, revised,
withdrawn; its actions' status changes; public updates) in the installation's wording, and
nothing the public may not see (drafts, internal notes, unpublished revisions, private updates,
deleted actions, what happened before the decision was first published)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import count_statements
from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations.models import Consultation, Recommendation, Respondent, Response, utcnow
from consultations.soft_delete import soft_delete
from test_public import text_of

PUBLISHED = dt.datetime(2025, 3, 4, 10)
INTERNAL_NOTE = "Internal: check the Nightjar budget line first"
PRIVATE_UPDATE = "Private: the Nightjar lead is off sick until May"
DRAFT_RATIONALE = "Draft wording about Nightjar that nobody has approved"
WITHDRAWAL = "The Nightjar pilot was cancelled by the ministry."
LABELS = {"DECISION_OUTCOME_LABELS": {"accepted": "Agreed", "accepted in part": "Partly agreed"},
          "ACTION_STATUS_LABELS": {"in progress": "Work in progress", "implemented": "Done"}}


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def make_recommendation(session) -> Recommendation:
    consultation = Consultation(slug="nightjar", title="Nightjar consultation", body="B", status="closed")
    respondent = Respondent(name="Nightjar Trust", consent="named")
    response = Response(consultation=consultation, respondent=respondent, text="Inspect the Nightjar hostels.")
    rec = Recommendation(response=response, key="R1", sequence=1, text="Inspect the Nightjar hostels.", spans=[])
    session.add_all([consultation, respondent, response, rec])
    session.flush()
    return rec


def timeline_of(client, rec_id: int) -> list[str]:
    """The timeline's entries, each as its text."""
    response = client.get(f"/recommendations/{rec_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    section = html[html.index('<ol class="govuk-list app-timeline">'):]
    section = section[:section.index("</ol>")]
    return [text_of(entry) for entry in re.findall(r'<li class="app-timeline__entry">(.*?)</li>', section, re.S)]


@pytest.fixture
def history(app, session):
    """A recommendation whose decision was drafted, published, given actions whose status moved
    (once through a private update), revised in draft, revised and published, and withdrawn."""
    rec = make_recommendation(session)
    # Before publication: a draft, and an action whose status moved while the decision was private.
    decision = decision_rules.save_decision(session, rec, "accepted", DRAFT_RATIONALE, INTERNAL_NOTE, None)
    early = action_rules.add_action(session, decision, "Early Nightjar action", "Policy lead",
                                    dt.date.today() + dt.timedelta(days=30))
    session.flush()
    decision_rules.save_decision(session, rec, "accepted", "We will inspect the Nightjar hostels.", INTERNAL_NOTE, None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None, now=PUBLISHED)
    # After: status changes by edit and by a private update, and a deleted action's change.
    action = action_rules.add_action(session, decision, "Visit every Nightjar hostel", "Head of inspection",
                                     dt.date.today() + dt.timedelta(days=60))
    action_rules.edit_action(action, action.description, action.owner, action.due_on, "in progress", 20)
    action_rules.add_update(session, action, dt.date.today(), PRIVATE_UPDATE, None, "implemented", False, None)
    action_rules.add_update(session, action, dt.date.today(), "All Nightjar hostels visited.", None, None, True, None)
    gone = action_rules.add_action(session, decision, "Deleted Nightjar action", "Nobody",
                                   dt.date.today() + dt.timedelta(days=60))
    action_rules.edit_action(gone, gone.description, gone.owner, gone.due_on, "in progress", 10)
    soft_delete(gone)
    # A revision: first a draft with another outcome (private), then published.
    decision_rules.save_decision(session, rec, "not accepted", DRAFT_RATIONALE, INTERNAL_NOTE, None)
    session.commit()
    return {"rec": rec, "decision": decision, "action": action, "early": early}


@pytest.mark.app_config(**LABELS)
def test_the_timeline_dates_each_public_step_in_the_installations_words(client, session, history):
    today = long_date(dt.date.today())
    entries = timeline_of(client, history["rec"].id)
    assert entries[0] == f"{long_date(PUBLISHED.date())} We published our decision: Agreed."
    assert f"{today} Status changed to Work in progress (was Not started). Visit every Nightjar hostel" in entries
    assert f"{today} Status changed to Done (was Work in progress). Visit every Nightjar hostel" in entries
    assert f"{today} All Nightjar hostels visited. Visit every Nightjar hostel" in entries
    assert len(entries) == 4

    # The revision is published after the action's updates, then the decision is withdrawn.
    revised_at = utcnow() + dt.timedelta(seconds=1)
    decision = history["decision"]
    decision_rules.save_decision(session, history["rec"], "accepted in part", "We will inspect some of them.", "", None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None, now=revised_at)
    decision_rules.withdraw(decision, WITHDRAWAL, now=revised_at + dt.timedelta(seconds=1))
    session.commit()
    entries = timeline_of(client, history["rec"].id)
    assert entries[0].startswith(long_date(PUBLISHED.date()))
    revised_on = long_date(revised_at.date())
    assert entries[-2:] == [f"{revised_on} We published a revised decision: Partly agreed.",
                            f"{long_date((revised_at + dt.timedelta(seconds=1)).date())} We withdrew our decision: {WITHDRAWAL}"]
    # Withdrawn: the page still says what was published, and when.
    assert len(entries) == 6


def test_nothing_private_reaches_the_timeline(client, history):
    html = client.get(f"/recommendations/{history['rec'].id}").get_data(as_text=True)
    text = text_of(html)
    for secret in (INTERNAL_NOTE, PRIVATE_UPDATE, DRAFT_RATIONALE, "Deleted Nightjar action"):
        assert secret not in text
    # The draft revision's outcome is not public: only what was published is named.
    assert "Not accepted" not in text and "not accepted" not in text
    # What happened to an action before the decision was public stays private.
    assert "Early Nightjar action" not in " ".join(timeline_of(client, history["rec"].id)[:1])
    assert all("(was" not in entry or "Visit every Nightjar hostel" in entry
               for entry in timeline_of(client, history["rec"].id))


def test_unpublished_recommendations_have_no_timeline(client, session):
    rec = make_recommendation(session)
    decision_rules.save_decision(session, rec, "accepted", DRAFT_RATIONALE, INTERNAL_NOTE, None)
    session.commit()
    assert client.get(f"/recommendations/{rec.id}").status_code == 404


def test_the_timeline_costs_the_same_queries_however_long(app, client, session, history):
    def statements() -> int:
        with count_statements(app) as seen:
            assert client.get(f"/recommendations/{history['rec'].id}").status_code == 200
        return len(seen)

    before = statements()
    for n in range(12):
        action = action_rules.add_action(session, history["decision"], f"Extra action {n}", "Owner",
                                         dt.date.today() + dt.timedelta(days=10))
        for status in ("in progress", "implemented"):
            action_rules.add_update(session, action, dt.date.today(), f"Update {n} {status}", None, status, True, None)
    session.commit()
    assert len(timeline_of(client, history["rec"].id)) == 4 + 12 * 4
    assert statements() == before


def test_what_an_action_did_before_the_decision_was_public_stays_private(client, session):
    rec = make_recommendation(session)
    decision = decision_rules.save_decision(session, rec, "accepted", "We will.", INTERNAL_NOTE, None)
    early = action_rules.add_action(session, decision, "Early Nightjar action", "Policy lead",
                                    dt.date.today() + dt.timedelta(days=30))
    action_rules.edit_action(early, early.description, early.owner, early.due_on, "in progress", 10)
    session.commit()
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None)  # now: after the status change
    session.commit()
    action_rules.edit_action(early, early.description, early.owner, early.due_on, "implemented", 100)
    session.commit()
    entries = timeline_of(client, rec.id)
    today = long_date(dt.date.today())
    assert entries == [f"{today} We published our decision: Accepted.",
                       f"{today} Status changed to Implemented (was In progress). Early Nightjar action"]
