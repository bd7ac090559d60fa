"""Search documents: what the staff and public indexes hold for each recommendation, response,
decision, action and framework item, built in batches with a fixed number of queries.

Split from ``tracker.indexing``, which decides when documents are written (hooks, sync,
rebuild, the CLI); this module only says what a document is."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consultations.models import (
    FrameworkItem,
    Link,
    Recommendation,
    Response,
)

from consultations import published, redaction
from consultations.actions import is_overdue
from consultations.queries import ids_in_batches
from consultations.workflow import Action, Decision
from consultations.published import public_name
from consultations.recommendation_import import CHANNEL as IMPORT_CHANNEL, says_only_where_it_came_from

KINDS = ("recommendation", "response", "decision", "action", "item")


def _with_version(doc: dict) -> dict:
    content = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    doc["version"] = hashlib.sha1(content.encode()).hexdigest()[:16]
    return doc


def _when(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def _standards(rec: Recommendation, public: bool = False) -> list[str]:
    """Codes of the recommendation's live links; the public sees current (not retired) items only."""
    return sorted({link.item.code for link in rec.links
                   if link.status != "rejected" and not (public and link.item.retired_at)})


def recommendation_staff_document(rec_id: int, key: str, text: str, respondent: str, consultation: str,
                                   org_type: str, standards: list[str], outcome: str, statuses: list[str],
                                   date: dt.datetime) -> dict:
    """A recommendation's staff document from plain values: the loader's, and a bulk import's
    built from the rows it has just inserted (``tracker.jobs.import_index``), with the same version."""
    return _with_version({
        "id": f"recommendation:{rec_id}", "kind": "recommendation",
        "title": f"{respondent} {key}", "body": text,
        "respondent": respondent, "consultation": consultation,
        "org_type": org_type, "standards": standards,
        "outcome": outcome, "status": statuses,
        "date": date, "public": False,
    })


def response_staff_document(response_id: int, text: str, respondent: str, consultation: str, org_type: str,
                            status: str, date: dt.datetime) -> dict:
    """A response's staff document from plain values (see ``recommendation_staff_document``)."""
    return _with_version({
        "id": f"response:{response_id}", "kind": "response",
        "title": f"Response from {respondent}", "body": text,
        "respondent": respondent, "consultation": consultation,
        "org_type": org_type, "status": status,
        "date": date, "public": False,
    })


def decision_staff_document(decision_id: int, key: str, respondent: str, consultation: str, org_type: str,
                            standards: list[str], rationale: str | None, note: str | None, outcome: str,
                            state: str, date: dt.datetime) -> dict:
    """A decision's staff document from plain values (see ``recommendation_staff_document``)."""
    return _with_version({
        "id": f"decision:{decision_id}", "kind": "decision",
        "title": f"Decision on {respondent} {key}", "body": rationale or "",
        "extra": note or "", "respondent": respondent,
        "consultation": consultation, "org_type": org_type,
        "standards": standards, "outcome": outcome, "status": state,
        "date": date, "public": False,
    })


