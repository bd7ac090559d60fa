"""``notify send``: deliver the outbox (tracker/mail.py, consultations/outbox.py); ``notify reminders``:
enqueue the reminders and weekly digests that are due (consultations/notifications.py)."""
from __future__ import annotations

import datetime as dt
import time

import click
from flask import current_app
from flask.cli import AppGroup

from consultations import outbox, reminders, respondent_emails, subscriptions
from tracker import mail
from tracker.db import db

notify_cli = AppGroup("notify", help="Send the email outbox and enqueue reminders.")


@notify_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages, then stop.")
@click.option("--every", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep running: send what is due, then wait this long, until stopped (make run uses it).")
def send_command(limit: int | None, every: int | None) -> None:
    """Send the messages that are due. Safe to run from cron while another run is going."""
    app = current_app._get_current_object()
    try:
        mail.transport_for(app)
    except mail.MailNotConfigured as error:
        raise click.ClickException(str(error)) from None
    while True:
        report = mail.send_due(app, limit=limit)
        if report.sent or report.retrying or report.failed or not every:
            waiting = outbox.counts(db.session)
            db.session.remove()
            click.echo(f"Sent {report.sent}, will retry {report.retrying}, failed {report.failed}; "
                       f"{waiting['pending']} waiting, {waiting['failed']} failed in all.")
        if not every:
            return
        time.sleep(every)


@notify_cli.command("reminders")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Act as if today were this date (YYYY-MM-DD).")
def reminders_command(today) -> None:
    """Enqueue what is due today: reminders to action owners, their weekly digests, the digests
    of public email subscriptions and respondents' weekly news of the actions on their recommendations. Run it daily; running it again the same day (or week, for the
    owners' digests) enqueues nothing twice."""
    day = today.date() if today else dt.date.today()
    report = reminders.enqueue_reminders(db.session, day)
    subscribed = subscriptions.enqueue_digests(db.session)
    news = respondent_emails.enqueue_action_news(db.session, day)
    db.session.commit()
    click.echo(f"Enqueued {report.due_soon} due-soon reminder{'s' if report.due_soon != 1 else ''}, "
               f"{report.overdue} overdue reminder{'s' if report.overdue != 1 else ''} and "
               f"{report.digests} weekly digest{'s' if report.digests != 1 else ''} for {day.isoformat()}; "
               f"{subscribed} subscription digest{'s' if subscribed != 1 else ''}; "
               f"{news} weekly action update{'s' if news != 1 else ''} to respondents. "
               "'notify send' sends them.")
