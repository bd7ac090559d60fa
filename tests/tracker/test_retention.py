"""Retention: `flask --app tracker retention run` anonymises respondents whose consultations'
retention period has ended (names and contact details removed, recommendations kept under the
organisation type), `--dry-run` lists them and changes nothing, and the audit log records that it
happened without the values."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from consultations import personal_data
from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.organisation_types import named as named_type
from consultations.workflow import AuditEvent

NAME = "Corvid Old Responses Collective"
CONTACT = "Robin Rook, robin.rook@corvid.example, 0161 496 0111"
TEXT = "Robin Rook of the Corvid Old Responses Collective asks inspectors to publish waiting times."


def old_response(session, *, closes_on, retention_months=None, consent="named", contact=CONTACT):
    consultation = Consultation(slug=f"old-{closes_on.isoformat()}-{retention_months}", title="An old consultation", body="Inspectorate",
                                status="closed", closes_on=closes_on, retention_months=retention_months)
    respondent = Respondent(name=NAME, consent=consent, contact_details=contact,
                            organisation_type=named_type(session, "charity"))
    response = Response(consultation=consultation, respondent=respondent, text=TEXT, channel="email")
    rec = Recommendation(response=response, key="R1", sequence=1, text=TEXT, spans=[[0, len(TEXT)]], origin="manual")
    session.add_all([consultation, respondent, response, rec])
    session.commit()
    return respondent.id


def test_the_dry_run_lists_and_the_run_anonymises_only_respondents_past_retention(app, runner, session):
    today = dt.date.today()
    past = old_response(session, closes_on=today - dt.timedelta(days=800))  # default 24 months
    kept = old_response(session, closes_on=today - dt.timedelta(days=800), retention_months=36,
                        contact="Jay Daw, jay.daw@corvid.example")
    recent = old_response(session, closes_on=today - dt.timedelta(days=30), contact="Kit Crow, kit@corvid.example")

    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Would anonymise respondent {past} " in dry.output and "1 respondent would be anonymised" in dry.output
    assert f"respondent {kept} " not in dry.output and f"respondent {recent} " not in dry.output
    session.expire_all()
    assert session.get(Respondent, past).name == NAME  # nothing changed

    done = runner.invoke(args=["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "Anonymised 1 respondent." in done.output
    session.expire_all()
    respondent = session.get(Respondent, past)
    assert respondent.name == f"Anonymised respondent {past}" and respondent.contact_details is None
    assert respondent.consent == "anonymous" and respondent.anonymised_at is not None
    assert respondent.organisation_type.name == "Voluntary sector organisation"  # "charity", as recorded
    rec = session.scalar(select(Recommendation).join(Response).where(Response.respondent_id == past))
    assert "publish waiting times" in rec.text and "Robin Rook" not in rec.text and "Corvid" not in rec.text
    assert len(rec.text) == len(TEXT)  # blanked character for character: still anchored
    for other in (kept, recent):
        assert session.get(Respondent, other).name == NAME

    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "respondent",
                                                      AuditEvent.entity_id == past)).all()
    assert [e.new for e in events if e.field == "anonymised"] == ["retention period ended"]
    own = " ".join(f"{e.old} {e.new}" for e in events)
    assert NAME not in own and "Robin Rook" not in own
    held = " ".join(f"{e.old} {e.new}" for e in session.scalars(select(AuditEvent)))
    assert "robin.rook@corvid.example" not in held and "0161 496 0111" not in held
    assert NAME in held and "jay.daw@corvid.example" in held  # the other respondents' history is theirs

    again = runner.invoke(args=["retention", "run"])
    assert "No respondent is past the retention period." in again.output


def test_months_are_added_to_the_closing_date():
    assert personal_data.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert personal_data.add_months(dt.date(2019, 5, 15), 24) == dt.date(2021, 5, 15)


def test_admins_set_a_consultations_retention_period(client, sign_in, session):
    admin = sign_in("admin")
    form = {"slug": "kept-for-three-years", "title": "Kept for three years", "body": "Inspectorate", "status": "draft"}
    refused = admin.post("/staff/admin/consultations/new", data={**form, "retention_months": "0"})
    assert refused.status_code == 400 and "from 1 to 1200" in refused.get_data(as_text=True)
    assert admin.post("/staff/admin/consultations/new", data={**form, "retention_months": "36"}).status_code == 302
    assert session.scalar(select(Consultation).where(Consultation.slug == form["slug"])).retention_months == 36
