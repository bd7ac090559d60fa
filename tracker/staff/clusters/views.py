"""Campaigns and near-duplicate clusters: review what ``duplicates find`` proposed.

Every staff role reads these pages; policy staff (who own triage and duplicates) confirm,
reject or remove members. Views are thin: a versioned form (two people deciding the same
cluster at once is caught as a stale edit), a service in ``consultations.clusters``, then
commit, or roll back and show its message (HTTP 400) so nothing is half-saved. Confirming
changes recommendations through the triage service, so every change is audited.
"""
from __future__ import annotations


from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from consultations import clusters as service
from consultations.soft_delete import WITH_DELETED
from consultations.models import (
    GROUP_STATUSES,
    Campaign,
    CampaignMember,
    Cluster,
    ClusterMember,
    Consultation,
    Recommendation,
    Respondent,
    Response,
)

from tracker.web.roles import login_required, role_required
from tracker.db import db
from tracker.web.editing import StaleEdit, apply_edit
from tracker.staff.clusters.forms import ConfirmForm, VersionOnlyForm
from tracker.web.forms import options
from consultations.workflow import Decision
from tracker.web.ids import parse_id
from tracker.web.paging import paginate

bp = Blueprint("clusters", __name__)

policy_required = role_required("policy")

PER_PAGE = 25
CAMPAIGN_MEMBERS_PER_PAGE = 100
NAMES_SHOWN = 4  # respondents named per cluster on the list; the rest are counted


# ---------------------------------------------------------------------------
# A consultation's campaigns and clusters
# ---------------------------------------------------------------------------


def _campaign_sizes():
    return (select(CampaignMember.campaign_id, func.count().label("n"))
            .group_by(CampaignMember.campaign_id).subquery())


def _cluster_sizes():
    return (select(ClusterMember.cluster_id, func.count().label("n"))
            .where(ClusterMember.removed_at.is_(None))
            .group_by(ClusterMember.cluster_id).subquery())


@bp.route("/consultations/<slug>/duplicates")
@login_required
def overview(slug: str):
    """Campaigns, then clusters by status, largest first. Always the same seven queries."""
    consultation = db.one_or_404(select(Consultation).where(Consultation.slug == slug))
    status = request.args.get("status", "proposed")
    if status not in (*GROUP_STATUSES, "all"):
        status = "proposed"

    campaign_sizes = _campaign_sizes()
    campaigns = db.session.execute(
        select(Campaign, func.coalesce(campaign_sizes.c.n, 0))
        .join(Campaign.canonical_response)
        .join(Response.respondent)
        .outerjoin(campaign_sizes, campaign_sizes.c.campaign_id == Campaign.id)
        .where(Campaign.consultation_id == consultation.id)
        .options(contains_eager(Campaign.canonical_response).contains_eager(Response.respondent))
        .order_by(Campaign.status != "proposed", func.coalesce(campaign_sizes.c.n, 0).desc(), Campaign.id)
    ).all()

    counts = dict(db.session.execute(
        select(Cluster.status, func.count()).where(Cluster.consultation_id == consultation.id)
        .group_by(Cluster.status)
    ).all())
    total = sum(counts.values()) if status == "all" else counts.get(status, 0)
    sizes = _cluster_sizes()
    primary = aliased(Recommendation)
    query = (
        select(Cluster, func.coalesce(sizes.c.n, 0), primary.text)
        .outerjoin(sizes, sizes.c.cluster_id == Cluster.id)
        .outerjoin(primary, primary.id == Cluster.primary_id)
        .where(Cluster.consultation_id == consultation.id)
        .order_by(func.coalesce(sizes.c.n, 0).desc(), Cluster.id)
    )
    if status != "all":
        query = query.where(Cluster.status == status)
    listed = paginate(query, PER_PAGE, total=total, rows=True)
    rows = listed.items

    names: dict[int, list[str]] = {}
    if rows:
        members = db.session.execute(
            select(ClusterMember.cluster_id, Respondent.name)
            .join(Recommendation, Recommendation.id == ClusterMember.recommendation_id)
            .join(Response, Response.id == Recommendation.response_id)
            .join(Respondent, Respondent.id == Response.respondent_id)
            .where(ClusterMember.cluster_id.in_([cluster.id for cluster, _, _ in rows]),
                   ClusterMember.removed_at.is_(None))
            .order_by(ClusterMember.cluster_id, Respondent.name)
        ).all()
        for cluster_id, name in members:
            if name not in names.setdefault(cluster_id, []):
                names[cluster_id].append(name)

    tabs = [{"status": s, "label": GROUP_STATUSES.label(s), "count": counts.get(s, 0),
             "href": url_for("clusters.overview", slug=slug, status=s), "current": s == status}
            for s in GROUP_STATUSES]
    tabs.append({"status": "all", "label": "All", "count": sum(counts.values()),
                 "href": url_for("clusters.overview", slug=slug, status="all"), "current": status == "all"})
    return render_template(
        "staff/clusters/overview.html", consultation=consultation, campaigns=campaigns, rows=rows, names=names,
        names_shown=NAMES_SHOWN, tabs=tabs, status=status, total=total, page=listed.page, pages=listed.pages,
        per_page=PER_PAGE, page_url=lambda number: url_for("clusters.overview", slug=slug, status=status, page=number),
    )


