"""What the staff and public search pages share: the form, running a search, loading the hits.

Staff search covers everything; public search only published material.

The index returns ids in ranked order; rows are loaded from the database by id (one query
per kind of result, whatever the page size) and shown in that order.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SearchField, SelectChoice, SelectField

from consultations.models import FrameworkItem, Recommendation, Response
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput

from tracker.db import db
from tracker.web.forms import QueryForm
from consultations.workflow import Action, Decision
from tracker.web.paging import page_number
from consultations import published
from consultations.published import public_name
from tracker.indexing import indexes

FACETS = [
    ("kind", "Type"),
    ("consultation", "Consultation"),
    ("org_type", "Organisation type"),
    ("standard", "Standard"),
    ("outcome", "Decision outcome"),
    ("status", "Status"),
]
PAGE_SIZE = 20


class SearchForm(QueryForm):
    q = SearchField("Search", widget=GovTextInput())
    sort = SelectField("Sort by", choices=[SelectChoice("relevance", "Relevance"), SelectChoice("date", "Newest first")],
                       default="relevance", widget=GovSelect())


@dataclass
class Hit:
    kind: str
    obj: object
    snippet: Markup | None
    decision: Decision | None = None


def public_only(doc_ids: list[str]) -> list[str]:
    """Index ids the public may see now, by the rules of ``published.py``, in the same order: a
    public index that has drifted from the database (before `search check --repair`) can then
    show nothing it should not."""
    by_kind: dict[str, list[int]] = {}
    for doc_id in doc_ids:
        kind, _, number = doc_id.partition(":")
        by_kind.setdefault(kind, []).append(int(number))
    allowed = {
        "recommendation": published.public_recommendation_ids(db.session, by_kind.get("recommendation", [])),
        "decision": published.public_decision_ids(db.session, by_kind.get("decision", [])),
        "action": published.public_action_ids(db.session, by_kind.get("action", [])),
        "item": published.current_item_ids(db.session, by_kind.get("item", [])),
    }
    return [doc_id for doc_id in doc_ids
            if int(doc_id.partition(":")[2]) in allowed.get(doc_id.partition(":")[0], ())]


def load_hits(ids: list[str], highlights: dict[str, str]) -> list[Hit]:
    """The objects behind ranked index ids, in the same order; ids no longer in the database drop out."""
    wanted: dict[str, list[int]] = {}
    for doc_id in ids:
        kind, _, number = doc_id.partition(":")
        wanted.setdefault(kind, []).append(int(number))
    loaded: dict[str, dict[int, object]] = {}
    if rec_ids := wanted.get("recommendation"):
        recs = db.session.scalars(select(Recommendation).where(Recommendation.id.in_(rec_ids)).options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation))).all()
        loaded["recommendation"] = {r.id: r for r in recs}
        primary = {r.duplicate_of_id or r.id for r in recs}
        decisions = {d.recommendation_id: d for d in db.session.scalars(
            select(Decision).where(Decision.recommendation_id.in_(primary), Decision.deleted_at.is_(None)))}
        loaded["recommendation-decision"] = {r.id: decisions.get(r.duplicate_of_id or r.id) for r in recs}
    if response_ids := wanted.get("response"):
        loaded["response"] = {r.id: r for r in db.session.scalars(select(Response).where(
            Response.id.in_(response_ids)).options(selectinload(Response.respondent), selectinload(Response.consultation)))}
    if decision_ids := wanted.get("decision"):
        loaded["decision"] = {d.id: d for d in db.session.scalars(select(Decision).where(
            Decision.id.in_(decision_ids)).options(selectinload(Decision.recommendation).selectinload(
                Recommendation.response).selectinload(Response.respondent)))}
    if action_ids := wanted.get("action"):
        loaded["action"] = {a.id: a for a in db.session.scalars(select(Action).where(
            Action.id.in_(action_ids)).options(selectinload(Action.decision).selectinload(
                Decision.recommendation).selectinload(Recommendation.response).selectinload(Response.respondent)))}
    if item_ids := wanted.get("item"):
        loaded["item"] = {i.id: i for i in db.session.scalars(select(FrameworkItem).where(
            FrameworkItem.id.in_(item_ids)).options(selectinload(FrameworkItem.framework)))}
    hits = []
    for doc_id in ids:
        kind, _, number = doc_id.partition(":")
        obj = loaded.get(kind, {}).get(int(number))
        if obj is not None:
            decision = loaded.get("recommendation-decision", {}).get(obj.id) if kind == "recommendation" else None
            snippet = Markup(highlights[doc_id]) if highlights.get(doc_id) else None
            hits.append(Hit(kind, obj, snippet, decision))
    return hits


def _filters(facets) -> dict[str, list[str]]:
    return {field: values for field, _ in facets if (values := request.args.getlist(field))}


def _url_with(**changes) -> str:
    """This search's URL with some parameters changed (None removes one)."""
    params = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value if isinstance(value, list) else [value]
    return "?" + urlencode(params, doseq=True)


def render_search(audience: str, template: str, facets=FACETS):
    """The search page for ``audience`` (``staff`` or ``public``): the form, results, facets and paging."""
    form = SearchForm(request.args)
    text = (form.q.data or "").strip()
    filters = _filters(facets)
    page = page_number(request.args.get("page"))
    results = None
    hits: list[Hit] = []
    if text or filters:
        results = indexes()[audience].search(
            text, filters=filters, facets=[field for field, _ in facets], page=page, pagelen=PAGE_SIZE,
            sort=form.sort.data if form.sort.data in ("relevance", "date") else "relevance",
            public_only=audience == "public",
        )
        ids = public_only(results.ids) if audience == "public" else results.ids
        hits = load_hits(ids, results.highlights)
    clear_filters = _url_with(page=None, **{field: None for field, _ in facets})
    return render_template(template, form=form, text=text, filters=filters, facets=facets, results=results,
                           hits=hits, url_with=_url_with, clear_filters=clear_filters, public_name=public_name)


def similar_recommendations(rec: Recommendation, top: int = 5) -> list[Hit]:
    """'More like this': the same point made by other respondents or in earlier consultations."""
    try:
        similar = indexes()["staff"].more_like_this(f"recommendation:{rec.id}", top=top * 2)
    except (KeyError, LookupError):
        return []
    ids = [doc_id for doc_id, _ in similar if doc_id.startswith("recommendation:")]
    # Points from the same response are its own sub-points and repeats: show other respondents'.
    return [hit for hit in load_hits(ids, {}) if hit.obj.response_id != rec.response_id][:top]
