"""Bulk actions from the recommendations list, and the answer templates they draft from.

Each action has one page: GET lists exactly what will change (and what will not, and why),
from ``consultations.bulk_actions``'s plan, in a fixed number of queries whatever the number
of recommendations; POST (CSRF) sends back each item's key and the version it was shown at,
applies them, commits once and lists what was done and what was skipped. The selection is
``rec`` ids from the list's checkboxes, or ``scope=all`` with the list's filters.

Roles are those of the single-item actions: methodology confirms links, policy assigns
responses, approvers draft, approve and publish decisions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from consultations import bulk_actions as bulk
from consultations import recommendation_list as listing
from consultations.answer_templates import add_template, all_templates
from consultations.workflow import User

from tracker.db import db
from tracker.staff.recommendations.bulk_forms import DEFAULT_MIN_SCORE, AnswerTemplateForm, BulkOptionsForm
from tracker.staff.recommendations.forms import RecommendationFilterForm
from tracker.staff.recommendations.views import FILTER_PARAMS, _check_standard, _fill_choices, bp, filters_from
from tracker.limits import max_bulk_recommendations
from tracker.web.editing import apply_edit
from tracker.web.forms import Form, error_list, options
from tracker.web.roles import login_required, role_required

MAX_ID_DIGITS = 12


@dataclass(frozen=True)
class BulkAction:
    endpoint: str
    title: str  # "Approve decisions"
    button: str  # "Approve {n} decisions"
    option: str | None  # the option the action needs: min_score, assignee or template
    plan: Callable
    apply: Callable


def _selection():
    """The chosen recommendations: ids from the checkboxes, or every one matching the filters."""
    if request.values.get("scope") == "all":
        form = RecommendationFilterForm(formdata=request.values)
        _fill_choices(form)
        form.validate()
        _check_standard(form)
        return listing.matching_ids(filters_from(form))
    return [int(v) for v in request.values.getlist("rec") if v.isascii() and v.isdigit() and len(v) < MAX_ID_DIGITS]


def _too_many(count: int) -> str | None:
    """Why the selection is refused when it is larger than one bulk action may change."""
    limit = max_bulk_recommendations()
    if count <= limit:
        return None
    return (f"This selects {count:,} recommendations, but one bulk action changes at most {limit:,}. "
            "Narrow the list with its filters (for example by consultation, question or respondent) and try again.")


def _selection_size(selection) -> int:
    if isinstance(selection, list):
        return len(set(selection))
    return db.session.scalar(select(func.count()).select_from(selection.subquery()))


def _selection_fields() -> list[tuple[str, str]]:
    """The selection as hidden fields, so changing an option or confirming keeps it."""
    if request.values.get("scope") == "all":
        return [("scope", "all"), *((name, request.values[name]) for name in FILTER_PARAMS if request.values.get(name))]
    return [("rec", v) for v in request.values.getlist("rec")]


def _back_to_list() -> str:
    return url_for("recommendations.index", **{name: request.values[name] for name in FILTER_PARAMS
                                               if request.values.get(name)})


def _option_value(action: BulkAction, form: BulkOptionsForm):
    """The option's domain value, or None when it is missing or refused (the form says why)."""
    if action.option == "min_score":
        return float(form.min_score.data) if form.min_score.data is not None and not form.min_score.errors else None
    if action.option == "assignee":
        raw = form.assignee.data
        return None if form.assignee.errors or raw in (None, "") else (None if raw == "nobody" else int(raw))
    if action.option == "template":
        raw = form.template.data
        return None if form.template.errors or raw in (None, "") else bulk.template_or_refuse(db.session, int(raw))
    return None


def _options_form(action: BulkAction) -> BulkOptionsForm:
    form = BulkOptionsForm(formdata=request.values)
    for name in ("min_score", "assignee", "template"):
        if name != action.option:
            del form[name]  # another action's option, ignored
    if action.option == "min_score" and not request.values.get("min_score"):
        form.min_score.process_formdata([DEFAULT_MIN_SCORE])
    if action.option == "assignee":
        form.assignee.choices = options([("", "Choose a member of staff"), ("nobody", "Nobody (unassign)"), *(
            db.session.execute(select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)).all())])
    if action.option == "template":
        form.template.choices = options([("", "Choose an answer template"),
                                         *((t.id, f"{t.name}: {t.outcome}") for t in all_templates(db.session))])
    form.validate()
    return form


def _chosen(action: BulkAction, form: BulkOptionsForm) -> tuple[bool, object]:
    value = _option_value(action, form)
    if action.option == "assignee":  # "nobody" is a choice, empty is not
        return bool(form.assignee.data) and not form.assignee.errors, value
    return action.option is None or value is not None, value


