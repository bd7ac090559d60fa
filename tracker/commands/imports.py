"""``import-survey`` and ``import-recommendations``: bulk imports with a progress bar, a
report, resuming and ``--strict``. The work is done by ``tracker.jobs.imports``."""
from __future__ import annotations

import re
import sys
from itertools import islice
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations.bulk import ImportReport, TableError, open_table, shorten
from consultations.consultation_import import SLUG
from consultations.models import CONSENT_LEVELS, Consultation
from consultations.recommendation_import import DECISION_STATES, Options, RecommendationFileError
from consultations.survey_import import (
    SAMPLE_ROWS,
    SurveyError,
    load_mapping,
    propose_mapping,
    save_mapping,
)

from tracker.jobs import imports
from tracker.db import db
from consultations.workflow import DECISION_OUTCOMES

FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
MAX_FAILURES_SHOWN = 100


def _progress_wanted() -> bool:
    return sys.stderr.isatty()


def _table_options(function):
    function = click.option("--sheet", help="XLSX: the sheet to read (default: the first).")(function)
    function = click.option("--delimiter", help="CSV: the delimiter (default: worked out from the file).")(function)
    function = click.option("--batch-size", type=click.IntRange(1, 100_000), default=imports.BATCH_SIZE,
                            show_default=True, help="Rows per committed batch.")(function)
    function = click.option("--strict", is_flag=True,
                            help="Write nothing at all if any row fails (one transaction).")(function)
    return function


def _open(path: Path, delimiter: str | None, sheet: str | None):
    if delimiter == "\\t":
        delimiter = "\t"
    try:
        return open_table(path, delimiter=delimiter, sheet=sheet)
    except TableError as error:
        raise click.ClickException(f"Nothing was imported. {error}") from None


# --- survey ---------------------------------------------------------------------------


@click.command("import-survey")
@click.argument("path", type=FILE)
@click.option("--consultation", "slug", required=True, help="Slug of the consultation the survey belongs to.")
@click.option("--mapping", "mapping_path", type=FILE, help="A saved column mapping (YAML or JSON) to use.")
@click.option("--save-mapping", "save_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the proposed mapping to this file (YAML, or JSON for .json) to review and edit.")
@click.option("--create-questions", is_flag=True,
              help="Create a question from the header of each answer column that matches none "
                   "(and the consultation itself if it does not exist).")
