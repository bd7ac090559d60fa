"""``retention run``: anonymise respondents whose consultations' retention period has ended."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from consultations import personal_data
from tracker.db import db

retention_cli = AppGroup("retention", help="Keep respondents' personal data no longer than each consultation's retention period.")


def refresh_search_indexes() -> None:
    """After erasing: rebuild both search indexes from the database, so no index file keeps an
    erased value, and on SQLite rewrite the database file (VACUUM), so no freed page does."""
    if current_app.config.get("SEARCH_ENABLED", True):
        from tracker import indexing

        indexing.rebuild(db.session)
        db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.close()
        try:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM")
        except Exception as error:  # noqa: BLE001 - a busy database is vacuumed next time
            current_app.logger.warning("VACUUM after erasure failed (%s): run it when the database is idle", error)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List who would be anonymised and change nothing.")
def run_command(dry_run: bool) -> None:
    """Anonymise every respondent all of whose responses are past their consultation's retention
    period (RETENTION_MONTHS unless the consultation sets its own): names and contact details are
    removed, recommendations kept under the organisation type. Audited, without the values."""
    default = current_app.config["RETENTION_MONTHS"]
    due = personal_data.due_for_retention(db.session, default)
    if not due:
        click.echo("No respondent is past the retention period.")
        return
    for item in due:
        respondent = item.respondent
        click.echo(f"{'Would anonymise' if dry_run else 'Anonymising'} respondent {respondent.id} "
                   f"({item.responses} response{'s' if item.responses != 1 else ''}, retention ended "
                   f"{item.ended_on.isoformat()}): name, contact details"
                   + (", original files" if any(r.document_id for r in respondent.responses) else ""))
    if dry_run:
        click.echo(f"Dry run: {len(due)} respondent{'s' if len(due) != 1 else ''} would be anonymised; nothing changed.")
        return
    try:
        for item in due:
            personal_data.anonymise(db.session, item.respondent, reason="retention period ended")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    refresh_search_indexes()
    click.echo(f"Anonymised {len(due)} respondent{'s' if len(due) != 1 else ''}.")
