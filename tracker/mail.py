"""Turning outbox rows into email and delivering them: rendering, SMTP, and the sender loop
behind ``flask --app tracker notify send`` (the rules of claiming are in ``consultations.outbox``).

Every message is rendered from ``templates/email/<template>.txt`` and ``.html`` (the GOV.UK
email style: one column, plain words, a link per thing to do, the unsubscribe link last) with
the row's context, inside the app so links are absolute URLs on the configured public address.

Settings (``TRACKER_*`` variables or instance/config.py):

=====================  ==========================================================
``MAIL_SERVER``        SMTP host; empty: in development messages are only kept (the admin
                       Outbox page shows them), elsewhere ``notify send`` refuses to run
``MAIL_PORT``          587 by default
``MAIL_STARTTLS``      true by default: STARTTLS before authenticating
``MAIL_SSL``           false; true for SMTPS (implicit TLS, usually port 465)
``MAIL_USERNAME``      with ``MAIL_PASSWORD``: SMTP authentication (optional)
``MAIL_FROM``          the From address, such as ``Consultations <noreply@example.org>``
``MAIL_TIMEOUT``       seconds for each SMTP operation (30)
``MAIL_CA_FILE``       certificates to trust for the server's TLS certificate (an internal CA);
                       empty: the system's
``NOTIFY_MAX_ATTEMPTS``, ``NOTIFY_RETRY_BASE_SECONDS``, ``NOTIFY_RETRY_MAX_SECONDS``,
``NOTIFY_LEASE_SECONDS``: retries and the claim lease (``consultations.outbox``)
=====================  ==========================================================
"""
from __future__ import annotations

import smtplib
import ssl
from contextlib import nullcontext
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from consultations import outbox, respondent_emails
from consultations.outbox import OutboxMessage
from tracker.db import db

