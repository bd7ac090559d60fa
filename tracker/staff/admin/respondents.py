"""Admin: respondents' personal data on request: find a respondent, download everything held
about them (access request: JSON and the original files, as a ZIP), and anonymise or erase them
(the rules are in ``consultations.personal_data``). The audit log records the request, never the
erased values; afterwards both search indexes are rebuilt so no index file keeps them."""
from __future__ import annotations

import re

from flask import Response as FlaskResponse, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from consultations import personal_data
from consultations.models import Respondent, Response
from consultations.soft_delete import WITH_DELETED
from tracker.db import db
from tracker.staff.admin.forms import ErasureForm
from tracker.staff.admin.views import bp
from tracker.web.editing import apply_edit
from tracker.web.roles import role_required

PER_PAGE = 50


@bp.route("/admin/respondents")
@role_required("admin")
def respondents():
    """Respondents whose name or contact details contain the words searched for."""
    wanted = (request.args.get("q") or "").strip()[:200]
    found = []
    if wanted:
        like = f"%{wanted.lower()}%"
        found = db.session.scalars(
            select(Respondent).where(func.lower(Respondent.name).like(like)
                                     | func.lower(func.coalesce(Respondent.contact_details, "")).like(like))
            .order_by(Respondent.name, Respondent.id).limit(PER_PAGE)).all()
    return render_template("staff/admin/respondents.html", wanted=wanted, found=found, limit=PER_PAGE)


def _page(respondent: Respondent, form: ErasureForm, status: int = 200):
    responses = db.session.scalars(select(Response).where(Response.respondent_id == respondent.id)
                                   .order_by(Response.id), execution_options=WITH_DELETED).all()
    return render_template("staff/admin/respondent.html", respondent=respondent, responses=responses, form=form,
                           errors=[{"text": e, "href": f"#{name}"} for name, errs in form.errors.items()
                                   for e in errs][:3]), status


@bp.route("/admin/respondents/<id:respondent_id>")
@role_required("admin")
def respondent(respondent_id: int):
    return _page(db.get_or_404(Respondent, respondent_id), ErasureForm(formdata=None))


@bp.route("/admin/respondents/<id:respondent_id>/export.zip")
@role_required("admin")
def export_respondent(respondent_id: int):
    """The access-request download: respondent.json and the original files."""
    item = db.get_or_404(Respondent, respondent_id)
    body = personal_data.export_zip(db.session, item)
    name = re.sub(r"[^A-Za-z0-9-]+", "-", f"respondent-{item.id}").strip("-")
    return FlaskResponse(body, mimetype="application/zip",
                         headers={"Content-Disposition": f'attachment; filename="{name}.zip"'})


@bp.route("/admin/respondents/<id:respondent_id>/erase", methods=["POST"])
@role_required("admin")
def erase_respondent(respondent_id: int):
    """Anonymise or erase one respondent on request, then rebuild the search indexes."""
    item = db.get_or_404(Respondent, respondent_id)
    form = ErasureForm()
    erase = form.what.data == "erase"
    outcome = apply_edit(form, lambda: personal_data.anonymise(db.session, item, reason=form.reference.data,
                                                               erase=erase),
                         lambda code, conflict=None: _page(item, form, code), error_field=form.reference)
    if outcome.refused:
        return outcome.page
    from tracker.commands.retention import refresh_search_indexes

    refresh_search_indexes()
    flash(f"Respondent {item.id} is {'erased' if erase else 'anonymised'}: "
          + ", ".join(outcome.result.changed) + ". The audit log records the request, not the values.")
    return redirect(url_for("admin.respondent", respondent_id=item.id))
