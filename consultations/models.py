"""Domain model for what came in: consultations, responses, recommendations, frameworks.

Plain SQLAlchemy 2.0 typed models on one declarative ``Base`` so the package can be
used from scripts and tests without Flask; ``tracker`` binds the same metadata to
Flask-SQLAlchemy and adds the workflow models (users, decisions, actions, audit).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Status lists live in consultations.vocabulary; imported here too, where callers have always found them.
from consultations.vocabulary import (  # noqa: F401
    CONSENT_LEVELS,
    CONSULTATION_STATUSES,
    GROUP_STATUSES,
    IMPORT_STATUSES,
    LINK_ORIGINS,
    LINK_STATUSES,
    RESPONSE_STATUSES,
)

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Framework(Base):
    """A standards framework or set of strategic objectives, imported as data."""

    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(50), default="standards")
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[FrameworkItem]] = relationship(
        back_populates="framework", order_by="[FrameworkItem.position, FrameworkItem.id]"
    )

    @property
    def label(self) -> str:
        return self.name if self.version in self.name else f"{self.name} ({self.version})"


class FrameworkItem(Base):
    """One node of a framework tree, identified by a hierarchical code such as ``1.3.2``."""

    __tablename__ = "framework_item"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("framework_item.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a re-import no longer lists the item; kept so its links survive.
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    framework: Mapped[Framework] = relationship(back_populates="items")
    parent: Mapped[FrameworkItem | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[FrameworkItem]] = relationship(
        back_populates="parent", order_by="[FrameworkItem.position, FrameworkItem.id]"
    )

    @property
    def depth(self) -> int:
        return self.code.count(".")

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.title else self.code


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(300))  # the organisation consulting
    summary: Mapped[str | None] = mapped_column(Text)
    opens_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30), default="open")
    # Set when every live recommendation has a published decision (consultations.decisions).
    outcome_published_on: Mapped[dt.date | None] = mapped_column(Date)
    # How long respondents' personal data is kept after the consultation closes, in months; None:
    # the installation's RETENTION_MONTHS (consultations.personal_data).
    retention_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", order_by="[Question.position, Question.id]"
    )
    responses: Mapped[list[Response]] = relationship(back_populates="consultation")

    __mapper_args__ = {"version_id_col": version_id}


class Question(Base):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")

    __mapper_args__ = {"version_id_col": version_id}


class OrganisationType(Base):
    """A kind of respondent from the installation's controlled list (managed by admins).

    ``public_name`` is the singular noun phrase, with its article, that names an anonymous
    respondent in public ("a voluntary sector organisation", "an individual"); the rules for
    matching free text onto the list are in ``consultations.organisation_types``.
    """

    __tablename__ = "organisation_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    public_name: Mapped[str] = mapped_column(String(150))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self) -> str:
        return self.name


class Respondent(Base):
    """Who responded. Contact details are private and never published."""

    __tablename__ = "respondent"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    organisation_type_id: Mapped[int | None] = mapped_column(ForeignKey("organisation_type.id"), index=True)
    consent: Mapped[str] = mapped_column(String(20), default="named")
    contact_details: Mapped[str | None] = mapped_column(Text)
    # Emails about what was decided on their recommendations (consultations.respondent_emails):
    # "default" (yes, unless confidential), "yes" (they asked, confidential or not), "no" (opted out).
    outcome_emails: Mapped[str] = mapped_column(String(10), default="default", server_default="default")
    # Set when their name and contact details were removed (retention or a request): consultations.personal_data.
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    responses: Mapped[list[Response]] = relationship(back_populates="respondent")
    organisation_type: Mapped[OrganisationType | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version_id}


class Document(Base):
    """An original file exactly as received, stored once per content hash."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("consultation_id", "document_id"),
        UniqueConstraint("consultation_id", "external_id"),
        # The lists' default order (received, oldest first, undated last: NULLS LAST), so the
        # triage queue and the recommendations list read their first page, not every row.
        Index("ix_response_received_on_id", "received_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondent.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    channel: Mapped[str] = mapped_column(String(30), default="document")
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), default="received")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    # Bulk imports: the row's identity in its source (a survey reference), so a row is
    # imported once however often the command runs, and the import run that stored it.
    external_id: Mapped[str | None] = mapped_column(String(200))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"), index=True)
    # Survey fields with no column of their own (language, country, ...), kept as given.
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When staff finished checking the text for personal data to redact (consultations.redaction):
    # its recommendations are published only after that.
    redaction_reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    consultation: Mapped[Consultation] = relationship(back_populates="responses")
    respondent: Mapped[Respondent] = relationship(back_populates="responses")
    document: Mapped[Document | None] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="response", order_by="[Recommendation.sequence, Recommendation.id]"
    )
    sections: Mapped[list[ResponseSection]] = relationship(
        back_populates="response", order_by="[ResponseSection.position, ResponseSection.id]",
        foreign_keys="ResponseSection.response_id",
    )
    import_run: Mapped[ImportRun | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


class Recommendation(Base):
    """One recommendation, anchored to its source text by character spans."""

    __tablename__ = "recommendation"
    __table_args__ = (
        UniqueConstraint("response_id", "key"),
        UniqueConstraint("response_id", "external_id"),
        # Every column the counts need (list states, coverage, the API's total): counting reads
        # this index, not the rows with their texts (migration 0018).
        Index("ix_recommendation_counted", "response_id", "deleted_at", "duplicate_of_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    key: Mapped[str] = mapped_column(String(30))
    sequence: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # [[start, end], ...] offsets into Response.text; the first is the primary anchor.
    spans: Mapped[list[Any]] = mapped_column(default=list)
    unresolved_references: Mapped[list[Any]] = mapped_column(default=list)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"), index=True)
    origin: Mapped[str] = mapped_column(String(20), default="extracted")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    # Structured imports: the row's identity in its source, the import run that stored it,
    # and the row's other columns (session, issue tags, ...), kept as given.
    external_id: Mapped[str | None] = mapped_column(String(200))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"), index=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    response: Mapped[Response] = relationship(back_populates="recommendations")
    parent: Mapped[Recommendation | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Recommendation]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="[Recommendation.sequence, Recommendation.id]"
    )
    duplicate_of: Mapped[Recommendation | None] = relationship(
        remote_side=[id], foreign_keys=[duplicate_of_id]
    )
    question: Mapped[Question | None] = relationship()
    links: Mapped[list[Link]] = relationship(back_populates="recommendation")

    __mapper_args__ = {"version_id_col": version_id}


class Link(Base):
    """A recommendation mapped to a framework item, with where the link came from."""

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "item_id"),
        # A recommendation's link state and its items, from the index alone (the counts).
        Index("ix_link_recommendation_status", "recommendation_id", "status", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("framework_item.id"), index=True)
    origin: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)  # the words that made the link
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    recommendation: Mapped[Recommendation] = relationship(back_populates="links")
    item: Mapped[FrameworkItem] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


