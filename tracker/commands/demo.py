"""``demo load``: the demo frameworks, consultation, the Clinks response, an illustrative
survey export with a campaign in it, and the campaigns and clusters it holds. Safe to repeat."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations import clusters, redaction
from consultations.bulk import open_table
from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.frameworks import import_framework, load_framework_file
from consultations.ingest import ingest_document
from consultations.models import Consultation, ImportRun, Response
from consultations.survey_import import propose_mapping

from tracker.commands import demo_workflow
from tracker.jobs import imports
from consultations.users import create_user
from tracker.db import db
from consultations.workflow import User

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
# Illustrative online-survey answers to the same consultation (invented respondents, marked
# "(illustrative)"): a peer network's template letter sent by five supporters, near-identical
# recommendations from different organisations, a confidential and a placeholder answer.
DEMO_SURVEY = ("probation-inspection-changes-2019", "surveys/probation-inspection-survey-2019.csv")
DEMO_RESPONSES = [
    # (consultation, file, respondent, organisation type, consent, received)
    ("probation-inspection-changes-2019", "clinks-2019.txt", "Clinks", "voluntary sector", "named",
     dt.date(2019, 4, 12)),
]

# Demo sign-ins, one per role. For a local demonstration only: never load demo data into a
# database that real staff use.
DEMO_USERS = [
    ("admin@example.org", "admin", "Ada Admin"),
    ("policy@example.org", "policy", "Pat Policy"),
    ("methodology@example.org", "methodology", "Morgan Methodology"),
    ("approver@example.org", "approver", "Alex Approver"),
    ("viewer@example.org", "viewer", "Val Viewer"),
]
DEMO_PASSWORD = "demo-password-{role}"

demo_cli = AppGroup("demo", help="Demo data.")


def load_demo_users() -> list[str]:
    """Create the demo users that do not exist yet; return the sign-in lines to print."""
    lines = []
    for email, role, name in DEMO_USERS:
        password = DEMO_PASSWORD.format(role=role)
        if db.session.scalar(select(User).where(User.email == email)) is None:
            create_user(db.session, email, role, password, name)
        lines.append(f"  {role:<12} {email:<26} password: {password}")
    return lines


@demo_cli.command("load")
@click.option("--content-only", is_flag=True,
              help="Only frameworks, the consultation, the Clinks response and users: no decisions, actions, "
                   "survey answers or duplicate groups.")
def load_command(content_only: bool) -> None:
    """Load the demo data; running it again changes nothing."""
    try:
        for path in sorted((DEMO_DATA / "frameworks").glob("*.yaml")):
            report = import_framework(db.session, load_framework_file(path))
            click.echo(f"Framework {report.framework.key} {report.framework.version}: "
                       f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged.")
        for path in sorted(DEMO_DATA.glob("consultation-*.yaml")):
            consultation, created = upsert_consultation(db.session, load_consultation_file(path))
            click.echo(f"Consultation {consultation.slug}: {'created' if created else 'up to date'}.")
        for slug, filename, respondent, org_type, consent, received in DEMO_RESPONSES:
            result = ingest_document(
                db.session,
                consultation_slug=slug,
                filename=filename,
                data=(DEMO_DATA / "responses" / filename).read_bytes(),
                respondent_name=respondent,
                organisation_type=org_type,
                consent=consent,
                received_on=received,
            )
            state = f"ingested, {result.recommendations} recommendations" if result.created else "already ingested"
            click.echo(f"Response from {respondent} to {slug}: {state}.")
        review_demo_redactions(db.session, DEMO_RESPONSES[0][0])
        sign_ins = load_demo_users()
        if not content_only:
            decisions = demo_workflow.load(db.session, DEMO_RESPONSES[0][0], DEMO_RESPONSES[0][2])
            click.echo(f"Demo decisions and actions: {decisions} recommendations given decisions"
                       + ("." if decisions else " (already there)."))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if not content_only:
        click.echo(load_demo_survey())
    click.echo("Demo sign-ins (local demonstration only):")
    click.echo("\n".join(sign_ins))


def review_demo_redactions(session, slug: str) -> None:
    """Stand in for the staff who check each demo response for personal data: what the detector
    finds is redacted and the response marked reviewed (once: a reviewed response is left alone)."""
    responses = session.scalars(select(Response).join(Consultation).where(
        Consultation.slug == slug, Response.redaction_reviewed_at.is_(None))).all()
    for response in responses:
        for proposal in redaction.propose(session, response):
            redaction.decide(proposal, "confirmed", None)
        redaction.mark_reviewed(session, response)


def load_demo_survey() -> str:
    """Import the illustrative survey once, then propose its campaigns and clusters (a
    rerun keeps what staff decided)."""
    slug, filename = DEMO_SURVEY
    table = open_table(DEMO_DATA / filename)
    with Session(db.engine, expire_on_commit=False) as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        imported = session.scalar(select(ImportRun.id).where(ImportRun.sha256 == table.sha256,
                                                             ImportRun.status == "finished"))
        if imported is None:
            sample = [row.values for row in open_table(DEMO_DATA / filename).rows if row.values]
            mapping = propose_mapping(table.headers, sample, list(consultation.questions))
            outcome = imports.import_survey(session, table, consultation, mapping, options={"consultation": slug})
            state = f"{outcome.report.imported} survey responses imported"
        else:
            state = "survey responses already imported"
        review_demo_redactions(session, slug)
        report = clusters.find_campaigns(session, consultation)
        clusters.find_clusters(session, consultation, report=report)
        session.commit()
    campaigns = f"{report.campaigns_found} campaign{'' if report.campaigns_found == 1 else 's'}"
    groups = f"{report.clusters_found} cluster{'' if report.clusters_found == 1 else 's'}"
    return (f"Demo survey: {state}; {campaigns} ({report.campaigns_new} new) and "
            f"{groups} of near-identical recommendations ({report.clusters_new} new) found.")
