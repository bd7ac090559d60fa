"""Putting a response's recommendations in order: splitting one, merging several, marking
duplicates, moving, deleting and restoring. Each refusal is shown where the change was
asked for: on the recommendation's page (``on_hub``) or the response's (``press_button``).
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import func, select
from wtforms import Field

from consultations import published
from consultations import triage as service
from consultations.models import Recommendation
from consultations.triage import TriageError
from consultations.workflow import Decision

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.common import confirm_public_removal, live_recommendation, plural
from tracker.staff.triage.forms import WORD, DuplicateForm, MergeForm, SplitForm
from tracker.staff.triage.recommendations import edit_page, on_hub, split_choices
from tracker.staff.triage.responses import press_button
from tracker.web.editing import add_error
from tracker.web.ids import parse_id
from tracker.web.roles import return_to


def published_ids(response_id: int) -> set[int]:
    """Recommendations of a response whose keys have been seen in public: their group's decision
    was published (even if it has since been deleted). Their keys never change."""
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    return set(db.session.scalars(
        select(Recommendation.id).join(Decision, Decision.recommendation_id == primary)
        .where(Recommendation.response_id == response_id, Decision.published_at.is_not(None))
    ))


def _chosen_point(form: SplitForm) -> tuple[int | None, Field, str | None]:
    """The offset the split form chose, or the field to blame and what to do."""
    radios = bool(form.point.choices)
    raw = (form.point.data or "") if radios else WORD
    if not raw:
        return None, form.point, "Choose where the second part starts"
    if raw == WORD:
        raw = form.word.data or ""
        if not raw:
            return None, form.word, "Choose the word the second part starts with"
    field = form.point if radios else form.word
    if not raw.isdigit() or len(raw) > 9:
        return None, field, "Choose one of the points offered. Reload the page if the text has changed"
    return int(raw), field, None


@bp.route("/recommendations/<id:rec_id>/split", methods=["POST"])
@policy_required
def split_recommendation(rec_id: int):
    """Split a recommendation at the point chosen in its text; each part keeps its own passage."""
    rec = live_recommendation(rec_id)
    old_key = rec.key
    form = SplitForm(prefix="split")
    split_choices(form, rec)
    point, field, problem = _chosen_point(form)
    if problem:
        form.validate()
        add_error(field, problem)
        return edit_page(rec, split=form, code=400)
    split, refusal = on_hub(
        rec, form, "split",
        lambda: service.split_recommendation(db.session, rec, point, published_ids(rec.response_id)),
        field,
    )
    if refusal:
        return refusal
    notes = "".join(f" The text of {part.key} is not in the response; "
                    + ("the original passage is kept as its source." if part.spans else
                       "no passage is highlighted for it.")
                    for part, found in ((split.first, split.first_found), (split.second, split.second_found))
                    if not found)
    flash(f"{old_key} was split into {split.first.key} and {split.second.key}.{notes}")
    return redirect(url_for("triage.manage", response_id=rec.response_id))


@bp.route("/recommendations/<id:rec_id>/merge", methods=["POST"])
@policy_required
def merge_recommendations(rec_id: int):
    rec = live_recommendation(rec_id)
    form = MergeForm(prefix="merge")
    form.others.choices = None  # checked below: the service refuses anything not of this response
    form.others.validate_choice = False
    others: list[Recommendation] = []

    def merge():
        if not form.others.data:
            raise TriageError(f"Choose at least one recommendation to merge into {rec.key}.")
        found = db.session.scalars(select(Recommendation).where(Recommendation.id.in_(form.others.data))).all()
        if len(found) != len(set(form.others.data)):
            raise TriageError("Some of the chosen recommendations no longer exist. Reload the page and choose again.")
        service.refuse_if_decided(db.session, found)
        others.extend(found)
        return service.merge_recommendations(db.session, rec, found)

    keep, refusal = on_hub(rec, form, "merge", merge, form.others)
    if refusal:
        return refusal
    keys = ", ".join(o.key for o in others)
    flash(f"{keys} {'was' if len(others) == 1 else 'were'} merged into {keep.key}.")
    return redirect(url_for("triage.edit_recommendation", rec_id=keep.id))


@bp.route("/recommendations/<id:rec_id>/duplicate", methods=["POST"])
@policy_required
def mark_duplicate(rec_id: int):
    rec = live_recommendation(rec_id)
    form = DuplicateForm(prefix="duplicate")
    form.target.validate_choice = False  # the choices shown depend on a search; the service checks

    def mark():
        raw = (form.target_id.data or "").strip().lstrip("#") or (form.target.data or "")
        if not raw:
            raise TriageError("Choose the recommendation this one duplicates, or enter its reference number.")
        target_id = parse_id(raw)
        if target_id is None:
            raise TriageError("The reference number must be a number, for example 42.")
        service.refuse_if_decided(db.session, [rec])
        return service.mark_duplicate(db.session, rec, db.session.get(Recommendation, target_id))

    primary, refusal = on_hub(rec, form, "duplicate", mark, form.target)
    if refusal:
        return refusal
    flash(f"{rec.key} is now marked as a duplicate of {primary.key} from {primary.response.respondent.name}.")
    return redirect(url_for("triage.edit_recommendation", rec_id=rec.id))


def _simple_change(rec_id: int, change, message):
    """A button press (move, clear, delete, restore): do it, or say why not on the management page."""
    rec = live_recommendation(rec_id)
    response_id = rec.response_id
    outcome = press_button(response_id, lambda: change(rec), f"rec-{rec_id}")
    if outcome.refused:
        return outcome.page
    flash(message(rec, outcome.result))
    return redirect(return_to(url_for("triage.manage", response_id=response_id)))


@bp.route("/recommendations/<id:rec_id>/move", methods=["POST"])
@policy_required
def move_recommendation(rec_id: int):
    direction = request.form.get("direction", "")
    return _simple_change(
        rec_id,
        lambda rec: service.move_recommendation(db.session, rec, direction),
        lambda rec, neighbour: f"{rec.key} moved {direction}, {'above' if direction == 'up' else 'below'} {neighbour.key}.",
    )


@bp.route("/recommendations/<id:rec_id>/duplicate/clear", methods=["POST"])
@policy_required
def clear_duplicate(rec_id: int):
    return _simple_change(
        rec_id,
        lambda rec: service.clear_duplicate(rec),
        lambda rec, _: f"{rec.key} is no longer marked as a duplicate.",
    )


@bp.route("/recommendations/<id:rec_id>/delete", methods=["POST"])
@policy_required
def delete_recommendation(rec_id: int):
    def message(rec, deleted):
        also = f" with its {plural(len(deleted) - 1, 'sub-point')}" if len(deleted) > 1 else ""
        return f"{rec.key} was deleted{also}. It can be restored from this page."

    rec = live_recommendation(rec_id)
    if rec.deleted_at is None:
        confirm = confirm_public_removal(
            published.public_ids_that_would_go(db.session, recommendation_id=rec.id),
            what=f"Delete recommendation {rec.key}", action=url_for("triage.delete_recommendation", rec_id=rec_id),
            fields={}, cancel=url_for("triage.manage", response_id=rec.response_id))
        if confirm:
            return confirm
    return _simple_change(rec_id, lambda rec: service.delete_recommendation(db.session, rec), message)


@bp.route("/recommendations/<id:rec_id>/restore", methods=["POST"])
@policy_required
def restore_recommendation(rec_id: int):
    def message(rec, restored):
        also = f" with its {plural(len(restored) - 1, 'sub-point')}" if len(restored) > 1 else ""
        return f"{rec.key} was restored{also}."

    return _simple_change(rec_id, lambda rec: service.restore_recommendation(db.session, rec), message)