@click.option("--title", help="With --create-questions: the new consultation's title.")
@click.option("--body", help="With --create-questions: the organisation consulting.")
@click.option("--yes", "-y", is_flag=True, help="Accept the proposed mapping without asking.")
@_table_options
@with_appcontext
def import_survey_command(path, slug, mapping_path, save_path, create_questions, title, body, yes, strict,
                          batch_size, delimiter, sheet):
    """Import an online-survey export (CSV or XLSX): one response per row, one answer per column.

    Columns are matched to the consultation's questions by their header text, and metadata
    (reference, date, respondent type, organisation, publication privacy ...) by header.
    The proposed mapping is shown for confirmation; --yes accepts it, --save-mapping writes
    it to a file to edit, and --mapping uses an edited one. Rows already imported (same
    reference) are skipped, so running the command again finishes an interrupted import.
    """
    table = _open(path, delimiter, sheet)
    with Session(db.engine, expire_on_commit=False) as session:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            if not create_questions:
                known = session.scalars(select(Consultation.slug).order_by(Consultation.slug)).all()
                hint = f" Known consultations: {', '.join(known)}." if known else ""
                raise click.ClickException(
                    f"Nothing was imported: there is no consultation '{slug}'.{hint} Create it with "
                    "`flask --app tracker consultations import FILE.yaml`, or add --create-questions "
                    "(with --title and --body) to create it and its questions from the survey's headers.")
            if not SLUG.match(slug):
                raise click.ClickException(f"Nothing was imported: the slug '{slug}' must be lower-case words "
                                           "joined by hyphens, like eu-ai-white-paper-2020.")
            consultation = Consultation(slug=slug, title=title or _title_from(path), body=body or "Not recorded",
                                        status="closed")
            session.add(consultation)
            session.flush()
        questions = list(consultation.questions)
        try:
            if mapping_path:
                mapping = load_mapping(mapping_path, table.headers, questions, create_questions=create_questions)
            else:
                sample = [row.values for row in islice(_open(path, delimiter, sheet).rows, SAMPLE_ROWS) if row.values]
                mapping = propose_mapping(table.headers, sample, questions, create_questions=create_questions)
        except (SurveyError, TableError) as error:
            raise click.ClickException(f"Nothing was imported. {error}") from None

        if not mapping_path:
            click.echo(_describe_mapping(mapping, table.name, consultation.slug))
        if save_path:
            save_mapping(mapping, save_path, table.name)
            click.echo(f"Mapping saved to {save_path}.")
            if not yes:
                click.echo(f"Edit it if need be, then import with --mapping {save_path}.")
                return
        if not mapping_path and not yes:
            if not sys.stdin.isatty():
                raise click.ClickException(
                    "Nothing was imported: confirm the mapping above with --yes, or save it with "
                    "--save-mapping FILE, edit it, and import with --mapping FILE.")
            if not click.confirm("Import with this mapping?", default=False):
                raise click.ClickException("Nothing was imported. Save the mapping with --save-mapping FILE, "
                                           "edit it, and import with --mapping FILE.")
        if not mapping.answers:
            raise click.ClickException("Nothing was imported: no column matches a question of the consultation. "
                                       "Add --create-questions, or map columns with --mapping FILE.")
        outcome = imports.import_survey(session, table, consultation, mapping, strict=strict, batch_size=batch_size,
                                        progress=_progress_wanted(), options={
                                            "consultation": slug, "mapping": str(mapping_path) if mapping_path else None,
                                            "create_questions": create_questions, "strict": strict})
        _print_report(outcome, table, f"responses into {consultation.slug}")


def _title_from(path: Path) -> str:
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return (words[:1].upper() + words[1:])[:300] or "Imported survey"


def _describe_mapping(mapping, name: str, slug: str) -> str:
    lines = [f"Proposed mapping of {name}'s {len(mapping.columns)} columns for {slug}:"]
    for column in mapping.columns:
        lines.append(f"  {column.column:>3}. {shorten(column.header or '(blank header)', 70):<70}  -> {column.describe()}")
    return "\n".join(lines)


# --- recommendations --------------------------------------------------------------------


def _outcome_pairs(ctx, param, values):
    pairs = {}
    for value in values:
        word, sep, outcome = value.partition("=")
        if not sep or not word.strip() or outcome.strip() not in DECISION_OUTCOMES:
            raise click.BadParameter(f"write VALUE=OUTCOME, where OUTCOME is one of {', '.join(DECISION_OUTCOMES)}; "
                                     f"got '{value}'")
        pairs[word.strip()] = outcome.strip()
    return pairs


@click.command("import-recommendations")
@click.argument("path", type=FILE)
@click.option("--consultation", help="A consultation slug, or a template naming columns, such as "
                                     "'upr-{session}-{to}' (default: the file's consultation column, else one "
                                     "consultation per recipient and session named after the file).")
@click.option("--respondent", help="Who made the recommendations, when the file has no 'from' column.")
@click.option("--org-type", help="Organisation type of new respondents, when the file has no such column.")
@click.option("--consent", type=click.Choice(CONSENT_LEVELS), default="anonymous", show_default=True,
              help="Publication consent of new respondents.")
@click.option("--source", help="Where the decisions come from, for their rationale (default: the file name).")
@click.option("--decision-state", type=click.Choice(DECISION_STATES), default="approved", show_default=True,
              help="State of the imported decisions; 'published' makes them public at once.")
@click.option("--outcome", "outcomes", multiple=True, callback=_outcome_pairs, metavar="VALUE=OUTCOME",
              help="Map a decision value to an outcome, e.g. 'Supported in part=accepted in part'. Repeatable.")
