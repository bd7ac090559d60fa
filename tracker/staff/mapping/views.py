"""Mapping: link recommendations to framework items (standards and strategic objectives).

Every staff role can read these pages; only ``methodology`` changes links. This module holds
the blueprint and a recommendation's links page: links grouped by status, its unresolved
references and ranked suggestions (``consultations.suggest``), with the forms that confirm,
reject, accept a suggestion or add an item by code (the services are in
``consultations.linking``). ``coverage`` holds the framework item page and the coverage matrix.
"""
from __future__ import annotations

from functools import cached_property

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consultations import linking
from consultations.frameworks import current_items, frameworks_for
from consultations.models import Framework, FrameworkItem, Link, Recommendation, Response
from consultations.suggest import DEFAULT_LIMIT, SuggestionIndex
from consultations.workflow import User
from tracker.db import db
from tracker.web.loaders import one_or_404
from tracker.staff.mapping.forms import AddLinkForm, LinkStatusForm, SuggestionForm
from tracker.web.editing import StaleEdit, apply_edit
from tracker.web.roles import login_required, role_required

bp = Blueprint("mapping", __name__)

EDIT_ROLES = ("methodology",)
LINK_STATUS_ORDER = ("confirmed", "proposed", "rejected")


def _load_recommendation(rec_id: int) -> Recommendation:
    """The recommendation, deleted or not (its links page says it was deleted); 404 when its
    response is deleted."""
    rec = one_or_404(
        select(Recommendation)
        .where(Recommendation.id == rec_id)
        .options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation),
            selectinload(Recommendation.parent),
            selectinload(Recommendation.links).selectinload(Link.item).selectinload(FrameworkItem.framework),
        ),
        include_deleted=True,
    )
    if rec.response.deleted_at is not None:
        abort(404)
    return rec


def _ignore_words(rec: Recommendation) -> list[str]:
    """Names that say nothing about a recommendation's topic: who consulted, who responded."""
    return [rec.response.consultation.body or "", rec.response.respondent.name or ""]


class LinksPage:
    """A recommendation with the current framework items and their index, loaded when needed."""

    def __init__(self, rec: Recommendation):
        self.rec = rec

    @cached_property
    def items(self) -> list[FrameworkItem]:
        # Hold the current frameworks while their items are in use: the session's identity map
        # keeps objects only while something refers to them, and item.framework looks there
        # before it queries.
        self.frameworks = frameworks_for(db.session)
        return current_items(db.session)

    @cached_property
    def framework_choices(self) -> list[Framework]:
        with_items = {item.framework_id for item in self.items}
        return sorted((f for f in self.frameworks if f.id in with_items), key=lambda f: (f.name, f.version, f.id))

    @cached_property
    def index(self) -> SuggestionIndex:
        return SuggestionIndex(self.items)


def _links_context(rec: Recommendation) -> LinksPage:
    return LinksPage(rec)


def _render_links(
    page: LinksPage,
    *,
    add_form: AddLinkForm | None = None,
    conflict: StaleEdit | None = None,
    error: str | None = None,
    status: int = 200,
):
    rec = page.rec
    groups = {state: [] for state in LINK_STATUS_ORDER}
    for link in sorted(rec.links, key=lambda link: (link.item.framework.name, link.item.position, link.item.code)):
        groups.setdefault(link.status, []).append(link)
    confirmers = {link.confirmed_by_id for link in rec.links if link.confirmed_by_id}
    users = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(confirmers)))}
        if confirmers
        else {}
    )
    suggestions = page.index.suggest(
        rec.text,
        exclude=[link.item_id for link in rec.links],
        limit=DEFAULT_LIMIT,
        ignore_words=_ignore_words(rec),
    )
    frameworks = page.framework_choices
    if add_form is None:
        add_form = AddLinkForm(formdata=None).set_frameworks(frameworks)
    editable = rec.deleted_at is None and g.user is not None and g.user.role in EDIT_ROLES
    return (
        render_template(
            "staff/mapping/links.html",
            rec=rec,
            groups=groups,
            users=users,
            suggestions=suggestions,
            add_form=add_form,
            conflict=conflict,
            error=error,
            editable=editable,
            multiple_frameworks=len(frameworks) > 1,
        ),
        status,
    )


@bp.route("/recommendations/<id:rec_id>/links")
@login_required
def links(rec_id: int):
    """A recommendation's links, unresolved references and suggestions."""
    rec = _load_recommendation(rec_id)
    return _render_links(_links_context(rec))


def _refuse_if_deleted(page: LinksPage):
    if page.rec.deleted_at is not None:
        return _render_links(
            page,
            error=f"Recommendation {page.rec.key} has been deleted. Restore it before changing its links.",
            status=409,
        )
    return None


