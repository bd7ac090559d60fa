"""``backup PATH`` and ``restore PATH``: the work is done by ``tracker.jobs.backup``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.jobs import backup
from tracker.db import db


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024**2:,.1f} MB" if size >= 1024**2 else f"{size / 1024:,.0f} KB"


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database (with the original files it holds) and instance/config.py into one
    archive at PATH (a .tar.gz file, or a folder to put a dated one in), then read it back to verify it.

    Safe while the application runs. The search indexes are not included: restore rebuilds them.
    """
    try:
        written, manifest = backup.create_backup(path)
    except backup.BackupError as error:
        raise click.ClickException(f"No backup was made. {error}") from None
    extra = "".join(f", {name}" for name in manifest.members if name.startswith("instance/"))
    click.echo(f"Backed up the {manifest.kind} database ({_count(manifest.rows, 'row')} in "
               f"{_count(len(manifest.tables), 'table')}, {_count(manifest.originals['files'], 'original file')})"
               f"{extra} to {written} ({_size(written)}).")
    click.echo("Verified: the archive was read back, every member matches its sha256 and the database copy is sound.")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _describe(manifest: backup.Manifest) -> str:
    return (f"the backup made {manifest.created}: a {manifest.kind} database with {_count(manifest.rows, 'row')} in "
            f"{_count(len(manifest.tables), 'table')} and {_count(manifest.originals['files'], 'original file')}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Replace the data without asking.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace this installation's database with a backup made by `backup`, then rebuild the
    search indexes. The archive is checked whole (manifest, sha256 of every member, database kind,
    migration revision) before anything changes. Asks first, unless --yes.
    """
    target = db.engine.url.render_as_string(hide_password=True)

    def confirm(manifest: backup.Manifest) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise click.ClickException(f"Nothing was restored: restoring replaces every row of {target} with "
                                       f"{_describe(manifest)}. Run it at a terminal to confirm, or add --yes.")
        return click.confirm(f"Replace every row of {target} with {_describe(manifest)}?", default=False)

    try:
        report = backup.restore_backup(path, confirm, echo=click.echo)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    if report is None:
        raise click.ClickException("Nothing was restored.")
    for name in report.instance_files:
        click.echo(f"Put back {name} (it was missing).")
    for name in report.kept:
        click.echo(f"Kept this installation's own {name}; the backup's copy differs (see it with "
                   f"`tar -xzOf {path} {name}`).")
    click.echo(report.index_message)
    click.echo(f"Restored {_describe(report.manifest)}.")