class _Loader:
    """Builds documents for batches of ids with a fixed number of queries per batch."""

    def __init__(self, session: Session, today: dt.date | None = None):
        self.session = session
        self.today = today or dt.date.today()

    def _decisions_for(self, recommendation_ids: set[int]) -> dict[int, Decision]:
        if not recommendation_ids:
            return {}
        rows = self.session.scalars(
            select(Decision)
            .where(Decision.recommendation_id.in_(recommendation_ids))
            .options(selectinload(Decision.actions))
            .order_by(Decision.id)
        )
        return {decision.recommendation_id: decision for decision in rows}

    def _live_groups(self, primaries: set[int]) -> set[int]:
        """The primaries among these whose group still has a live member: a decision stays
        searchable while it answers a live duplicate, even when its own recommendation is deleted."""
        member = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
        return ids_in_batches(self.session, lambda batch: (
            select(member).join(Response, Recommendation.response_id == Response.id)
            .where(member.in_(batch))), primaries)

    def recommendations(self, ids: list[int]) -> dict[int, tuple[dict | None, dict | None]]:
        recs = self.session.scalars(
            select(Recommendation)
            .where(Recommendation.id.in_(ids))
            .options(
                selectinload(Recommendation.response).selectinload(Response.respondent),
                selectinload(Recommendation.response).selectinload(Response.consultation),
                selectinload(Recommendation.links).selectinload(Link.item),
            )
        ).all()
        decisions = self._decisions_for({rec.duplicate_of_id or rec.id for rec in recs})
        public = published.public_recommendation_ids(self.session, [rec.id for rec in recs])
        redactions = redaction.confirmed_passages(self.session, {rec.response_id for rec in recs if rec.id in public})
        found = {rec.id: self._recommendation(rec, decisions.get(rec.duplicate_of_id or rec.id), rec.id in public,
                                              redactions.get(rec.response_id, []))
                 for rec in recs}
        return {i: found.get(i, (None, None)) for i in ids}

    def _recommendation(self, rec: Recommendation, decision: Decision | None, is_public: bool, redacted=()):
        response = rec.response
        if rec.deleted_at or response.deleted_at:
            return None, None
        respondent, consultation = response.respondent, response.consultation
        standards = _standards(rec)
        live_actions = [a for a in (decision.actions if decision else []) if a.deleted_at is None]
        statuses = sorted({a.status for a in live_actions} | ({"overdue"} if any(is_overdue(a, self.today) for a in live_actions) else set()))
        staff = recommendation_staff_document(
            rec.id, rec.key, rec.text, respondent.name, consultation.slug, _org_type(respondent), standards,
            decision.outcome if decision else "", statuses, _when(response.received_on) or rec.created_at)
        public = None
        if is_public and decision is not None and decision.published_at:
            public = _with_version({
                "id": f"recommendation:{rec.id}", "kind": "recommendation",
                "title": public_name(respondent), "body": redaction.public_text(rec.text, list(redacted)),
                "consultation": consultation.slug,
                "org_type": _org_type(respondent), "standards": _standards(rec, public=True),
                "outcome": published.shown_outcome(decision), "status": statuses,
                "date": decision.published_at, "public": True,
            })
        return staff, public

    def responses(self, ids: list[int]):
        # A response made by a recommendations import is its recommendations' texts one per
        # paragraph: each is indexed as its recommendation, so the response is not (it would
        # repeat every hit).
        rows = self.session.scalars(
            select(Response).where(Response.id.in_(ids), Response.channel != IMPORT_CHANNEL)
            .options(selectinload(Response.respondent), selectinload(Response.consultation))
        ).all()
        found = {}
        for response in rows:
            if response.deleted_at:
                found[response.id] = (None, None)
                continue
            respondent = response.respondent
            found[response.id] = (response_staff_document(
                response.id, response.text, respondent.name, response.consultation.slug, _org_type(respondent),
                response.status, _when(response.received_on) or response.created_at), None)
            # whole responses are never published as such
        return {i: found.get(i, (None, None)) for i in ids}

    def decisions(self, ids: list[int]):
        wanted = self._worth_indexing(ids)
        rows = self.session.scalars(
            select(Decision).where(Decision.id.in_(wanted)).options(
                selectinload(Decision.recommendation).selectinload(Recommendation.response)
                .selectinload(Response.respondent),
                selectinload(Decision.recommendation).selectinload(Recommendation.response)
                .selectinload(Response.consultation),
                selectinload(Decision.recommendation).selectinload(Recommendation.links).selectinload(Link.item),
            )
        ).all()
        public_ids = published.public_decision_ids(self.session, wanted)
        public_recs = published.public_recommendation_ids(self.session, [d.recommendation_id for d in rows])
        live = self._live_groups({d.recommendation_id for d in rows})
        found = {}
        for decision in rows:
            rec = decision.recommendation
            if decision.deleted_at or rec.id not in live:
                found[decision.id] = (None, None)
                continue
            respondent, consultation = rec.response.respondent, rec.response.consultation
            standards = _standards(rec)
            staff = decision_staff_document(
                decision.id, rec.key, respondent.name, consultation.slug, _org_type(respondent), standards,
                decision.public_rationale, decision.internal_note, decision.outcome, decision.state,
                decision.updated_at)
            public = None
            if decision.id in public_ids:
                # Public through a duplicate when its own recommendation is not: then it names no one.
                own = rec.id in public_recs
                public = _with_version({
                    "id": f"decision:{decision.id}", "kind": "decision",
                    "title": (f"Decision on a recommendation from {public_name(respondent)}" if own
                              else "Decision on a published recommendation"),
                    "body": published.shown_rationale(decision),
                    "consultation": consultation.slug,
                    "org_type": _org_type(respondent) if own else "",
                    "standards": _standards(rec, public=True),
                    "outcome": published.shown_outcome(decision), "date": decision.published_at, "public": True,
                })
            found[decision.id] = (staff, public)
        return {i: found.get(i, (None, None)) for i in ids}

    def _worth_indexing(self, ids: list[int]) -> list[int]:
        """The decisions among ``ids`` that say something: not those of imported recommendations
        whose texts are only what the import wrote (one light query, before the full load)."""
        if not ids:
            return ids
        rows = self.session.execute(
            select(Decision.id, Decision.public_rationale, Decision.internal_note, Recommendation.import_run_id)
            .join(Recommendation, Decision.recommendation_id == Recommendation.id)
            .where(Decision.id.in_(ids)).execution_options(include_deleted=True)).all()
        boilerplate = {decision_id for decision_id, rationale, note, run in rows
                       if run is not None and says_only_where_it_came_from(rationale, note)}
        return [i for i in ids if i not in boilerplate] if boilerplate else ids

    def actions(self, ids: list[int]):
        rows = self.session.scalars(
            select(Action).where(Action.id.in_(ids)).options(
                selectinload(Action.updates),
                selectinload(Action.decision).selectinload(Decision.recommendation)
                .selectinload(Recommendation.response).selectinload(Response.respondent),
                selectinload(Action.decision).selectinload(Decision.recommendation)
                .selectinload(Recommendation.response).selectinload(Response.consultation),
            )
        ).all()
        public_ids = published.public_action_ids(self.session, ids)
        public_recs = published.public_recommendation_ids(self.session, [a.decision.recommendation_id for a in rows])
        live = self._live_groups({a.decision.recommendation_id for a in rows})
        found = {}
        for action in rows:
            decision = action.decision
            rec = decision.recommendation
            if action.deleted_at or decision.deleted_at or rec.id not in live:
                found[action.id] = (None, None)
                continue
            respondent, consultation = rec.response.respondent, rec.response.consultation
            statuses = [action.status] + (["overdue"] if is_overdue(action, self.today) else [])
            updates = [u for u in action.updates]
            staff = _with_version({
                "id": f"action:{action.id}", "kind": "action", "title": action.description[:200],
                "body": "\n".join([action.description, *(u.text for u in updates)]),
                "respondent": respondent.name, "consultation": consultation.slug,
                "org_type": _org_type(respondent), "outcome": decision.outcome,
                "status": statuses, "date": _when(action.due_on) or action.created_at, "public": False,
            })
            public = None
            if action.id in public_ids:
                own = rec.id in public_recs
                public = _with_version({
                    "id": f"action:{action.id}", "kind": "action", "title": action.description[:200],
                    "body": "\n".join([action.description, *(u.text for u in updates if u.is_public)]),
                    "consultation": consultation.slug,
                    "org_type": _org_type(respondent) if own else "",
                    "outcome": published.shown_outcome(decision), "status": statuses,
                    "date": _when(action.due_on) or action.created_at, "public": True,
                })
            found[action.id] = (staff, public)
        return {i: found.get(i, (None, None)) for i in ids}

    def items(self, ids: list[int]):
        rows = self.session.scalars(
            select(FrameworkItem).where(FrameworkItem.id.in_(ids)).options(selectinload(FrameworkItem.framework))
        ).all()
        found = {}
        for item in rows:
            if item.retired_at:
                found[item.id] = (None, None)
                continue
            doc = _with_version({
                "id": f"item:{item.id}", "kind": "item", "title": f"{item.code} {item.title or ''}".strip(),
                "body": item.text or "", "standards": [item.code], "outcome": "",
                "consultation": "", "date": item.framework.created_at, "public": True,
            })
            found[item.id] = (doc, doc)  # frameworks are public information
        return {i: found.get(i, (None, None)) for i in ids}

    def build(self, kind: str, ids: list[int]):
        return getattr(self, {"item": "items"}.get(kind, kind + "s"))(ids)


def _org_type(respondent) -> str:
    """The facet value: the controlled type's name, so each kind is one facet entry."""
    return respondent.organisation_type.name if respondent.organisation_type else ""
