"""Workflow models: users, decisions, implementation actions and the audit log.

They share ``consultations.models.Base`` so one Alembic history covers the whole schema.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultations.models import Base, Recommendation, utcnow
from consultations.vocabulary import ACTION_STATUSES, DECISION_OUTCOMES, DECISION_STATES  # noqa: F401 (re-exported)

ROLES = ("admin", "policy", "methodology", "approver", "viewer")


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class UserSession(Base):
    """One signed-in browser. The cookie holds a random token and this row its SHA-256, so the
    server decides whether a cookie still signs anyone in: signing out, a password reset,
    deactivation, an admin and the idle and absolute timeouts end the row, not just a cookie."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(50), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class FailedSignIn(Base):
    """A sign-in refused for a wrong email or password: recent ones throttle further attempts for
    that account (the email as typed, known or not) and that client address (an IPv6 address as its
    /64). Kept in the database so every web process sees them; ``cleared_at`` marks ones that no
    longer count (a successful sign-in or an admin unlocking the account)."""

    __tablename__ = "failed_sign_in"
    __table_args__ = (
        Index("ix_failed_sign_in_account_at", "account", "at"),
        Index("ix_failed_sign_in_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    account: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(50))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Decision(Base):
    """The inspectorate's decision on a recommendation (and its duplicates)."""

    __tablename__ = "decision"
    __table_args__ = (
        # A recommendation's live decision (the newest not deleted) and what the counts read of
        # it, from the index alone: the list's states, coverage's outcomes, the API's published.
        Index("ix_decision_live", "recommendation_id", "deleted_at", "id", "state", "outcome", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    public_rationale: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # What the public sees: copied from the working fields when a decision is published, so
    # revising a published decision never unpublishes it; earlier texts stay in the audit log.
    published_outcome: Mapped[str | None] = mapped_column(String(40))
    published_rationale: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A published decision is withdrawn, never deleted: the public pages then say when and why.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    recommendation: Mapped[Recommendation] = relationship()
    actions: Mapped[list[Action]] = relationship(back_populates="decision")

    __mapper_args__ = {"version_id_col": version_id}


class Action(Base):
    """A piece of implementation work under a decision."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30), default="not started")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    decision: Mapped[Decision] = relationship(back_populates="actions")
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", order_by="[ActionUpdate.on, ActionUpdate.id]"
    )

    __mapper_args__ = {"version_id_col": version_id}


class ActionUpdate(Base):
    """A dated progress note on an action, optionally with evidence and a status change."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(1000))
    new_status: Mapped[str | None] = mapped_column(String(30))
    is_public: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")


class AuditEvent(Base):
    """One changed field of one object: who, when, old and new value.

    ``version`` is the object's version after the change, so a stale edit form can list
    exactly what changed since the version it was loaded at.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(100))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User | None] = relationship()


class SearchDirty(Base):
    """An object whose search documents could not be written; `search sync` retries it."""

    __tablename__ = "search_dirty"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# Where the PostgreSQL search backend (search_index/postgres.py) keeps its documents, written in the
# same transaction as the change. Only PostgreSQL gives the columns their full-text types (and its
# indexes are GIN); on SQLite (where Whoosh is the search backend) the table exists but stays empty.
_TSVECTOR = Text().with_variant(TSVECTOR(), "postgresql")
_KEYWORDS = JSON().with_variant(ARRAY(Text()), "postgresql")


class SearchDocument(Base):
    """One search document for one audience ("staff" or "public"), as ``search_index`` builds it."""

    __tablename__ = "search_document"
    __table_args__ = (
        Index("ix_search_document_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_document_facets", "facets", postgresql_using="gin"),
    )

    audience: Mapped[str] = mapped_column(String(10), primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str | None] = mapped_column(Text)  # shown in highlights; None when not to be stored
    facets: Mapped[list | None] = mapped_column(_KEYWORDS)  # ["kind=action", "standard=4.1.1", ...]
    date: Mapped[dt.datetime | None] = mapped_column(DateTime)
    public: Mapped[bool] = mapped_column(default=False)
    version: Mapped[str | None] = mapped_column(Text)  # JSON of the caller's version
    tsv: Mapped[str | None] = mapped_column(_TSVECTOR)
