"""``flask frameworks ...``: import standards frameworks from YAML/CSV and list them."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from consultations.frameworks import FrameworkFileError, import_framework, load_framework_file
from consultations.models import Framework, FrameworkItem
from tracker.db import db

frameworks_cli = AppGroup("frameworks", help="Import and list standards frameworks.")


@frameworks_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--key", help="Framework key (CSV default: the file name).")
@click.option("--name", help="Framework name (CSV default: the key).")
@click.option("--version", help='Framework version (CSV default: "1").')
@click.option("--kind", help='Kind, e.g. "standards" or "strategic objectives".')
@click.pass_context
def import_command(ctx, path, key, name, version, kind):
    """Import or update a framework from a YAML or CSV file.

    Re-importing the same key and version updates items in place (links survive); items no
    longer in the file are retired. A file with any problem is rejected as a whole.
    """
    try:
        spec = load_framework_file(path, key=key, name=name, version=version, kind=kind)
        report = import_framework(db.session, spec)
        db.session.commit()
    except FrameworkFileError as exc:
        db.session.rollback()
        click.echo(f"{path} was not imported; nothing was written:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        ctx.exit(1)
    except BaseException:
        db.session.rollback()
        raise
    framework = report.framework
    click.echo(
        f"Imported {framework.key} version {framework.version} ({framework.kind}): "
        f"{report.items} items — {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.retired} retired."
    )


@frameworks_cli.command("list")
def list_command():
    """List imported frameworks with their current (not retired) item counts."""
    counts = (
        select(FrameworkItem.framework_id, func.count().label("n"))
        .where(FrameworkItem.retired_at.is_(None))
        .group_by(FrameworkItem.framework_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Framework, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.framework_id == Framework.id)
        .order_by(Framework.key, Framework.created_at, Framework.id)
    ).all()
    if not rows:
        click.echo("No frameworks imported yet. Import one with: flask frameworks import PATH")
        return
    table = [("KEY", "VERSION", "KIND", "ITEMS", "NAME")] + [
        (f.key, f.version, f.kind, str(n), f.name) for f, n in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
