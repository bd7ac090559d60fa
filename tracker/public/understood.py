"""The respondent's page "What we understood you to recommend", opened from a signed check link
(``consultations.understood_checks``): no sign-in, the link is the key.

It shows only that response's live recommendations, each with the respondent's own words it
comes from; nothing else about the response, its respondent or anyone else (no decisions, notes,
links or duplicates). A link that is tampered with, expired, revoked or whose response was
deleted gets a page saying so and what to do (404 or 410), never a 500. The pages are never
cached (``Cache-Control: no-store``) and ask search engines not to index them.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from consultations import understood_checks as checks
from tracker.db import db
from tracker.understood_links import max_age
from tracker.web.forms import Form
from tracker.web.roles import public

bp = Blueprint("understood", __name__)

PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
PROBLEM_STATUS = {"invalid": 404, "expired": 410, "revoked": 410, "gone": 410}
FORM_BYTES = 16_000  # a request larger than the answers could fill is refused before it is read
ANSWER_CHOICES = {"yes": checks.CONFIRMED, "no": checks.NOT_MEANT}


class CheckForm(Form):
    """CSRF only: the answers' fields depend on the response, and are read from the request."""


def _open(token: str):
    try:
        return checks.open_check(db.session, current_app.secret_key, token, max_age=max_age()), None
    except checks.CheckLinkProblem as problem:
        db.session.rollback()
        return None, (render_template("public/understood_problem.html", reason=problem.reason),
                      PROBLEM_STATUS[problem.reason], PRIVATE)


def _body_limit(check) -> int:
    live = sum(1 for rec in check.response.recommendations if rec.deleted_at is None)
    return FORM_BYTES + live * (checks.COMMENT_MAX * 4 + 200) + checks.MISSED_MAX * 4


def _read_answers(items):
    """The answers in the form, and an error per field (GOV.UK error summary entries)."""
    replies, errors, values = {}, [], {}
    for item in items:
        rec = item.rec
        choice = request.form.get(f"answer-{rec.id}", "")
        comment = request.form.get(f"comment-{rec.id}", "").strip()
        values[rec.id] = (choice, comment)
        if not choice:
            continue
        if choice not in ANSWER_CHOICES:
            errors.append({"text": f"Choose yes or no for recommendation {rec.key}", "href": f"#answer-{rec.id}"})
        elif choice == "no" and not comment:
            errors.append({"text": f"Tell us what you meant by recommendation {rec.key}",
                           "href": f"#comment-{rec.id}"})
        elif len(comment) > checks.COMMENT_MAX:
            errors.append({"text": f"What you tell us about recommendation {rec.key} must be "
                                   f"{checks.COMMENT_MAX:,} characters or fewer", "href": f"#comment-{rec.id}"})
        else:
            replies[rec.id] = checks.Reply(ANSWER_CHOICES[choice], comment if choice == "no" else "")
    missed = request.form.get("missed", "").strip()
    if len(missed) > checks.MISSED_MAX:
        errors.append({"text": f"What we missed must be {checks.MISSED_MAX:,} characters or fewer", "href": "#missed"})
    if not errors and not replies and not missed:
        errors.append({"text": "Answer at least one question, or tell us about a recommendation we missed",
                       "href": f"#answer-{items[0].rec.id}" if items else "#missed"})
    return replies, missed, errors, values


@bp.route("/check/<token>", methods=["GET", "POST"])
@public
def check_page(token: str):
    check, problem = _open(token)
    if problem:
        return problem
    form = CheckForm()  # its token; CSRFProtect has already refused a POST without the right one
    items = checks.check_items(check.response)
    errors, values, missed = [], {}, ""
    if request.method == "POST":
        if (request.content_length or 0) > _body_limit(check):
            return (render_template("public/understood_problem.html", reason="too-large"), 413, PRIVATE)
        replies, missed, errors, values = _read_answers(items)
        if not errors:
            try:
                checks.record_answers(db.session, check, replies, missed)
                db.session.commit()
                return redirect(url_for("understood.sent", token=token))
            except checks.CheckError as refusal:
                db.session.rollback()
                errors = [{"text": str(refusal), "href": "#answers"}]
                check, problem = _open(token)
                if problem:
                    return problem
                items = checks.check_items(check.response)
    return (render_template("public/understood.html", check=check, response=check.response, items=items,
                            errors=errors, values=values, missed=missed, form=form, limits=checks),
            400 if errors else 200, PRIVATE)


@bp.route("/check/<token>/sent")
@public
def sent(token: str):
    check, problem = _open(token)
    if problem:
        return problem
    return render_template("public/understood_sent.html", check=check, token=token), 200, PRIVATE