# ---------------------------------------------------------------------------
# One cluster
# ---------------------------------------------------------------------------


def _load_cluster(cluster_id: int) -> Cluster:
    return db.one_or_404(
        select(Cluster).where(Cluster.id == cluster_id).options(
            selectinload(Cluster.consultation),
            selectinload(Cluster.members).selectinload(ClusterMember.recommendation)
            .selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Cluster.members).selectinload(ClusterMember.recommendation)
            .selectinload(Recommendation.duplicate_of).selectinload(Recommendation.response)
            .selectinload(Response.respondent),
        )
    )


def _decided(rec_ids) -> set[int]:
    """Ids among ``rec_ids`` that carry a live decision of their own."""
    rec_ids = list(rec_ids)
    if not rec_ids:
        return set()
    return set(db.session.scalars(
        select(Decision.recommendation_id).where(Decision.recommendation_id.in_(rec_ids))
    ))


def _live(rec: Recommendation) -> bool:
    return rec.deleted_at is None and rec.response.deleted_at is None


def _cluster_page(cluster: Cluster, confirm: ConfirmForm | None = None, errors: list[dict] | None = None,
                  conflict: StaleEdit | None = None, code: int = 200):
    members = sorted(service.active_members(cluster),
                     key=lambda m: (m.recommendation_id != cluster.primary_id, -m.score, m.id))
    removed = [m for m in cluster.members if m.removed_at is not None]
    decided = _decided(m.recommendation_id for m in cluster.members)
    if confirm is None:
        confirm = ConfirmForm(formdata=None, prefix="confirm",
                              data={"version": cluster.version_id, "primary": str(cluster.primary_id or "")})
    live = [m for m in members if _live(m.recommendation)]
    confirm.primary.choices = options(
        (m.recommendation_id, f"{m.recommendation.key} from {m.recommendation.response.respondent.name}")
        for m in live)
    hints = [{"hint": {"text": m.recommendation.text}} for m in live]
    return render_template(
        "staff/clusters/cluster.html", cluster=cluster, members=members, removed=removed, decided=decided,
        confirm=confirm, primary_items=hints, errors=errors or [], conflict=conflict,
        found_by=service.method_in_words(cluster.method, cluster.threshold),
    ), code


@bp.route("/clusters/<id:cluster_id>")
@login_required
def cluster(cluster_id: int):
    """A cluster's recommendations side by side, with who made each and how similar it is."""
    return _cluster_page(_load_cluster(cluster_id))


def _rerender_confirm(cluster_id: int, confirm: ConfirmForm):
    """``apply_edit``'s page for the confirm form: the cluster loaded afresh (a rollback expired
    it), with the refusal linked to the field at fault, or to the choice of primary."""

    def render(code: int, conflict: StaleEdit | None, error: str | None = None):
        errors = []
        if conflict is None:
            failing = next((field for field in confirm if field.errors), None)
            if error is None and failing is not None:
                errors = [{"text": failing.errors[0], "href": f"#{failing.id}"}]
            else:
                errors = [{"text": error, "href": "#confirm-primary"}]
        return _cluster_page(_load_cluster(cluster_id), confirm=confirm, errors=errors, conflict=conflict, code=code)

    return render