@_table_options
@with_appcontext
def import_recommendations_command(path, consultation, respondent, org_type, consent, source, decision_state,
                                   outcomes, strict, batch_size, delimiter, sheet):
    """Import recommendations listed one per row (CSV or XLSX), with their decisions.

    Each row becomes a recommendation in the response of whoever made it ("from") to its
    consultation (created if need be); a decision column becomes a decision. Rows already
    imported are skipped, so running the command again finishes an interrupted import.
    """
    table = _open(path, delimiter, sheet)
    options = Options(source=source or table.name, filename=table.name, consultation=consultation,
                      respondent=respondent, org_type=org_type, consent=consent, decision_state=decision_state,
                      outcomes=outcomes)
    with Session(db.engine, expire_on_commit=False) as session:
        report = ImportReport()
        try:
            importer = imports.DecidingImporter(session, table.headers, options, report,
                                                decision_state=decision_state)
        except RecommendationFileError as error:
            raise click.ClickException(f"Nothing was imported. {error}") from None
        run, earlier = imports.start_run(session, "recommendations", table, {
            "consultation": importer.template, "respondent": respondent, "org_type": org_type, "consent": consent,
            "source": options.source, "decision_state": decision_state, "outcomes": outcomes, "strict": strict})
        outcome = imports.run_import(session, importer, table, run, strict=strict, batch_size=batch_size,
                                     progress=_progress_wanted())
        outcome.earlier_runs = earlier
        _print_report(outcome, table, "recommendations")


# --- the report -----------------------------------------------------------------------


def _print_report(outcome: imports.Outcome, table, what: str) -> None:
    report = outcome.report
    rate = (report.imported + report.skipped + report.failed) / outcome.seconds if outcome.seconds else 0
    if outcome.strict_failed:
        click.echo(f"Nothing was imported from {table.name} (--strict): {report.failed:,} "
                   f"row{'s' if report.failed != 1 else ''} failed.")
        _print_failures(report)
        click.get_current_context().exit(1)
    run = outcome.run
    stopped = [earlier for earlier in outcome.earlier_runs if earlier.status != "running"]
    if stopped:
        click.echo("An earlier import of this file did not finish; rows it stored were skipped:")
        for earlier in stopped:
            click.echo(f"  {earlier.describe()[:1].upper()}{earlier.describe()[1:]}.")
    for earlier in outcome.earlier_runs:
        if earlier.status == "running":
            click.echo(f"Warning: {earlier.describe()}. Two imports of one file at the same time may store a row "
                       "twice: let one finish before starting another.")
    timing = f"{outcome.seconds:,.1f} s"
    if outcome.index_seconds >= 0.1:
        timing += f" (storing {outcome.store_seconds:,.1f} s, search indexing {outcome.index_seconds:,.1f} s)"
    click.echo(f"Imported {what} from {table.name} (import run #{run.id}) in {timing}, {rate:,.0f} rows/s:")
    click.echo(f"  imported  {report.imported:>8,}")
    click.echo(f"  skipped   {report.skipped:>8,}  (already imported)")
    click.echo(f"  failed    {report.failed:>8,}")
    _print_failures(report)
    shown = {k: v for k, v in report.counts.items() if v}
    if shown:
        click.echo("  " + "; ".join(f"{name} {n:,}" for name, n in shown.items()) + ".")
    for note in report.notes:
        click.echo(f"  Note: {note}")
    if outcome.index_message:
        click.echo(outcome.index_message)
    if report.failed:
        click.get_current_context().exit(1)


def _print_failures(report: ImportReport) -> None:
    for number, reason in report.failures[:MAX_FAILURES_SHOWN]:
        click.echo(f"    row {number}: {reason}")
    if report.failed > MAX_FAILURES_SHOWN:
        click.echo(f"    ... and {report.failed - MAX_FAILURES_SHOWN:,} more, all kept with the import run.")
