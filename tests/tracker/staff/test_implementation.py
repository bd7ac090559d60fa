"""Implementation actions end to end on the demo data: create, edit, dated updates, overdue
(computed, never stored), soft delete, roles, the audit log and the dashboard's fixed queries."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from conftest import count_statements
from test_decisions import audit, text_of  # the same page and audit helpers
from consultations.models import Recommendation
from tracker.staff.implementation import views as implementation
from tracker.staff.implementation.forms import PROGRESS_MESSAGE
from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations.soft_delete import WITH_DELETED
from tracker.db import db
from consultations.workflow import Action, ActionUpdate, Decision

TODAY = dt.date.today()


# --- helpers -----------------------------------------------------------------


@pytest.fixture
def decision_id(demo_content_app, users):
    """The demo data with a published decision on R1; the decision's id."""
    return make_decision(demo_content_app, "R1", users["approver"])


def make_decision(app, key: str, user_id: int) -> int:
    with app.app_context():
        rec = db.session.scalar(select(Recommendation).where(Recommendation.key == key))
        decision = decision_rules.save_decision(db.session, rec, "accepted", "We agree.", "", user_id)
        decision_rules.approve(decision, user_id, two_person_rule=False)
        decision_rules.publish(decision, user_id, two_person_rule=False)
        db.session.commit()
        return decision.id