def _page(action: BulkAction, *, result: bulk.Result | None = None, problem: str | None = None, status: int = 200):
    form = _options_form(action)
    ready, value = _chosen(action, form)
    selection = _selection()
    nothing = isinstance(selection, list) and not selection
    plan = None
    too_many = _too_many(_selection_size(selection)) if ready and not nothing and result is None else None
    problem = problem or too_many
    if ready and not nothing and result is None and too_many is None:
        args = () if action.option is None else (value,)
        plan = action.plan(db.session, selection, *args)
    errors = error_list(form) + ([{"text": problem}] if problem else [])
    return render_template(
        "staff/recommendations/bulk_confirm.html", action=action, form=form, plan=plan, result=result,
        nothing_selected=nothing, ready=ready, errors=errors, selection_fields=_selection_fields(),
        back=_back_to_list(), confirm_form=Form(formdata=None),
        option_fields=[(action.option, request.values[action.option])]
        if action.option and request.values.get(action.option) else
        ([("min_score", DEFAULT_MIN_SCORE)] if action.option == "min_score" else []),
    ), status


def _confirm(action: BulkAction):
    """Apply what the page showed: each ``item-<key>`` with the version it was shown at."""
    form = Form()
    if not form.validate():
        return _page(action, problem="The form had expired. Check the list again and confirm.", status=400)
    shown = {}
    for name, value in request.form.items():
        if name.startswith("item-") and value.isascii() and value.isdigit() and len(value) < MAX_ID_DIGITS:
            key = name.removeprefix("item-")
            if key.replace("-", "").isdigit() and len(key) < 2 * MAX_ID_DIGITS:
                shown[key] = int(value)
    if not shown:
        return _page(action, problem="Nothing was listed to change. Select recommendations on the list first.", status=400)
    too_many = _too_many(len({key.partition("-")[0] for key in shown}))
    if too_many:
        return _page(action, problem=too_many, status=400)
    try:
        options_form = _options_form(action)
        ready, value = _chosen(action, options_form)
        if not ready:
            raise bulk.BulkActionError(next((e["text"] for e in error_list(options_form)), "Choose the options first"))
        args = () if action.option is None else (value,)
        extra = {} if action.option == "assignee" else {"user_id": g.user.id}
        if action.apply in (bulk.apply_approve, bulk.apply_publish):  # the installation's two-person rule
            extra["two_person_rule"] = current_app.config["DECISION_TWO_PERSON_RULE"]
        if action.apply is bulk.apply_publish:  # responses checked for personal data first
            extra["redaction_review"] = current_app.config["REDACTION_REVIEW_REQUIRED"]
        result = action.apply(db.session, shown, *args, **extra)
        db.session.commit()
    except bulk.BulkActionError as refusal:
        db.session.rollback()
        return _page(action, problem=str(refusal), status=400)
    except StaleDataError:
        db.session.rollback()
        return _page(action, problem="Someone changed one of these while it was being saved, so nothing was changed. "
                                     "Check the list below and confirm again.", status=409)
    return _page(action, result=result)


ACTIONS = {
    "confirm_links": BulkAction("bulk_confirm_links", "Confirm suggested links", "Confirm {n} suggested links",
                                "min_score", bulk.plan_confirm_links, bulk.apply_confirm_links),
    "assign": BulkAction("bulk_assign", "Assign responses", "Assign {n} responses", "assignee",
                         bulk.plan_assign, bulk.apply_assign),
    "draft": BulkAction("bulk_draft", "Draft decisions from a template", "Draft {n} decisions", "template",
                        bulk.plan_draft, bulk.apply_draft),
    "approve": BulkAction("bulk_approve", "Approve decisions", "Approve {n} decisions", None,
                          bulk.plan_approve, bulk.apply_approve),
    "publish": BulkAction("bulk_publish", "Publish decisions", "Publish {n} decisions", None,
                          bulk.plan_publish, bulk.apply_publish),
}


def _view(name: str):
    action = ACTIONS[name]
    return _confirm(action) if request.method == "POST" else _page(action)


@bp.route("/recommendations/bulk/confirm-links", methods=["GET", "POST"])
@role_required("methodology")
def bulk_confirm_links():
    return _view("confirm_links")


@bp.route("/recommendations/bulk/assign", methods=["GET", "POST"])
@role_required("policy")
def bulk_assign():
    return _view("assign")


@bp.route("/recommendations/bulk/draft", methods=["GET", "POST"])
@role_required("approver")
def bulk_draft():
    return _view("draft")


@bp.route("/recommendations/bulk/approve", methods=["GET", "POST"])
@role_required("approver")
def bulk_approve():
    return _view("approve")


@bp.route("/recommendations/bulk/publish", methods=["GET", "POST"])
@role_required("approver")
def bulk_publish():
    return _view("publish")


@bp.route("/recommendations/answer-templates", methods=["GET", "POST"])
@login_required
def answer_templates():
    """The answer templates (every role reads them; approvers add them)."""
    if request.method == "POST" and g.user.role != "approver":
        abort(403)
    form = AnswerTemplateForm()

    def render(code, conflict=None, error=None):
        errors = error_list(form) + ([{"text": error, "href": "#name"}] if error else [])
        return render_template("staff/recommendations/answer_templates.html", form=form, errors=errors,
                               templates=all_templates(db.session)), code

    if request.method == "GET":
        return render(200)
    outcome = apply_edit(form, lambda: add_template(db.session, form.name.data, form.outcome.data,
                                                    form.public_rationale.data, g.user.id), render)
    if outcome.refused:
        return outcome.page
    flash(f"Answer template \"{outcome.result.name}\" added. Choose it when drafting decisions in bulk.")
    return redirect(url_for(".answer_templates"))
