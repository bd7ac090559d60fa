"""``extract`` (read-only) and ``ingest`` (stores a response) for written responses."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from consultations.cleaning import clean_text
from consultations.frameworks import FrameworkFileError, UnknownFramework, current_items, load_framework_file
from consultations.models import Framework
from consultations.ingest import IngestError, ingest_document
from consultations.readers import ReadError, read_document
from consultations.references import ReferenceResolver

from tracker.db import db
from tracker.limits import document_limits, max_file_bytes, megabytes

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
@click.option("--respondent", help="The respondent's name, so that 'NAME recommends ...' counts as its own "
              "(the abbreviation and short form the document gives it count too).")
@click.option("--framework-file", "framework_files", type=FILE, multiple=True,
              help="A framework YAML or CSV file to match references against, read without a database "
                   "(repeat for several).")
@click.option("--framework", "framework_key", help="Match references against this imported framework only.")
@with_appcontext
def extract_command(path: Path, as_json: bool, respondent: str | None, framework_files: tuple[Path, ...],
                    framework_key: str | None) -> None:
    """Print the recommendations found in a written response (.txt, .md, .docx, .pdf, .html or .eml).
    Writes nothing, and needs no database: frameworks, from --framework-file or imported into the
    database when there is one, only add references."""
    try:
        document = read_document(path.name, read_file(path), limits=document_limits())
        items = framework_items(framework_files, framework_key)
    except (ReadError, UnknownFramework, FrameworkFileError) as error:
        raise click.ClickException(str(error)) from None
    for warning in document.warnings:
        click.echo(f"Warning: {warning}", err=True)
    from consultations.extract import extract_recommendations  # compiles the extraction patterns: see consultations.extract

    text = clean_text(document.text)
    found = extract_recommendations(text, resolver=ReferenceResolver(items), self_names=[respondent] if respondent else [])
    if as_json:
        click.echo(json.dumps({"recommendations": [r.as_json() for r in found]}, indent=2, ensure_ascii=False))
        return
    click.echo(_describe(path.name, found, bool(items)))


def framework_items(files: tuple[Path, ...], key: str | None) -> list:
    """The framework items references are matched against: those of ``files`` (read without a
    database) when given, else those imported into the database, if there is one with frameworks
    in it; none otherwise. ``key`` picks one framework of either."""
    if files:
        specs = [load_framework_file(path) for path in files]
        if key is not None:
            specs = [spec for spec in specs if spec.key == key] or _unknown(key, [spec.key for spec in specs])
        return [item for spec in specs for item in spec.items]
    if not _has_frameworks_table():
        if key is not None:
            raise click.ClickException(
                f"--framework {key} names an imported framework, but there is no database with frameworks in it. "
                "Import it with 'frameworks import FILE', or give the file with --framework-file FILE."
            )
        return []
    return current_items(db.session, key)


def _unknown(key: str, known: list[str]):
    raise UnknownFramework(key, known)


def _has_frameworks_table() -> bool:
    """Whether the configured database exists and has the frameworks table, found without creating
    anything: an SQLite file that is not there is not opened (opening it would create it)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).exists():
            return False
    try:
        return sa.inspect(db.engine).has_table(Framework.__tablename__)
    except sa.exc.OperationalError:
        click.echo("Warning: the database could not be reached, so references are not matched to frameworks.",
                   err=True)
        return False


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
        lines.append("No framework is imported (or given with --framework-file), so references cannot be "
                     "matched to standards yet.")
    for rec in found:
        indent = "    " * rec.key.count(".")  # R1.2.1 under R1.2 under R1
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
        answers = "answer" if result.placeholders_linked == 1 else "answers"
        click.echo(f"{result.placeholders_linked} online-survey {answers} from {response.respondent.name} saying "
                   f"'see written response' now point{'s' if result.placeholders_linked == 1 else ''} to it.")