def date_fields(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def action_data(**changes) -> dict:
    data = {"description": "Publish inspection schedules a year ahead", "owner": "Policy team",
            "due_on": date_fields(TODAY + dt.timedelta(days=60)), "status": "not started", "progress": "0"}
    data.update(changes)
    return data


def new_action(client, decision_id: int, **changes):
    return client.post(f"/staff/decisions/{decision_id}/actions/new", data=action_data(**changes))


def create_action(client, decision_id: int, **changes) -> int:
    response = new_action(client, decision_id, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def get_action(app, action_id: int) -> Action:
    """A detached copy of the action, deleted or not."""
    with app.app_context():
        action = db.session.get(Action, action_id, execution_options=WITH_DELETED)
        db.session.expunge(action)
        return action


def set_action(app, action_id: int, **values) -> None:
    """Change an action directly on the model, as a script (or time passing) would."""
    with app.app_context():
        action = db.session.get(Action, action_id)
        for name, value in values.items():
            setattr(action, name, value)
        db.session.commit()


def count(app, model) -> int:
    """Rows of ``model``, deleted or not: nothing is ever removed."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model), execution_options=WITH_DELETED)


def table_after(html: str, marker: str) -> str:
    start = html.index(marker)
    return text_of(html[start:html.index("</table>", start)])


# --- creating and editing actions ------------------------------------------------------


def test_create_action(app, sign_in, decision_id, users):
    client = sign_in("policy")
    form = client.get(f"/staff/decisions/{decision_id}/actions/new")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Add an action" in html and 'name="due_on"' in html and "Day" in html and "Year" in html
    assert re.search(r'value="not started"\s+checked', html)

    action_id = create_action(client, decision_id, progress="10")
    action = get_action(app, action_id)
    assert (action.description, action.owner, action.status, action.progress, action.due_on) == (
        "Publish inspection schedules a year ahead", "Policy team", "not started", 10,
        TODAY + dt.timedelta(days=60))
    created = audit(app, "action", action_id, "created")
    assert len(created) == 1 and created[0][3] == users["policy"]

    page = client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    assert "Publish inspection schedules a year ahead" in page and "Policy team" in page
    assert f"/staff/history/action/{action_id}" in page and "No updates yet" in page
    # The decision page lists it, with its status and progress.
    with app.app_context():
        rec_id = db.session.get(Decision, decision_id).recommendation_id
    decision_page = client.get(f"/staff/recommendations/{rec_id}/decision").get_data(as_text=True)
    row = table_after(decision_page, "Actions implementing this decision")
    assert "Publish inspection schedules a year ahead" in row and "Not started" in row and "10%" in row


def test_progress_outside_0_to_100_is_refused(app, sign_in, decision_id):
    client = sign_in("policy")
    for progress in ("101", "-1", "ten", "50.5", ""):
        response = new_action(client, decision_id, progress=progress)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, progress
        assert "There is a problem" in html and 'href="#progress"' in html
        expected = "Enter the progress" if progress == "" else "Progress must be a whole number from 0 to 100"
        assert expected in html, progress
        assert "Publish inspection schedules a year ahead" in html  # the input is kept
    assert count(app, Action) == 0


def test_due_date_rules_for_a_new_action(app, sign_in, decision_id):
    client = sign_in("policy")
    cases = {
        "The due date must be today or in the future": date_fields(TODAY - dt.timedelta(days=1)),
        "Due date must be a real date": ["31", "2", str(TODAY.year + 1)],
        "Due date must include a day": ["", "3", str(TODAY.year + 1)],
        "Enter the date the action is due": ["", "", ""],
    }
    for message, fields in cases.items():
        response = new_action(client, decision_id, due_on=fields)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    assert count(app, Action) == 0
    # Today itself is fine.
    assert new_action(client, decision_id, due_on=date_fields(TODAY)).status_code == 302


def test_other_field_errors(app, sign_in, decision_id):
    client = sign_in("policy")
    response = new_action(client, decision_id, description=" ", owner="", status="done")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Describe the action", "Enter who owns the action", "Select one of the statuses listed"):
        assert message in html
    assert count(app, Action) == 0


def test_edit_action(app, sign_in, decision_id, users):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    form = client.get(f"/staff/actions/{action_id}/edit").get_data(as_text=True)
    due = action.due_on
    assert f'value="{due:%d}"' in form and f'value="{due:%m}"' in form and f'value="{due.year}"' in form
    assert "Policy team" in form

    new_due = TODAY + dt.timedelta(days=90)
    response = client.post(f"/staff/actions/{action_id}/edit", data=action_data(
        version=action.version_id, owner="Sam Jones", status="in progress", progress="40",
        due_on=date_fields(new_due)))
    assert response.status_code == 302
    after = get_action(app, action_id)
    assert (after.owner, after.status, after.progress, after.due_on) == ("Sam Jones", "in progress", 40, new_due)
    changes = {field: (old, new, user) for field, old, new, user in audit(app, "action", action_id)
               if field != "created"}
    assert changes == {
        "owner": ("Policy team", "Sam Jones", users["policy"]),
        "status": ("not started", "in progress", users["policy"]),
        "progress": ("0", "40", users["policy"]),
        "due_on": (action.due_on.isoformat(), new_due.isoformat(), users["policy"]),
    }


def test_edit_refuses_bad_progress_and_a_due_date_before_creation(app, sign_in, decision_id):
    client = sign_in("approver")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    url = f"/staff/actions/{action_id}/edit"
    response = client.post(url, data=action_data(version=action.version_id, progress="101"))
    assert response.status_code == 400
    assert "Progress must be a whole number from 0 to 100" in response.get_data(as_text=True)
    before_creation = action.created_at.date() - dt.timedelta(days=1)
    response = client.post(url, data=action_data(version=action.version_id, due_on=date_fields(before_creation)))
    assert response.status_code == 400
    assert "The due date cannot be before the action was created" in response.get_data(as_text=True)
    after = get_action(app, action_id)
    assert (after.progress, after.due_on, after.version_id) == (0, action.due_on, action.version_id)


def test_edit_keeps_a_past_due_date_that_is_not_changed(app, sign_in, decision_id):
    """An overdue action can still be edited (say, to mark progress) without moving its date."""
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    past = TODAY - dt.timedelta(days=30)
    set_action(app, action_id, due_on=past, created_at=dt.datetime.combine(past, dt.time()) - dt.timedelta(days=10))
    action = get_action(app, action_id)
    response = client.post(f"/staff/actions/{action_id}/edit",
                           data=action_data(version=action.version_id, progress="70", due_on=date_fields(past)))
    assert response.status_code == 302 and get_action(app, action_id).progress == 70


def test_stale_edit_is_refused_with_input_kept(app, sign_in, decision_id):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    loaded_at = get_action(app, action_id).version_id
    url = f"/staff/actions/{action_id}/edit"
    assert client.post(url, data=action_data(version=loaded_at, owner="Their team")).status_code == 302
    response = client.post(url, data=action_data(version=loaded_at, owner="My team", progress="25"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html and "Their team" in html
    assert 'value="My team"' in html and 'value="25"' in html
    current = get_action(app, action_id)
    assert (current.owner, current.progress) == ("Their team", 0)
    assert client.post(url, data=action_data(version=current.version_id, owner="My team")).status_code == 302
    assert get_action(app, action_id).owner == "My team"


# --- updates --------------------------------------------------------------------------------


def update_data(action: Action, **changes) -> dict:
    data = {"version": action.version_id, "on": date_fields(TODAY), "text": "Schedules drafted.",
            "evidence_url": "https://www.gov.uk/report", "new_status": "", "is_public": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_dated_update_with_a_status_change(app, sign_in, decision_id, users):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    form = client.get(f"/staff/actions/{action_id}/updates")
    assert form.status_code == 200 and "Leave the status unchanged (not started)" in form.get_data(as_text=True)

    on = TODAY - dt.timedelta(days=3)
    response = client.post(f"/staff/actions/{action_id}/updates",
                           data=update_data(action, on=date_fields(on), new_status="implemented"))
    assert response.status_code == 302
    assert get_action(app, action_id).status == "implemented"
    with app.app_context():
        update = db.session.scalar(select(ActionUpdate))
        assert (update.action_id, update.on, update.text, update.evidence_url, update.new_status,
                update.is_public, update.created_by_id) == (
            action_id, on, "Schedules drafted.", "https://www.gov.uk/report", "implemented", True, users["policy"])
        update_id = update.id
    assert audit(app, "action", action_id, "status") == [("status", "not started", "implemented", users["policy"])]
    assert len(audit(app, "action-update", update_id, "created")) == 1

    page = client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    timeline = text_of(page[page.index("Updates"):])
    assert f"{on.day} {on:%B %Y}" in timeline and "Schedules drafted." in timeline
    assert "Status changed to Implemented" in timeline and "May appear on published outcome pages" in timeline
    assert 'href="https://www.gov.uk/report" rel="noopener noreferrer"' in page


def test_a_note_without_status_change_is_staff_only_unless_ticked(app, sign_in, decision_id):
    client = sign_in("approver")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    response = client.post(f"/staff/actions/{action_id}/updates",
                           data=update_data(action, evidence_url="", is_public=None))
    assert response.status_code == 302
    with app.app_context():
        update = db.session.scalar(select(ActionUpdate))
        assert (update.is_public, update.evidence_url, update.new_status) == (False, None, None)
    assert get_action(app, action_id).status == "not started"


def test_invalid_evidence_link_is_refused(app, sign_in, decision_id):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    for url in ("javascript:alert(1)", "ftp://files.example/report", "www.gov.uk/report", "https://",
                "http://exa mple.org"):
        response = client.post(f"/staff/actions/{action_id}/updates",
                               data=update_data(action, evidence_url=url, new_status="in progress"))
        html = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert "The evidence link must be a web address starting with http:// or https://" in html
        assert 'href="#evidence_url"' in html and "Schedules drafted." in html
    assert count(app, ActionUpdate) == 0 and get_action(app, action_id).status == "not started"


def test_an_update_dated_in_the_future_is_refused(app, sign_in, decision_id):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    response = client.post(f"/staff/actions/{action_id}/updates",
                           data=update_data(action, on=date_fields(TODAY + dt.timedelta(days=1))))
    assert response.status_code == 400 and "must be today or in the past" in response.get_data(as_text=True)
    assert count(app, ActionUpdate) == 0


def test_a_status_change_from_an_out_of_date_page_is_refused(app, sign_in, decision_id):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    old = get_action(app, action_id)
    set_action(app, action_id, status="withdrawn")
    response = client.post(f"/staff/actions/{action_id}/updates", data=update_data(old, new_status="implemented"))
    assert response.status_code == 409 and "withdrawn" in response.get_data(as_text=True)
    assert get_action(app, action_id).status == "withdrawn" and count(app, ActionUpdate) == 0
    # A plain note from the same old page is still added.
    assert client.post(f"/staff/actions/{action_id}/updates", data=update_data(old)).status_code == 302


# --- overdue, delete and restore ---------------------------------------------------------------


def test_overdue_is_computed_from_due_date_and_status(app, sign_in, decision_id):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    set_action(app, action_id, due_on=TODAY - dt.timedelta(days=5))
    page = client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    assert "This action is overdue by 5 days" in page
    action = get_action(app, action_id)
    assert action_rules.is_overdue(action, TODAY) and action_rules.days_overdue(action, TODAY) == 5

    dashboard = client.get("/staff/implementation").get_data(as_text=True)
    overdue = table_after(dashboard, 'id="overdue-actions"')
    assert "Publish inspection schedules a year ahead" in overdue and "Policy team" in overdue
    due = TODAY - dt.timedelta(days=5)
    assert f"{due.day} {due:%B %Y}" in overdue and " 5" in overdue
    assert "Overdue by 5 days" in table_after(dashboard, 'id="all-actions"')

    for status in ("implemented", "superseded", "withdrawn"):
        set_action(app, action_id, status=status)
        assert not action_rules.is_overdue(get_action(app, action_id), TODAY)
        assert "This action is overdue" not in client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    set_action(app, action_id, status="in progress")
    assert action_rules.is_overdue(get_action(app, action_id), TODAY)
    assert not action_rules.is_overdue(get_action(app, action_id), TODAY - dt.timedelta(days=5))  # due that day


def test_soft_delete_and_restore(app, sign_in, decision_id, users):
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    response = client.post(f"/staff/actions/{action_id}/delete", data={"version": action.version_id})
    assert response.status_code == 302
    assert get_action(app, action_id).deleted_at is not None and count(app, Action) == 1
    page = client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    assert "This action was deleted" in page and "Restore action" in page
    assert "No actions yet" in client.get("/staff/implementation").get_data(as_text=True)

    deleted = get_action(app, action_id)
    assert client.post(f"/staff/actions/{action_id}/restore", data={"version": deleted.version_id}).status_code == 302
    assert get_action(app, action_id).deleted_at is None
    events = audit(app, "action", action_id, "deleted_at")
    assert [(old is None, new is None, user) for _, old, new, user in events] == [
        (True, False, users["policy"]), (False, True, users["policy"])]
    # A stale delete button is refused.
    refused = client.post(f"/staff/actions/{action_id}/delete", data={"version": action.version_id})
    assert refused.status_code == 409 and get_action(app, action_id).deleted_at is None


@pytest.mark.parametrize("role", ["methodology", "viewer", "admin"])
def test_only_policy_and_approvers_change_actions(app, client, sign_in, decision_id, role):
    sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    sign_in(role)
    assert client.get(f"/staff/actions/{action_id}").status_code == 200
    assert client.get("/staff/implementation").status_code == 200
    page = client.get(f"/staff/actions/{action_id}").get_data(as_text=True)
    assert "Edit this action" not in page and "Delete action" not in page
    assert client.get(f"/staff/decisions/{decision_id}/actions/new").status_code == 403
    assert new_action(client, decision_id).status_code == 403
    assert client.get(f"/staff/actions/{action_id}/edit").status_code == 403
    assert client.post(f"/staff/actions/{action_id}/edit",
                       data=action_data(version=action.version_id, owner="X")).status_code == 403
    assert client.post(f"/staff/actions/{action_id}/updates", data=update_data(action)).status_code == 403
    for what in ("delete", "restore"):
        assert client.post(f"/staff/actions/{action_id}/{what}", data={"version": action.version_id}).status_code == 403
    assert count(app, Action) == 1 and count(app, ActionUpdate) == 0
    assert get_action(app, action_id).version_id == action.version_id


# --- services --------------------------------------------------------------------------------------


def test_services_validate_everything(app, decision_id, users):
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        due = TODAY + dt.timedelta(days=7)
        bad = [
            {"progress": 101}, {"progress": -1}, {"progress": True}, {"progress": "5"},
            {"status": "done"}, {"description": " "}, {"owner": ""}, {"due_on": None},
            {"due_on": TODAY - dt.timedelta(days=1)},
        ]
        for change in bad:
            values = {"description": "Do it", "owner": "Team", "due_on": due, "status": "not started", "progress": 0}
            values.update(change)
            with pytest.raises(action_rules.ActionError):
                action_rules.add_action(db.session, decision, today=TODAY, **values)
        action = action_rules.add_action(db.session, decision, "Do it", "Team", due, "not started", 0, TODAY)
        with pytest.raises(action_rules.ActionError, match="evidence link"):
            action_rules.add_update(db.session, action, TODAY, "Note", "javascript:alert(1)", None, True, users["policy"])
        with pytest.raises(action_rules.ActionError, match="Choose a status"):
            action_rules.add_update(db.session, action, TODAY, "Note", None, "finished", True, users["policy"])
        with pytest.raises(action_rules.ActionError, match="Progress"):
            action_rules.edit_action(action, "Do it", "Team", due, "in progress", 200)
        assert action.progress == 0 and action.status == "not started"
        action_rules.delete_action(action)
        with pytest.raises(action_rules.ActionError, match="deleted"):
            action_rules.add_update(db.session, action, TODAY, "Note", None, None, True, users["policy"])
        db.session.rollback()


# --- the dashboard -------------------------------------------------------------------------------


def add_actions(app, decision_ids: list[int], n: int, start: int = 0) -> None:
    """``n`` actions spread over the decisions: every third overdue, statuses in turn."""
    with app.app_context():
        decisions = [db.session.get(Decision, i) for i in decision_ids]
        for k in range(start, start + n):
            action = action_rules.add_action(db.session, decisions[k % len(decisions)], f"Action {k}", f"Owner {k}",
                                         TODAY + dt.timedelta(days=k + 1), "in progress" if k % 2 else "not started",
                                         k % 100, TODAY)
            if k % 3 == 0:
                action.due_on = TODAY - dt.timedelta(days=k + 1)
        db.session.commit()


def test_dashboard_counts_overdue_list_filters_and_pages(app, sign_in, decision_id, users, monkeypatch):
    client = sign_in("viewer")
    other = make_decision(app, "R2", users["approver"])
    # Actions 0..6 alternate between the two decisions; odd ones are in progress; 0, 3 and 6
    # are past their due date, but 6 is then implemented, so it is closed and not overdue.
    add_actions(app, [decision_id, other], 7)
    with app.app_context():
        last = db.session.scalar(select(Action).where(Action.description == "Action 6"))
        last.status = "implemented"
        db.session.commit()
        counts = action_rules.dashboard_counts(db.session, TODAY)
    assert counts.by_status == {"not started": 3, "in progress": 3, "implemented": 1, "superseded": 0, "withdrawn": 0}
    assert counts.overdue == 2 and counts.total == 7

    html = client.get("/staff/implementation").get_data(as_text=True)
    shown = {label: int(number) for number, label in re.findall(
        r'app-count__number">(\d+)</span> <span class="app-count__label">([a-z ]+)<', html)}
    assert shown == {"overdue": 2, "not started": 3, "in progress": 3, "implemented": 1, "superseded": 0,
                     "withdrawn": 0}
    overdue = table_after(html, 'id="overdue-actions"')
    assert re.findall(r"Action (\d)", overdue) == ["3", "0"]  # most overdue first
    assert "Owner 3" in overdue and "4" in overdue.split("Owner 3")[1]  # 4 days overdue
    listing = table_after(html, 'id="all-actions"')
    assert "7 live actions" in listing
    assert "R1 from Clinks" in listing and "R2 from Clinks" in listing and "Accepted Published" in listing
    assert "Overdue by 4 days" in listing and "Overdue by 1 day" in listing

    only_overdue = client.get("/staff/implementation?overdue=y").get_data(as_text=True)
    assert "2 overdue actions" in only_overdue
    in_progress = client.get("/staff/implementation?status=in+progress").get_data(as_text=True)
    caption = table_after(in_progress, "3 actions with the status in progress")
    assert sorted(re.findall(r"Action (\d)", caption)) == ["1", "3", "5"]
    both = client.get("/staff/implementation?status=in+progress&overdue=y").get_data(as_text=True)
    assert "1 overdue action with the status in progress" in both
    none = client.get("/staff/implementation?status=withdrawn").get_data(as_text=True)
    assert "No action matches these filters" in none

    monkeypatch.setattr(implementation, "PAGE_SIZE", 3)
    first = client.get("/staff/implementation").get_data(as_text=True)
    assert "showing 1 to 3" in first and 'aria-label="Page 3"' in first
    assert 'href="/staff/implementation?page=2"' in first
    last = client.get("/staff/implementation?page=3").get_data(as_text=True)
    assert "showing 7 to 7" in last and re.search(r'aria-label="Page 3"\s+aria-current="page"', last)
    assert "showing 7 to 7" in client.get("/staff/implementation?page=99").get_data(as_text=True)
    # Page links keep the filters.
    monkeypatch.setattr(implementation, "PAGE_SIZE", 2)
    filtered = client.get("/staff/implementation?status=not+started").get_data(as_text=True)
    assert "showing 1 to 2" in filtered and "status=not+started&amp;page=2" in filtered


def test_dashboard_runs_a_fixed_number_of_queries(app, sign_in, decision_id, users):
    client = sign_in("viewer")
    decisions = [decision_id] + [make_decision(app, key, users["approver"]) for key in ("R2", "R3", "R4")]
    add_actions(app, decisions, 2)
    with count_statements(app) as few:
        assert client.get("/staff/implementation").status_code == 200
    with count_statements(app) as few_filtered:
        assert client.get("/staff/implementation?overdue=y&status=not+started").status_code == 200
    add_actions(app, decisions, 40, start=2)  # more than a page, on more decisions and recommendations
    with count_statements(app) as many:
        html = client.get("/staff/implementation").get_data(as_text=True)
    with count_statements(app) as many_filtered:
        assert client.get("/staff/implementation?overdue=y&status=not+started").status_code == 200
    assert "42 live actions" in html and "R4 from Clinks" in text_of(html)
    assert len(many) == len(few) <= 5  # the user, counts, overdue list, total, one page of rows
    assert len(many_filtered) == len(few_filtered) == len(few)


def test_an_update_can_set_the_progress(app, sign_in, decision_id, users):
    """The update form carries the action's progress, checked 0 to 100 and applied to the action."""
    client = sign_in("policy")
    action_id = create_action(client, decision_id)
    action = get_action(app, action_id)
    form = client.get(f"/staff/actions/{action_id}/updates").get_data(as_text=True)
    assert 'name="progress"' in form and 'value="0"' in form[form.index('name="progress"') - 200:][:400]
    for bad in ("101", "-1", "half"):
        response = client.post(f"/staff/actions/{action_id}/updates", data=update_data(action, progress=bad))
        assert response.status_code == 400 and PROGRESS_MESSAGE in response.get_data(as_text=True), bad
    assert count(app, ActionUpdate) == 0
    response = client.post(f"/staff/actions/{action_id}/updates", data=update_data(action, progress="70"))
    assert response.status_code == 302 and get_action(app, action_id).progress == 70
    assert audit(app, "action", action_id, "progress") == [("progress", "0", "70", users["policy"])]
    with app.app_context():
        with pytest.raises(action_rules.ActionError):
            action_rules.add_update(db.session, db.session.get(Action, action_id), TODAY, "x", None, None,
                                    False, None, today=TODAY, progress=101)


def test_date_hints_are_computed_from_today(app, sign_in, decision_id):
    client = sign_in("policy")
    due = TODAY + dt.timedelta(days=90)
    new = client.get(f"/staff/decisions/{decision_id}/actions/new").get_data(as_text=True)
    assert f"For example, {due.day} {due.month} {due.year}" in new
    action_id = create_action(client, decision_id)
    update = client.get(f"/staff/actions/{action_id}/updates").get_data(as_text=True)
    assert f"For example, {TODAY.day} {TODAY.month} {TODAY.year}" in update
    assert "27 3 2026" not in new + update


def test_the_demo_dates_are_relative_to_today(demo_app):
    """The demo shows an action a fortnight overdue, not years, and no update dated in the future."""
    with demo_app.app_context():
        actions = db.session.scalars(select(Action)).all()
        updates = db.session.scalars(select(ActionUpdate)).all()
        overdue = [action_rules.days_overdue(a, TODAY) for a in actions if action_rules.is_overdue(a, TODAY)]
        assert overdue and max(overdue) <= 31
        assert updates and all(u.on <= TODAY for u in updates)
        assert any(a.due_on > TODAY for a in actions)


def test_the_recommendation_page_counts_actions_in_plain_english(app, sign_in, decision_id):
    client = sign_in("policy")
    with app.app_context():
        rec_id = db.session.get(Decision, decision_id).recommendation_id
    assert "0 implementation actions." in client.get(f"/staff/recommendations/{rec_id}").get_data(as_text=True)
    create_action(client, decision_id)
    page = client.get(f"/staff/recommendations/{rec_id}").get_data(as_text=True)
    assert "1 implementation action." in page and "(s)" not in page
    create_action(client, decision_id)
    assert "2 implementation actions." in client.get(f"/staff/recommendations/{rec_id}").get_data(as_text=True)
