"""``consultations import`` and ``consultations list``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from consultations.consultation_import import ConsultationFileError, load_consultation_file, upsert_consultation
from consultations.models import Consultation, Response

from tracker.db import db

consultations_cli = AppGroup("consultations", help="Create and list consultations.")


@consultations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Create or update a consultation and its questions from a YAML file."""
    try:
        consultation, created = upsert_consultation(db.session, load_consultation_file(path))
        db.session.commit()
    except ConsultationFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    verb = "Created" if created else "Updated"
    click.echo(f"{verb} consultation {consultation.slug} with {len(consultation.questions)} questions.")


@consultations_cli.command("list")
def list_command() -> None:
    """List consultations with their slugs (used by ``ingest --consultation``)."""
    rows = db.session.execute(
        select(Consultation.slug, Consultation.status, Consultation.title, func.count(Response.id))
        .outerjoin(Response, Response.consultation_id == Consultation.id)
        .group_by(Consultation.id)
        .order_by(Consultation.slug)
    ).all()
    if not rows:
        click.echo("No consultations yet. Create one with: flask --app tracker consultations import FILE.yaml")
    for slug, status, title, responses in rows:
        noun = "response" if responses == 1 else "responses"
        click.echo(f"{slug}  [{status}]  {responses} {noun}  {title}")
