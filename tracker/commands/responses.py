"""``extract`` (read-only) and ``ingest`` (stores a response) for written responses."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click
from flask.cli import with_appcontext

from consultations.cleaning import clean_text
from consultations.extract import extract_recommendations
from consultations.frameworks import UnknownFramework, current_items
from consultations.ingest import IngestError, ingest_document
from consultations.readers import ReadError, read_document
from consultations.references import ReferenceResolver

from ..db import db
from ..upload import document_limits, max_file_bytes, megabytes

FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def read_file(path: Path) -> bytes:
    """The file's bytes, refused before reading when it is larger than one response file may be."""
    size, limit = path.stat().st_size, max_file_bytes()
    if size > limit:
        raise click.ClickException(
            f"{path.name} is {megabytes(size)}, larger than {megabytes(limit)}, the most one response file may be "
            "(UPLOAD_MAX_FILE_BYTES). Split it into smaller files, or ask the respondent for a smaller version."
        )
    return path.read_bytes()


@click.command("extract")
@click.argument("path", type=FILE)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--framework", "framework_key", help="Resolve references against this framework only.")
@with_appcontext
def extract_command(path: Path, as_json: bool, framework_key: str | None) -> None:
    """Print the recommendations found in a written response (.txt, .md, .docx, .pdf, .html or .eml).
    Writes nothing."""
    try:
        document = read_document(path.name, read_file(path), limits=document_limits())
        items = current_items(db.session, framework_key)
    except (ReadError, UnknownFramework) as error:
        raise click.ClickException(str(error)) from None
    for warning in document.warnings:
        click.echo(f"Warning: {warning}", err=True)
    text = clean_text(document.text)
    found = extract_recommendations(text, resolver=ReferenceResolver(items))
    if as_json:
        click.echo(json.dumps({"recommendations": [r.as_json() for r in found]}, indent=2, ensure_ascii=False))
        return
    click.echo(_describe(path.name, found, bool(items)))


def _describe(name: str, found, have_framework: bool) -> str:
    tops = [r for r in found if r.parent is None]
    if not found:
        return f"No recommendations found in {name}."
    subs = len(found) - len(tops)
    lines = [
        f"{len(tops)} recommendation{'s' if len(tops) != 1 else ''} found in {name}"
        + (f", with {subs} sub-point{'s' if subs != 1 else ''}." if subs else ".")
    ]
    if not have_framework:
        lines.append("No framework is imported, so references cannot be matched to standards yet.")
    for rec in found:
        indent = "    " if rec.parent else ""
        lines.append("")
        lines.append(textwrap.fill(f"{rec.key}. {rec.text}", 100, initial_indent=indent,
                                   subsequent_indent=indent + " " * (len(rec.key) + 2)))
        detail = indent + " " * (len(rec.key) + 2)
        if len(rec.spans) > 1:
            lines.append(f"{detail}Said {len(rec.spans)} times (characters "
                         + ", ".join(f"{s}-{e}" for s, e in rec.spans) + ").")
        if rec.references:
            lines.append(f"{detail}References: {', '.join(rec.references)}")
        if rec.unresolved_references:
            lines.append(f"{detail}Not found in any framework: {', '.join(rec.unresolved_references)}")
    return "\n".join(lines)


@click.command("ingest")
@click.argument("path", type=FILE)
@click.option("--consultation", "slug", required=True, help="Slug of the consultation responded to.")
@click.option("--respondent", required=True, help="Name of the organisation or person responding.")
@click.option("--org-type", help='Organisation type, e.g. "voluntary sector".')
@click.option("--consent", type=click.Choice(["named", "anonymous", "confidential"]),
              help="Publication consent for a new respondent (default: anonymous).")
@click.option("--received", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date received, YYYY-MM-DD (default: an email's sending date).")
@with_appcontext
def ingest_command(path: Path, slug: str, respondent: str, org_type, consent, received) -> None:
    """Store a written response (.txt, .md, .docx, .pdf, .html or .eml) with its recommendations
    and explicit standard links. The type is read from the content, not the extension."""
    try:
        result = ingest_document(
            db.session,
            consultation_slug=slug,
            filename=path.name,
            data=read_file(path),
            respondent_name=respondent,
            organisation_type=org_type,
            consent=consent,
            received_on=received.date() if received else None,
            limits=document_limits(),
        )
        if result.created:
            db.session.commit()
    except IngestError as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name} was not ingested; nothing was changed. {error}") from None
    except BaseException:
        db.session.rollback()
        raise
    response = result.response
    if not result.created:
        click.echo(f"{path.name} was already ingested for this consultation as response "
                   f"#{response.id} ({response.respondent.name}); nothing was changed.")
        return
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Ingested {path.name} as response #{response.id} from {response.respondent.name}: "
               f"{result.recommendations} recommendations, {result.links} standard links.")
    if result.placeholders_linked:
        click.echo(f"{result.placeholders_linked} online-survey answer(s) from {response.respondent.name} saying "
                   "'see written response' now point to it.")
