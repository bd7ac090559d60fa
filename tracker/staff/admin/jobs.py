"""Admin: jobs that run in the background, started here: looking for duplicates again, and
importing a survey export; each with a page that shows its progress and its result.

The request only checks what was asked, records the job and starts its process
(``tracker.jobs.background``): nothing here does the long work itself.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from consultations.models import Consultation, ImportRun
from tracker.db import db
from tracker.jobs import background, survey_upload
from tracker.jobs.background import JobRefused
from tracker.jobs.survey_upload import UploadRefused
from tracker.staff.admin.forms import DuplicatesForm, SurveyStartForm, SurveyUploadForm
from tracker.staff.admin.views import bp
from tracker.web.roles import role_required

RECENT_JOBS = 30
FAILURES_SHOWN = 200
STATUS_WORDS = {"queued": "Waiting to start", "running": "Running", "finished": "Finished",
                "interrupted": "Stopped before finishing", "failed": "Stopped with a problem"}
KIND_WORDS = {"duplicates": "Looking for campaigns and near-duplicates", "survey": "Survey import",
              "recommendations": "Recommendations import"}


def _consultation_choices(every: str | None = None) -> list[tuple[str, str]]:
    rows = db.session.execute(select(Consultation.slug, Consultation.title).order_by(Consultation.title)).all()
    return ([("", every)] if every else [("", "Select a consultation")]) + [(slug, title) for slug, title in rows]


def _started_by() -> str:
    return g.user.name or g.user.email


@bp.route("/admin/jobs")
@role_required("admin")
def jobs():
    """The latest jobs, newest first, with links to start one."""
    runs = list(db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(RECENT_JOBS)))
    for run in runs:
        if run.status in background.ACTIVE:
            background.settle(db.session, run)
    db.session.commit()
    return render_template("staff/admin/jobs.html", runs=runs, status_words=STATUS_WORDS, kind_words=KIND_WORDS)


@bp.route("/admin/jobs/duplicates", methods=["GET", "POST"])
@role_required("admin")
def start_duplicates():
    """Look again for campaigns and near-duplicate recommendations, as a background job."""
    form = DuplicatesForm()
    form.consultation.choices = _consultation_choices(every="Every consultation, one after another")
    if request.method == "GET":
        form.consultation.data = request.args.get("consultation", "")  # from a consultation's duplicates page
    running = background.active_run(db.session, "duplicates")
    db.session.commit()  # a dead job just marked interrupted
    refused = None
    if request.method == "POST" and form.validate_on_submit():
        slug = form.consultation.data or None
        if slug and not db.session.scalar(select(Consultation.id).where(Consultation.slug == slug)):
            form.consultation.errors.append("Select a consultation from the list")
        else:
            try:
                run = background.create(db.session, "duplicates", source=slug or "every consultation",
                                        options={"consultation": slug, "started_by": _started_by()})
            except JobRefused as error:
                refused, running = str(error), error.running
            else:
                background.launch(run)
                return redirect(url_for("admin.job", run_id=run.id))
    code = 409 if refused else 400 if form.errors else 200
    return render_template("staff/admin/duplicates_start.html", form=form, running=running, refused=refused), code


@bp.route("/admin/jobs/survey-import", methods=["GET", "POST"])
@role_required("admin")
def survey_import():
    """Step 1: choose the consultation and upload the export; its columns are matched and shown."""
    form = SurveyUploadForm()
    form.consultation.choices = _consultation_choices()
    if request.method == "POST" and form.validate_on_submit():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == form.consultation.data))
        if consultation is None:
            form.consultation.errors.append("Select a consultation from the list")
        else:
            try:
                prepared = survey_upload.prepare(db.session, consultation, form.file.data, form.mapping.data,
                                                 create_questions=form.create_questions.data)
            except UploadRefused as error:
                getattr(form, error.field if error.field in ("file", "mapping") else "file").errors.append(str(error))
            else:
                db.session.rollback()  # reading the questions changed nothing
                return render_template("staff/admin/survey_confirm.html", prepared=prepared, consultation=consultation,
                                       form=SurveyStartForm(token=prepared.token),
                                       running=background.active_run(db.session, "survey"))
    db.session.rollback()
    return render_template("staff/admin/survey_upload.html", form=form,
                           running=background.active_run(db.session, "survey")), 400 if form.errors else 200


@bp.route("/admin/jobs/survey-import/start", methods=["POST"])
@role_required("admin")
def survey_import_start():
    """Step 2: the mapping is confirmed: start the import."""
    form = SurveyStartForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("action") == "cancel":
        try:
            survey_upload.cancel(form.token.data)
        except UploadRefused:
            pass
        flash("Nothing was imported.")
        return redirect(url_for("admin.survey_import"))
    try:
        run = survey_upload.start(db.session, form.token.data, _started_by())
    except (UploadRefused, JobRefused) as error:
        running = error.running if isinstance(error, JobRefused) else None
        return render_template("staff/admin/survey_refused.html", message=str(error), running=running,
                               form=form if isinstance(error, JobRefused) else None), 409
    return redirect(url_for("admin.job", run_id=run.id))


@bp.route("/admin/jobs/<id:run_id>")
@role_required("admin")
def job(run_id: int):
    """A job's progress while it runs (the page refreshes itself), then its result."""
    run = db.get_or_404(ImportRun, run_id)
    if run.status in background.ACTIVE:
        background.settle(db.session, run)
        db.session.commit()
    options = run.options or {}
    # an import marks its run finished before it updates the search index and writes its result
    active = run.status in background.ACTIVE or (run.status == "finished" and "result" not in options
                                                 and options.get("from_browser"))
    progress = _progress(run, options)
    consultation = None
    if options.get("consultation"):
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == options["consultation"]))
    failures = list(run.failures or [])
    return render_template("staff/admin/job.html", run=run, options=options, active=active, progress=progress,
                           consultation=consultation, failures=failures[:FAILURES_SHOWN],
                           more_failures=max(0, len(failures) - FAILURES_SHOWN),
                           status_words=STATUS_WORDS, kind_words=KIND_WORDS)


def _progress(run: ImportRun, options: dict) -> dict | None:
    """What to say about how far the job has got: a step in words, done and total."""
    if run.kind == "survey":
        total = int(options.get("total") or 0)
        done = run.imported + run.skipped + run.failed
        if run.status == "finished" and "result" not in options:
            return {"stage": "Updating search", "done": 0, "total": 0}
        return {"stage": "Importing rows", "done": min(done, total) if total else done, "total": total,
                "unit": "rows"}
    stage = options.get("progress")
    return dict(stage, unit="") if stage else None