def _rerender_versioned(cluster_id: int, form, anchor: str):
    """Like ``_rerender_cluster`` for a form with only a version (reject, remove a member)."""

    def render(code: int, conflict: StaleEdit | None, error: str | None = None):
        errors = []
        if conflict is None:
            message = error if error is not None else next(field.errors[0] for field in form if field.errors)
            errors = [{"text": message, "href": f"#{anchor}"}]
        return _cluster_page(_load_cluster(cluster_id), errors=errors, conflict=conflict, code=code)

    return render


@bp.route("/clusters/<id:cluster_id>/confirm", methods=["POST"])
@policy_required
def confirm(cluster_id: int):
    cluster = _load_cluster(cluster_id)
    form = ConfirmForm(prefix="confirm")
    form.primary.choices = options((m.recommendation_id, "") for m in cluster.members)
    form.primary.validate_choice = False  # the service says why a choice is not allowed

    def confirm_it():
        primary_id = parse_id(form.primary.data or "")
        primary = db.session.get(Recommendation, primary_id) if primary_id else None
        return service.confirm_cluster(
            db.session, cluster, primary, g.user.id, decided=_decided(m.recommendation_id for m in cluster.members))

    edit = apply_edit(form, confirm_it, _rerender_confirm(cluster_id, form),
                      current=cluster)
    if edit.refused:
        return edit.page
    group_primary, changed = edit.result
    who = group_primary.response.respondent.name
    flash(f"Cluster confirmed: {changed} recommendation{'' if changed == 1 else 's'} marked as "
          f"{'a duplicate' if changed == 1 else 'duplicates'} of {group_primary.key} from {who}. "
          "One decision on it answers the whole cluster.")
    return redirect(url_for("clusters.cluster", cluster_id=cluster_id))


@bp.route("/clusters/<id:cluster_id>/reject", methods=["POST"])
@policy_required
def reject(cluster_id: int):
    cluster = _load_cluster(cluster_id)
    form = VersionOnlyForm()
    edit = apply_edit(form, lambda: service.reject_cluster(db.session, cluster, g.user.id),
                      _rerender_versioned(cluster_id, form, "reject"), current=cluster)
    if edit.refused:
        return edit.page
    flash("Cluster rejected: nothing else was changed, and it will not be proposed again.")
    return redirect(url_for("clusters.overview", slug=cluster.consultation.slug))


@bp.route("/clusters/<id:cluster_id>/members/<id:rec_id>/remove", methods=["POST"])
@policy_required
def remove_member(cluster_id: int, rec_id: int):
    cluster = _load_cluster(cluster_id)
    rec = db.get_or_404(Recommendation, rec_id)
    form = VersionOnlyForm()
    edit = apply_edit(form, lambda: service.remove_member(db.session, cluster, rec, g.user.id),
                      _rerender_versioned(cluster_id, form, "members"), current=cluster)
    if edit.refused:
        return edit.page
    flash(f"{rec.key} from {rec.response.respondent.name} was removed from the cluster."
          + (" Fewer than two recommendations were left, so the cluster was closed." if edit.result else ""))
    return redirect(url_for("clusters.cluster", cluster_id=cluster_id))


# ---------------------------------------------------------------------------
# One campaign
# ---------------------------------------------------------------------------


def _load_campaign(campaign_id: int) -> Campaign:
    return db.one_or_404(
        select(Campaign).where(Campaign.id == campaign_id).options(
            selectinload(Campaign.consultation),
            selectinload(Campaign.canonical_response).selectinload(Response.respondent),
        )
    )


def _campaign_page(campaign: Campaign, errors: list[dict] | None = None, conflict: StaleEdit | None = None,
                   code: int = 200):
    """The template, how many sent it, and each member's own words: members with additions
    first, a page at a time. A fixed number of queries whatever the campaign's size. Members
    whose response was deleted are counted and listed, marked deleted."""
    base = (select(CampaignMember).join(CampaignMember.response).join(Response.respondent)
            .where(CampaignMember.campaign_id == campaign.id))
    size, identical, live = db.session.execute(
        select(func.count(CampaignMember.id),
               func.coalesce(func.sum(case(((CampaignMember.omitted == 0) & (CampaignMember.similarity >= 1.0), 1), else_=0)), 0),
               func.coalesce(func.sum(case((Response.deleted_at.is_(None), 1), else_=0)), 0))
        .join(Response, Response.id == CampaignMember.response_id)
        .where(CampaignMember.campaign_id == campaign.id),
        execution_options=WITH_DELETED,
    ).one()
    members = paginate(
        base.options(contains_eager(CampaignMember.response).contains_eager(Response.respondent))
        .order_by(CampaignMember.response_id != campaign.canonical_response_id,
                  CampaignMember.similarity, Respondent.name, CampaignMember.id)
        .execution_options(**WITH_DELETED),
        CAMPAIGN_MEMBERS_PER_PAGE, total=size)
    form = VersionOnlyForm(formdata=None, data={"version": campaign.version_id})
    return render_template(
        "staff/clusters/campaign.html", campaign=campaign, members=members, size=size, identical=identical, live=live,
        form=form, errors=errors or [], conflict=conflict, page=members.page, pages=members.pages,
        found_by=service.method_in_words(campaign.method, campaign.threshold),
        per_page=CAMPAIGN_MEMBERS_PER_PAGE,
        page_url=lambda number: url_for("clusters.campaign", campaign_id=campaign.id, page=number),
    ), code


