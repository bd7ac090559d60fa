"""Admin: the controlled list of organisation types (add, rename, reorder, stop offering).

The rules (unique names, a public name that reads in a sentence, positions) are in
``consultations.organisation_types``; these views only show the forms and commit through
``apply_edit``, so a change made over someone else's is refused with what changed meanwhile.
A type is never deleted: respondents keep it, and it stays in the filters.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from consultations import organisation_types as types
from consultations.models import OrganisationType, Respondent
from tracker.db import db
from tracker.staff.admin.forms import EditOrganisationTypeForm, OrganisationTypeForm
from tracker.staff.admin.views import bp
from tracker.web.editing import apply_edit, apply_state_change
from tracker.web.forms import EditForm
from tracker.web.roles import role_required

MOVES = {"up": -1, "down": 1}


@bp.route("/admin/organisation-types")
@role_required("admin")
def organisation_types():
    return _render_list()


def _render_list(status: int = 200, conflict=None, problem: str | None = None):
    """Every type in list order with how many respondents have it (two queries)."""
    in_use = dict(db.session.execute(
        select(Respondent.organisation_type_id, func.count()).where(Respondent.organisation_type_id.is_not(None))
        .group_by(Respondent.organisation_type_id)).all())
    return render_template("staff/admin/organisation_types.html", types=types.listed(db.session), in_use=in_use,
                           conflict=conflict, problem=problem, version_form=EditForm), status


def _values(form: OrganisationTypeForm) -> dict:
    return {"name": form.name.data, "public_name": form.public_name.data, "active": form.active.data == "yes"}


@bp.route("/admin/organisation-types/new", methods=["GET", "POST"])
@role_required("admin")
def new_organisation_type():
    form = OrganisationTypeForm()
    if request.method == "GET":
        return _render_form(form, None)
    outcome = apply_edit(form, lambda: types.save(db.session, None, **_values(form)),
                         lambda code, conflict: _render_form(form, None, code=code), error_field=form.name)
    if outcome.refused:
        return outcome.page
    flash(f"The organisation type “{outcome.result.name}” has been added at the end of the list.")
    return redirect(url_for("admin.organisation_types"))


@bp.route("/admin/organisation-types/<id:type_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_organisation_type(type_id: int):
    organisation_type = db.get_or_404(OrganisationType, type_id)
    if request.method == "GET":
        form = EditOrganisationTypeForm(data={
            "name": organisation_type.name, "public_name": organisation_type.public_name,
            "active": "yes" if organisation_type.active else "no", "version": organisation_type.version_id})
        return _render_form(form, organisation_type)
    form = EditOrganisationTypeForm()
    outcome = apply_edit(form, lambda: types.save(db.session, organisation_type, **_values(form)),
                         lambda code, conflict: _render_form(form, organisation_type, conflict, code),
                         current=organisation_type, error_field=form.name)
    if outcome.refused:
        return outcome.page
    flash(f"The changes to the organisation type “{organisation_type.name}” have been saved.")
    return redirect(url_for("admin.organisation_types"))


@bp.route("/admin/organisation-types/<id:type_id>/move/<direction>", methods=["POST"])
@role_required("admin")
def move_organisation_type(type_id: int, direction: str):
    """One place up or down the list, as lists and filters show it."""
    organisation_type = db.get_or_404(OrganisationType, type_id)
    step = MOVES.get(direction)
    if step is None:
        return _render_list(404, problem="Organisation types move up or down only.")
    return apply_state_change(
        organisation_type, lambda: types.move(db.session, organisation_type, step),
        lambda status, conflict, problem: _render_list(status, conflict, problem),
        done=f"“{organisation_type.name}” has moved {direction} the list.", then=url_for("admin.organisation_types"))


@bp.route("/admin/organisation-types/defaults", methods=["POST"])
@role_required("admin")
def add_default_organisation_types():
    """Start an empty list with the defaults (a new installation normally has them from its migration)."""
    added = types.ensure_defaults(db.session)
    db.session.commit()
    flash(f"{len(added)} organisation types have been added." if added else "The list already has organisation types.")
    return redirect(url_for("admin.organisation_types"))


def _render_form(form, organisation_type: OrganisationType | None, conflict=None, code=200):
    respondents = (db.session.scalar(select(func.count()).select_from(Respondent)
                                     .where(Respondent.organisation_type_id == organisation_type.id))
                   if organisation_type else 0)
    return render_template("staff/admin/organisation_type_form.html", form=form, organisation_type=organisation_type,
                           respondents=respondents, conflict=conflict), code
