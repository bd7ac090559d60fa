"""A response's recommendations one by one: adding one that extraction missed, correcting
one's text and question, and each one's page of every change (``edit_page``: edit, split,
merge, mark as duplicate, delete, restore; the changes other than editing are in
``corrections``, through ``on_hub``)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, selectinload
from wtforms.fields.choices import SelectChoice

from consultations import anchoring
from consultations import triage as service
from consultations.models import Question, Recommendation, Respondent, Response

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.common import live_recommendation, shorten
from tracker.web.loaders import live_response
from tracker.staff.triage.forms import (
    WORD,
    AddRecommendationForm,
    DuplicateForm,
    MergeForm,
    RecommendationForm,
    SplitForm,
)
from tracker.web.editing import EditOutcome, StaleEdit, apply_edit
from tracker.web.forms import error_list, options
from tracker.web.roles import is_safe_next, return_to
from tracker.web.text import highlight_paragraphs, text_blocks

DUPLICATE_CHOICES = 100  # candidates listed in the duplicate select; a search narrows them


def _question_choices(consultation_id: int) -> list[SelectChoice]:
    questions = db.session.scalars(
        select(Question).where(Question.consultation_id == consultation_id).order_by(Question.position, Question.id)
    ).all()
    return options([("", "Not set"), *((q.id, f"{q.number}. {shorten(q.text, 90)}") for q in questions)])


def _question(field) -> Question | None:
    return db.session.get(Question, int(field.data)) if field.data else None


def _add_choices(form: AddRecommendationForm, response: Response) -> AddRecommendationForm:
    tops = [r for r in response.recommendations if r.parent_id is None and r.deleted_at is None]
    form.parent.choices = options([("", "None: a new top-level recommendation"),
                                   *((r.id, f"{r.key}: {shorten(r.text, 80)}") for r in tops)])
    form.question.choices = _question_choices(response.consultation_id)
    return form


def add_from_text_form(response: Response) -> AddRecommendationForm:
    """The add form the response page shows policy staff under the response text."""
    form = AddRecommendationForm(formdata=None, data={
        "return_to": url_for("browse.response", response_id=response.id)})
    return _add_choices(form, response)


def _anchor_note(rec: Recommendation, selected: bool) -> str:
    """What to tell staff when a recommendation's text is not its passage's."""
    if not rec.spans:
        return (" Its text is not in the response, so no passage is highlighted for it: to anchor it, "
                "select its passage in the response text.")
    if not anchoring.traced(rec.response.text or "", rec.text, rec.spans):
        source = "the passage you selected" if selected else "the original passage"
        return f" This text is not in the response; {source} is kept as its source."
    return ""


@bp.route("/responses/<id:response_id>/recommendations/new", methods=["GET", "POST"])
@policy_required
def add_recommendation(response_id: int):
    """Add a recommendation (or a sub-point) that extraction missed: from a passage selected in
    the response text, or from typed text, which is anchored where it occurs."""
    response = live_response(response_id, selectinload(Response.respondent),
                             selectinload(Response.consultation), selectinload(Response.recommendations))
    manage_url = url_for("triage.manage", response_id=response_id)
    form = _add_choices(AddRecommendationForm(), response)

    def page(code: int = 200, conflict=None):
        paragraphs = text_blocks(highlight_paragraphs(response.text or "", {
            r.key: r.spans for r in response.recommendations if r.deleted_at is None}))
        return render_template("staff/triage/add.html", response=response, form=form, errors=error_list(form),
                               paragraphs=paragraphs), code

    if request.method == "GET":
        form.return_to.data = return_to(manage_url)
        return page()

    def add():
        """The new recommendation's key and what to say about its passage (read before the commit)."""
        parent = db.session.get(Recommendation, int(form.parent.data)) if form.parent.data else None
        span = anchoring.parse_selection(form.start.data, form.end.data, response.text or "")
        rec = service.add_recommendation(db.session, response, form.text.data, parent, _question(form.question), span)
        return rec.key, _anchor_note(rec, selected=span is not None)

    outcome = apply_edit(form, add, page, error_field=form.text)  # TriageError and AnchoringError refuse
    if outcome.refused:
        return outcome.page
    key, note = outcome.result
    flash(f"Recommendation {key} was added.{note}")
    target = form.return_to.data if is_safe_next(form.return_to.data) else manage_url
    if urlsplit(target).path == url_for("browse.response", response_id=response_id):
        target = f"{target}#rec-{key}"
    return redirect(target)