@bp.route("/campaigns/<id:campaign_id>")
@login_required
def campaign(campaign_id: int):
    return _campaign_page(_load_campaign(campaign_id))


def _rerender_campaign(campaign_id: int, form):
    """``apply_edit``'s page: the campaign loaded afresh (a rollback expired it) with why not."""

    def render(code: int, conflict: StaleEdit | None, error: str | None = None):
        errors = []
        if conflict is None:
            message = error if error is not None else next(field.errors[0] for field in form if field.errors)
            errors = [{"text": message, "href": "#decide"}]
        return _campaign_page(_load_campaign(campaign_id), errors=errors, conflict=conflict, code=code)

    return render


def _campaign_rec_ids(campaign: Campaign) -> list[int]:
    return list(db.session.scalars(
        select(Recommendation.id).join(CampaignMember, CampaignMember.response_id == Recommendation.response_id)
        .where(CampaignMember.campaign_id == campaign.id)
    ))


@bp.route("/campaigns/<id:campaign_id>/confirm", methods=["POST"])
@policy_required
def confirm_campaign(campaign_id: int):
    campaign = _load_campaign(campaign_id)
    form = VersionOnlyForm()
    edit = apply_edit(
        form,
        lambda: service.confirm_campaign(db.session, campaign, g.user.id, decided=_decided(_campaign_rec_ids(campaign))),
        _rerender_campaign(campaign_id, form), current=campaign,
    )
    if edit.refused:
        return edit.page
    outcome = edit.result
    own = len(outcome.own)
    flash(f"Campaign confirmed: {outcome.marked} recommendation{'' if outcome.marked == 1 else 's'} from its members "
          f"{'was' if outcome.marked == 1 else 'were'} marked as duplicates of the template's, so each is decided once."
          + (f" {own} recommendation{'' if own == 1 else 's'} made only by individual members "
             f"{'is' if own == 1 else 'are'} analysed on {'its' if own == 1 else 'their'} own." if own else ""))
    return redirect(url_for("clusters.campaign", campaign_id=campaign_id))


@bp.route("/campaigns/<id:campaign_id>/reject", methods=["POST"])
@policy_required
def reject_campaign(campaign_id: int):
    campaign = _load_campaign(campaign_id)
    form = VersionOnlyForm()
    edit = apply_edit(form, lambda: service.reject_campaign(db.session, campaign, g.user.id),
                      _rerender_campaign(campaign_id, form), current=campaign)
    if edit.refused:
        return edit.page
    flash("Campaign rejected: its responses are analysed one by one, and it will not be proposed again.")
    return redirect(url_for("clusters.overview", slug=campaign.consultation.slug))


def duplicate_groups_of_response(response_id: int) -> dict:
    """For the triage and response pages: the clusters this response's recommendations are in
    ({rec id: (cluster id, status)}) and its campaigns. Two queries whatever the size."""
    clusters = db.session.execute(
        select(ClusterMember.recommendation_id, Cluster.id, Cluster.status)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .join(Recommendation, Recommendation.id == ClusterMember.recommendation_id)
        .where(Recommendation.response_id == response_id, ClusterMember.removed_at.is_(None),
               Cluster.status != "rejected")
        .order_by(Cluster.id)
    ).all()
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.status).join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(CampaignMember.response_id == response_id, Campaign.status != "rejected").order_by(Campaign.id)
    ).all()
    return {"clusters": {rec_id: (cluster_id, status) for rec_id, cluster_id, status in clusters},
            "campaigns": [tuple(row) for row in campaigns]}
