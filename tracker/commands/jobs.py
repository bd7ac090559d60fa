"""``jobs run ID``: do a job an admin started in the browser (``tracker.jobs.background``).

The admin pages start this command in its own process; it is not meant to be typed, but
running it by hand for a job still waiting to start does the job."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from tracker.jobs import background

jobs_cli = AppGroup("jobs", help="Jobs started from the admin pages (they start this themselves).")


@jobs_cli.command("run")
@click.argument("run_id", type=int)
def run_command(run_id: int) -> None:
    """Do the queued job RUN_ID, recording its progress and result for its page."""
    try:
        run = background.run_job(run_id)
    except background.JobRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Job {run_id} ({run.kind}): {run.status}.")
    for line in (run.options or {}).get("result") or []:
        click.echo(f"  {line}")