def _back_to_links(rec: Recommendation):
    return redirect(url_for("mapping.links", rec_id=rec.id))


def _rerender(rec_id: int, incomplete: str | None = None, **kwargs):
    """``apply_edit``'s page for this recommendation, loaded afresh (a rollback expired it)."""

    def render(code: int, conflict: StaleEdit | None, error: str | None = None):
        if code == 400 and error is None:
            error = incomplete
        page = _links_context(_load_recommendation(rec_id))
        return _render_links(page, conflict=conflict, error=error, status=code, **kwargs)

    return render


def _linked_at_the_same_moment(rec_id: int):
    """The unique constraint caught a link someone else made meanwhile: a conflict, not an error."""
    db.session.rollback()
    return _render_links(
        _links_context(_load_recommendation(rec_id)),
        error="Someone linked the same item at the same moment. Nothing was added twice: check the links below.",
        status=409,
    )


def _change_status(link_id: int, new_status: str):
    link = db.get_or_404(Link, link_id)
    rec = _load_recommendation(link.recommendation_id)
    form = LinkStatusForm()
    if not form.validate_on_submit():
        return _render_links(_links_context(rec), error="The form was incomplete: reload the page and try again.",
                             status=400)
    refused = _refuse_if_deleted(_links_context(rec))
    if refused:
        return refused
    edit = apply_edit(
        form,
        lambda: linking.confirm(link, g.user.id) if new_status == "confirmed" else linking.reject(link),
        _rerender(rec.id), current=link, validate=False,
    )
    if edit.refused:
        return edit.page
    verb = "confirmed" if new_status == "confirmed" else "rejected"
    flash(f"The link from {rec.key} to {link.item.code} {'is' if edit.result else 'was already'} {verb}.")
    return _back_to_links(rec)


@bp.route("/links/<id:link_id>/confirm", methods=["POST"])
@role_required(*EDIT_ROLES)
def confirm_link(link_id: int):
    return _change_status(link_id, "confirmed")


@bp.route("/links/<id:link_id>/reject", methods=["POST"])
@role_required(*EDIT_ROLES)
def reject_link(link_id: int):
    return _change_status(link_id, "rejected")


@bp.route("/recommendations/<id:rec_id>/suggestions", methods=["POST"])
@role_required(*EDIT_ROLES)
def accept_suggestion(rec_id: int):
    """Accept a suggested item as a confirmed link (or, with action=reject, dismiss it).

    The score and matched words are computed again here, never taken from the form.
    """
    rec = _load_recommendation(rec_id)
    page = _links_context(rec)
    form = SuggestionForm()
    if not form.validate_on_submit():
        return _render_links(page, error="Choose a suggested item.", status=400)
    refused = _refuse_if_deleted(page)
    if refused:
        return refused
    suggestion = page.index.score(rec.text, form.item_id.data, ignore_words=_ignore_words(rec))
    if suggestion is None:
        return _render_links(
            page,
            error="That item is not in the current version of any framework. Reload the page for new suggestions.",
            status=400,
        )

    def decide():
        if form.action.data == "reject":
            linking.dismiss_suggestion(db.session, rec, suggestion)
            return f"{suggestion.item.code} will not be suggested for {rec.key} again."
        linking.accept_suggestion(db.session, rec, suggestion, g.user.id)
        return f"{rec.key} is linked to {suggestion.item.code}."

    try:
        edit = apply_edit(form, decide, _rerender(rec_id), validate=False)
    except IntegrityError:
        return _linked_at_the_same_moment(rec_id)
    if edit.refused:
        return edit.page
    flash(edit.result)
    return _back_to_links(rec)


@bp.route("/recommendations/<id:rec_id>/links", methods=["POST"])
@role_required(*EDIT_ROLES)
def add_link(rec_id: int):
    """Link an item by its code, confirmed; a rejected link to it is confirmed again."""
    rec = _load_recommendation(rec_id)
    page = _links_context(rec)
    form = AddLinkForm().set_frameworks(page.framework_choices)
    if not form.validate_on_submit():
        return _render_links(page, add_form=form, status=400)
    refused = _refuse_if_deleted(page)
    if refused:
        return refused

    def link_by_code():
        link, created = linking.add_by_code(
            db.session, rec, form.code.data, page.items, framework_id=form.framework_id(), user_id=g.user.id
        )
        return f"{rec.key} is {'linked' if created else 'linked again'} to {link.item.code} ({link.item.framework.name})."

    try:
        edit = apply_edit(form, link_by_code, _rerender(rec_id, add_form=form), error_field=form.code, validate=False)
    except IntegrityError:
        return _linked_at_the_same_moment(rec_id)
    if edit.refused:
        return edit.page
    flash(edit.result)
    return _back_to_links(rec)


from tracker.staff.mapping import coverage  # noqa: E402,F401  (registers its routes on bp)