DEFAULTS = {
    "MAIL_SERVER": "",
    "MAIL_PORT": 587,
    "MAIL_STARTTLS": True,
    "MAIL_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "Consultation response tracker <noreply@localhost>",
    "MAIL_TIMEOUT": 30,
    "MAIL_CA_FILE": "",
    "NOTIFY_MAX_ATTEMPTS": outbox.MAX_ATTEMPTS,
    "NOTIFY_RETRY_BASE_SECONDS": outbox.RETRY_BASE_SECONDS,
    "NOTIFY_RETRY_MAX_SECONDS": outbox.RETRY_MAX_SECONDS,
    "NOTIFY_LEASE_SECONDS": outbox.LEASE_SECONDS,
}


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured and this is not development."""


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None


# ---------------------------------------------------------------------------
# Signed links (unsubscribe, confirm): no account, one purpose each
# ---------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"tracker-mail-{purpose}")


def sign(purpose: str, value) -> str:
    return _serializer(purpose).dumps(value)


def unsign(purpose: str, token: str):
    """The signed value, or None for a token that was not made by us for this purpose."""
    try:
        return _serializer(purpose).loads(token)
    except BadSignature:
        return None


class Expired(Exception):
    """A timed link that was ours but is too old."""


def sign_timed(purpose: str, value) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tracker-mail-{purpose}").dumps(value)


def unsign_timed(purpose: str, token: str, max_age: int):
    """The value of a timed link; None if not ours, ``Expired`` if older than ``max_age`` seconds."""
    try:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tracker-mail-{purpose}").loads(
            token, max_age=max_age)
    except SignatureExpired:
        raise Expired() from None
    except BadSignature:
        return None


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def unsubscribe_url(context: dict) -> str | None:
    """Where the recipient stops messages of this kind: a staff member's preferences page, or a
    signed one-click link for people without an account. None for messages nobody chose."""
    kind = (context.get("_unsubscribe") or {}).get("kind")
    target = (context.get("_unsubscribe") or {}).get("id")
    if kind == "staff":
        context.setdefault("unsubscribe_text", "Choose which emails you get")
        return url("notifications.preferences")
    if kind == "respondent":
        return url("emails.stop_outcome_emails", token=sign("respondent-stop", target))
    if kind == "subscription":
        return url("emails.unsubscribe", token=sign("subscription-stop", target))
    return None


def _respondent_outcome(session, context: dict) -> dict:
    return respondent_emails.outcome_digest(session, context["respondent_id"], context["consultation_id"],
                                            context["since"])


def _subscription_confirm(session, context: dict) -> dict:
    """The confirmation link, made when the email is sent: it expires CONFIRM_DAYS after that."""
    token = sign_timed("subscription-confirm", [context["subscription_id"], context["email"]])
    return {"confirm_url": url("emails.confirm_subscription", token=token), "days": CONFIRM_DAYS}


CONFIRM_DAYS = 7

# Messages whose content is read when they are sent, not when they are enqueued: template -> builder.
LIVE_CONTEXT = {"respondent_outcome": _respondent_outcome, "subscription_confirm": _subscription_confirm}


def url(endpoint: str, **values) -> str:
    return current_app.url_for(endpoint, _external=True, **values)


def link_context(app):
    """Where links in messages point: the configured public address (``PUBLIC_URL``); without one
    (development and tests only: production refuses to run without it) the address ``make run``
    serves, ``DEVELOPMENT_URL``."""
    if app.extensions.get("public_url") is not None:
        return nullcontext()
    return app.test_request_context(base_url=app.config.get("DEVELOPMENT_URL") or "http://127.0.0.1:5000")


def render(message: OutboxMessage) -> Rendered:
    """The subject, plain text and HTML of one message (in an app context; see ``link_context``)."""
    context = dict(message.context or {})
    if message.template in LIVE_CONTEXT:
        context.update(LIVE_CONTEXT[message.template](db.session, context))
    link = unsubscribe_url(context)
    values = dict(context, unsubscribe_url=link, service_name=current_app.config["SERVICE_NAME"],
                  home_url=url("public.home"), link=url)
    subject_template = current_app.jinja_env.get_template(f"email/{message.template}.txt")
    subject = "".join(subject_template.blocks["subject"](subject_template.new_context(values))).strip() \
        if "subject" in subject_template.blocks else current_app.config["SERVICE_NAME"]
    text = render_template(f"email/{message.template}.txt", **values)
    html = render_template(f"email/{message.template}.html", **values)
    return Rendered(" ".join(subject.split()), text.strip() + "\n", html, link)


def build(message: OutboxMessage, rendered: Rendered | None = None) -> EmailMessage:
    """The email as it goes over SMTP: plain text with an HTML alternative, a Message-ID that
    stays the same on every attempt, and List-Unsubscribe where the person chose the messages."""
    rendered = rendered or render(message)
    sender = current_app.config["MAIL_FROM"]
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<{message.message_id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        if (message.context.get("_unsubscribe") or {}).get("one_click"):
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email


# ---------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------


class SmtpTransport:
    """One SMTP connection for a run of the sender, opened on the first message."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        timeout = float(config["MAIL_TIMEOUT"])
        tls = ssl.create_default_context(cafile=config["MAIL_CA_FILE"] or None)
        if config["MAIL_SSL"]:
            connection = smtplib.SMTP_SSL(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout,
                                          context=tls)
        else:
            connection = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout)
            if config["MAIL_STARTTLS"]:
                connection.starttls(context=tls)
        if config["MAIL_USERNAME"]:
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return connection

    def send(self, email: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._open()
        self.connection.send_message(email)

    def reset(self) -> None:
        """Drop the connection after an error: the next message opens a fresh one."""
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            finally:
                self.connection = None


class KeepTransport:
    """Development without an SMTP server: messages are marked sent and only kept in the outbox,
    where the admin Outbox page shows them."""

    def send(self, email: EmailMessage) -> None:
        pass

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def transport_for(app):
    config = app.config
    development = config["DEVELOPMENT"] or config.get("TESTING")
    if not development and app.extensions.get("public_url") is None:
        raise MailNotConfigured(
            "The site's public address is not configured, so links in emails would point nowhere: set "
            "TRACKER_PUBLIC_URL (see 'Security model' in the README).")
    if config["MAIL_SERVER"]:
        return SmtpTransport(config)
    if development:
        return KeepTransport()
    raise MailNotConfigured(
        "No SMTP server is configured: set TRACKER_MAIL_SERVER (and TRACKER_MAIL_PORT, TRACKER_MAIL_FROM, "
        "TRACKER_MAIL_USERNAME, TRACKER_MAIL_PASSWORD as needed). See 'Email' in the README.")


def _permanent(error: Exception) -> bool:
    """A refusal that retrying will not change: the server rejected the address or the message (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600 and not isinstance(error, smtplib.SMTPAuthenticationError)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due(app, limit: int | None = None, transport=None, on_sent=None) -> SendReport:
    """Send every due message (or at most ``limit``): claim one, commit, send, mark, commit.

    Safe to run as often and as many times at once as you like; see ``consultations.outbox``
    for why nothing is lost and what can be repeated.
    """
    with app.app_context():  # its own session, whatever the caller has open
        return _send_due(app, limit, transport, on_sent)


def _send_due(app, limit, transport, on_sent) -> SendReport:
    config = app.config
    transport = transport or transport_for(app)
    report = SendReport()
    session = db.session
    retries = dict(max_attempts=int(config["NOTIFY_MAX_ATTEMPTS"]), base=int(config["NOTIFY_RETRY_BASE_SECONDS"]),
                   cap=int(config["NOTIFY_RETRY_MAX_SECONDS"]))
    try:
        while limit is None or report.sent + report.retrying + report.failed < limit:
            claimed = outbox.claim_next(session, lease_seconds=int(config["NOTIFY_LEASE_SECONDS"]),
                                        max_attempts=retries["max_attempts"])
            session.commit()
            if claimed is None:
                break
            message, token = claimed
            try:
                with link_context(app):
                    email = build(message)
                transport.send(email)
            except Exception as error:  # noqa: BLE001 - every failure is recorded on the message
                transport.reset()
                state = outbox.mark_failed(session, message.id, token, f"{type(error).__name__}: {error}",
                                           permanent=_permanent(error), **retries)
                session.commit()
                if state == "failed":
                    report.failed += 1
                else:
                    report.retrying += 1
                continue
            outbox.mark_sent(session, message.id, token)
            session.commit()
            report.sent += 1
            if on_sent is not None:
                on_sent(message)
    finally:
        transport.close()
        session.remove()
    return report


def init_app(app) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
