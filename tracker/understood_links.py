"""The link and the message that ask a respondent to check what we understood
(``consultations.understood_checks``): shared by the triage page that shows them to staff and,
once the outbox exists, the email that sends them.

``invitation(check)`` is everything a message needs (who to, subject, body with the link); it
sends nothing. The link's address is built from the configured public address, never the request.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, url_for

from consultations.understood_checks import UnderstoodCheck, invitation as invitation_text, sign


@dataclass(frozen=True)
class Invitation:
    to: str | None  # the respondent's contact details as recorded (free text), or None
    subject: str
    body: str
    link: str


def check_days() -> int:
    return int(current_app.config["UNDERSTOOD_CHECK_DAYS"])


def max_age() -> dt.timedelta:
    """How old a link's signature may be: the longest a check can last here (each check's own
    ``expires_at`` is checked as well)."""
    return dt.timedelta(days=check_days())


def check_link(check: UnderstoodCheck) -> str:
    return url_for("understood.check_page", token=sign(current_app.secret_key, check), _external=True)


def invitation(check: UnderstoodCheck) -> Invitation:
    link = check_link(check)
    subject, body = invitation_text(check.response, link, check.expires_at)
    return Invitation(to=(check.response.respondent.contact_details or "").strip() or None,
                      subject=subject, body=body, link=link)