SECTION_KINDS = ("text", "choice", "placeholder")


class ResponseSection(Base):
    """One survey answer, linked to the question it answers.

    A free-text answer is part of ``Response.text``: ``start_offset``/``end_offset`` are its
    characters there, so recommendations extracted from it are anchored like any other. A
    choice or rating answer ("5 - Very important") is a value, kept here only (offsets
    None), so it neither crowds the text people read nor matches every search. A
    placeholder answer ("See written response") points at the respondent's written response
    when there is one.
    """

    __tablename__ = "response_section"
    __table_args__ = (UniqueConstraint("response_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="text")
    text: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int | None] = mapped_column(Integer)
    end_offset: Mapped[int | None] = mapped_column(Integer)
    written_response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="sections", foreign_keys=[response_id])
    question: Mapped[Question | None] = relationship()
    written_response: Mapped[Response | None] = relationship(foreign_keys=[written_response_id])


class ImportRun(Base):
    """One run of a bulk import command: what file, when, and what became of its rows.

    A run left "running" whose process is gone was interrupted (the next run marks it so);
    running the same command again finishes the job, skipping the rows already stored. Objects created by a run carry its id, so their audit
    "created" events say they came from this import.
    """

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # "survey" or "recommendations"
    source: Mapped[str] = mapped_column(String(300))  # the file name
    sha256: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list[Any]] = mapped_column(default=list)  # [[row number, reason], ...]
    # The process doing the run, so a later run can tell a killed one from one still going.
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    process_started: Mapped[str | None] = mapped_column(String(30))  # Linux: ticks after boot
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # renewed at every batch


class Campaign(Base):
    """Responses written from one template (a charity's letter sent by many supporters),
    found by ``duplicates find``. Proposed until policy staff confirm it; confirming marks each
    member's recommendations as duplicates of the canonical response's, so the campaign is
    decided once and every supporter is credited."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    canonical_response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    threshold: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    consultation: Mapped[Consultation] = relationship()
    canonical_response: Mapped[Response] = relationship()
    members: Mapped[list[CampaignMember]] = relationship(back_populates="campaign", order_by="CampaignMember.id")

    __mapper_args__ = {"version_id_col": version_id}


class CampaignMember(Base):
    """One response of a campaign and how it differs from the template: the sentences it
    adds (its own words) and how many template sentences it leaves out."""

    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "response_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    added: Mapped[list[Any]] = mapped_column(default=list)
    omitted: Mapped[int] = mapped_column(Integer, default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="members")
    response: Mapped[Response] = relationship()


class Cluster(Base):
    """Near-identical recommendations from different respondents, proposed by ``duplicates
    find``. Confirming marks every member a duplicate of the chosen primary, so one decision
    answers them all; rejecting changes nothing else and is remembered."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    # The proposed primary (the medoid) until confirmed, then the group's primary.
    primary_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    threshold: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    consultation: Mapped[Consultation] = relationship()
    primary: Mapped[Recommendation | None] = relationship()
    members: Mapped[list[ClusterMember]] = relationship(back_populates="cluster", order_by="ClusterMember.id")

    __mapper_args__ = {"version_id_col": version_id}


class ClusterMember(Base):
    """A recommendation in a cluster, with its similarity to the proposed primary. Staff can
    remove a member; it is kept (``removed_at``) so a later run does not propose it again."""

    __tablename__ = "cluster_member"
    __table_args__ = (UniqueConstraint("cluster_id", "recommendation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cluster: Mapped[Cluster] = relationship(back_populates="members")
    recommendation: Mapped[Recommendation] = relationship()

__all__ = [
    "Base",
    "Campaign",
    "CampaignMember",
    "Cluster",
    "ClusterMember",
    "Consultation",
    "Document",
    "Framework",
    "FrameworkItem",
    "ImportRun",
    "Link",
    "OrganisationType",
    "Question",
    "Recommendation",
    "Respondent",
    "Response",
    "ResponseSection",
    "utcnow",
]

# The workflow tables (users, decisions, actions, audit) and the answer templates share this
# metadata: importing the models gives the whole schema, with or without the web app.
from consultations import answer_templates, notifications, outbox, publication_stamp, redaction, subscriptions, two_factor, understood_checks, workflow  # noqa: E402,F401
