"""Admin: the email outbox. Every message the service has sent or will send, its state, attempts
and last error; one message as its recipient reads it (the plain text on the page, the whole email
with its HTML part as a download); a failed message can be sent again.

In development without an SMTP server (``make run``), this is where the messages are read.
"""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from consultations import outbox
from consultations.outbox import STATES, OutboxMessage
from tracker import mail
from tracker.db import db
from tracker.staff.admin.views import bp
from tracker.web.loaders import get_or_404
from tracker.web.paging import paginate
from tracker.web.roles import role_required

PAGE_SIZE = 50


@bp.route("/admin/outbox")
@role_required("admin")
def outbox_messages():
    state = request.args.get("state")
    state = state if state in STATES else None
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        query = query.where(OutboxMessage.state == state)
    page = paginate(query, PAGE_SIZE)
    return render_template("staff/admin/outbox.html", page=page, state=state, states=STATES,
                           counts=outbox.counts(db.session),
                           mail_server=current_app.config["MAIL_SERVER"],
                           page_url=lambda number: url_for("admin.outbox_messages", state=state, page=number))


@bp.route("/admin/outbox/<id:message_id>")
@role_required("admin")
def outbox_message(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    try:
        rendered, problem = mail.render(message), None
    except Exception as error:  # noqa: BLE001 - a message that cannot be rendered is shown with why
        rendered, problem = None, f"{type(error).__name__}: {error}"
    return render_template("staff/admin/outbox_message.html", message=message, rendered=rendered, problem=problem)


@bp.route("/admin/outbox/<id:message_id>/message.eml")
@role_required("admin")
def outbox_message_eml(message_id: int):
    """The whole email (text and HTML parts), to open in an email program."""
    message = get_or_404(OutboxMessage, message_id)
    return Response(bytes(mail.build(message)), mimetype="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"'})


@bp.route("/admin/outbox/<id:message_id>/retry", methods=["POST"])
@role_required("admin")
def retry_outbox_message(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    try:
        outbox.retry(db.session, message)
    except outbox.OutboxError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("admin.outbox_message", message_id=message_id))
    db.session.commit()
    flash(f"The message to {message.recipient} will be sent again by the next run of the sender.")
    return redirect(url_for("admin.outbox_message", message_id=message_id))