def edit_page(rec: Recommendation, edit=None, split=None, merge=None, duplicate=None,
               conflict: StaleEdit | None = None, code: int = 200):
    """The recommendation's hub: edit, split, merge, mark as duplicate, delete or restore.

    The form that was submitted keeps its input and errors; the others start fresh.
    """
    response = rec.response
    version = rec.version_id
    if edit is None:
        edit = RecommendationForm(formdata=None, data={"text": rec.text, "version": version,
                                                        "question": str(rec.question_id or "")})
    edit.question.choices = _question_choices(response.consultation_id)
    if split is None:
        split = SplitForm(formdata=None, prefix="split", data={"version": version})
    split_items = split_choices(split, rec)
    document = response.text or ""
    sources = [document[start:end] for start, end in anchoring.valid_spans(rec.spans, len(document))]
    siblings = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.response_id == response.id,
               Recommendation.id != rec.id)
        .order_by(Recommendation.sequence, Recommendation.id)
    ).all()
    if merge is None:
        merge = MergeForm(formdata=None, prefix="merge", data={"version": version})
    merge.others.choices = options((r.id, f"{r.key}: {shorten(r.text, 150)}") for r in siblings)
    if duplicate is None:
        duplicate = DuplicateForm(formdata=None, prefix="duplicate", data={"version": version})
    find = (request.args.get("find") or "").strip()
    candidates_query = (
        select(Recommendation)
        .join(Recommendation.response)
        .join(Response.respondent)
        .where(Response.consultation_id == response.consultation_id,
               Recommendation.id != rec.id)
        .options(contains_eager(Recommendation.response).contains_eager(Response.respondent))
        .order_by(Respondent.name, Response.id, Recommendation.sequence)
        .limit(DUPLICATE_CHOICES + 1)
    )
    if find:
        pattern = f"%{find}%"
        candidates_query = candidates_query.where(
            or_(Recommendation.text.ilike(pattern), Recommendation.key.ilike(pattern), Respondent.name.ilike(pattern))
        )
    candidates = db.session.scalars(candidates_query).all()
    duplicate.target.choices = options([("", "Choose a recommendation"), *(
        (r.id, f"{r.key} from {r.response.respondent.name}"
               f"{' (this response)' if r.response_id == response.id else ''}: {shorten(r.text, 70)}")
        for r in candidates[:DUPLICATE_CHOICES]
    )])
    duplicates = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.duplicate_of_id == rec.id)
        .options(selectinload(Recommendation.response).selectinload(Response.respondent))
        .order_by(Recommendation.id)
    ).all()
    return render_template(
        "staff/triage/edit.html",
        rec=rec,
        response=response,
        edit=edit,
        split=split,
        merge=merge,
        duplicate=duplicate,
        find=find,
        more_candidates=len(candidates) > DUPLICATE_CHOICES,
        duplicates=duplicates,
        conflict=conflict,
        errors=error_list(edit, split, merge, duplicate) if code != 409 else [],
        split_items=split_items,
        sources=sources,
        traced=anchoring.traced(document, rec.text, rec.spans),
    ), code


SPLIT_KINDS = {"sentence": "a new sentence starts", "clause": "after a semicolon or colon",
               "item": "a new list item starts"}


def split_choices(form: SplitForm, rec: Recommendation) -> list[dict]:
    """Offer every point between two words of the text: sentence, clause and list-item
    boundaries as radios, any word in the select. Returns the radios' hints."""
    points = anchoring.split_points(rec.text or "")
    major = [p for p in points if p.kind != "word"]
    form.point.choices = options([*((p.offset, f"Before “{p.after}”") for p in major),
                                  *([(WORD, "Before another word, chosen below")] if major else [])])
    form.word.choices = options([("", "Choose a word"), *((p.offset, p.label) for p in points)])
    return [{"hint": {"text": f"After “{p.before}”: {SPLIT_KINDS[p.kind]}"}} for p in major] + (
        [{"hint": {"text": "Choose the word in the list, or click the text above where the second part starts"}}]
        if major else [])


@bp.route("/recommendations/<id:rec_id>/edit", methods=["GET", "POST"])
@policy_required
def edit_recommendation(rec_id: int):
    """Correct a recommendation's text and question; the hub for every other change to it."""
    rec = live_recommendation(rec_id)
    if request.method == "GET":
        return edit_page(rec)
    form = RecommendationForm()
    form.question.choices = _question_choices(rec.response.consultation_id)
    found, refusal = on_hub(rec, form, "edit",
                            lambda: service.edit_recommendation(rec, form.text.data, _question(form.question)),
                            form.text)
    if refusal:
        return refusal
    if found:
        flash(f"Recommendation {rec.key} was saved.")
    elif rec.spans:
        flash(f"Recommendation {rec.key} was saved. This text is not in the response; the original passage "
              "is kept as its source.")
    else:
        flash(f"Recommendation {rec.key} was saved. This text is not in the response, so no passage is "
              "highlighted for it.")
    return redirect(url_for("triage.manage", response_id=rec.response_id))


def on_hub(rec: Recommendation, form, name: str, change, error_field) -> EditOutcome:
    """``change`` to ``rec`` through the one edit flow; refused, the hub page shows ``form``
    (passed to ``edit_page`` as ``name``) with why not."""
    return apply_edit(form, change,
                      lambda code, conflict: edit_page(rec, **{name: form}, conflict=conflict, code=code),
                      current=rec, error_field=error_field)


