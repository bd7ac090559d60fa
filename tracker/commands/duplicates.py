"""``duplicates find``: propose campaigns and clusters of near-identical recommendations."""
from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select
from tqdm import tqdm

from consultations import clusters as service
from consultations.clusters import ClusterError
from consultations.models import Consultation

from tracker.db import db

duplicates_cli = AppGroup("duplicates", help="Find campaigns and near-duplicate recommendations.")

STAGES = {"shingles": "Reading texts", "signatures": "MinHash signatures", "bands": "LSH bands",
          "verify": "Checking candidate pairs"}


class _Progress:
    """One tqdm bar per stage of the clustering, on stderr so the report stays clean."""

    def __init__(self, label: str, enabled: bool):
        self.label, self.enabled = label, enabled
        self.bar: tqdm | None = None
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=f"{self.label}: {STAGES.get(stage, stage)}", file=sys.stderr,
                            dynamic_ncols=True, mininterval=0.5, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _describe(report: service.FindReport, seconds: float) -> str:
    stats = report.stats
    lines = [
        f"{report.consultation}: {report.responses} responses and {report.recommendations} recommendations "
        f"checked in {seconds:.1f} s.",
        f"  Campaigns: {report.campaigns_found} found, {report.campaigns_new} new"
        + (f", {report.campaign_members_added} responses joined earlier campaigns" if report.campaign_members_added else "")
        + (f", {report.campaigns_previously_rejected} rejected before (not proposed again)"
           if report.campaigns_previously_rejected else "") + ".",
        f"  Clusters: {report.clusters_found} found ({stats.clustered_items} recommendations), {report.clusters_new} new"
        + (f", {report.members_added} recommendations joined earlier clusters" if report.members_added else "")
        + (f", {report.already_duplicates} already marked as duplicates" if report.already_duplicates else "")
        + (f", {report.previously_rejected} rejected before (not proposed again)" if report.previously_rejected else "")
        + (f"; {report.answered_by_campaigns} recommendations repeating a campaign's template are left to the "
           "campaign" if report.answered_by_campaigns else "")
        + ".",
    ]
    if stats.sizes:
        lines.append("  Cluster sizes: " + ", ".join(f"{n} x {size}" for size, n in stats.sizes.items()) + ".")
    return "\n".join(lines)


@duplicates_cli.command("find")
@click.option("--consultation", "slug", help="Slug of the consultation to look in.")
@click.option("--all", "every", is_flag=True, help="Look in every consultation, one at a time.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=service.RECOMMENDATION_THRESHOLD,
              show_default=True, help="How similar two recommendations must be (Jaccard of 3-word phrases).")
@click.option("--campaign-threshold", type=click.FloatRange(0, 1, min_open=True), default=service.CAMPAIGN_THRESHOLD,
              show_default=True, help="How similar two whole responses must be to be one campaign.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars on stderr.")
def find_command(slug: str | None, every: bool, threshold: float, campaign_threshold: float, progress: bool) -> None:
    """Propose campaigns and clusters for staff to confirm or reject on the consultation's
    "Campaigns and near-duplicates" page. Safe to repeat: what was decided is kept."""
    if bool(slug) == every:
        raise click.UsageError("Give either --consultation SLUG or --all.")
    if every:
        consultations = list(db.session.scalars(select(Consultation).order_by(Consultation.slug)))
        if not consultations:
            raise click.ClickException("There are no consultations yet.")
    else:
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            raise click.ClickException(
                f"No consultation has the slug '{slug}'. See the slugs with: flask --app tracker consultations list")
        consultations = [consultation]
    for consultation in consultations:
        started = time.perf_counter()
        report = service.FindReport(consultation.slug)
        responses = _Progress(f"{consultation.slug} responses", progress)
        recommendations = _Progress(f"{consultation.slug} recommendations", progress)
        try:
            service.find_campaigns(db.session, consultation, campaign_threshold, progress=responses, report=report)
            responses.close()
            service.find_clusters(db.session, consultation, threshold, progress=recommendations, report=report)
            db.session.commit()
        except ClusterError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        finally:
            responses.close()
            recommendations.close()
        click.echo(_describe(report, time.perf_counter() - started))
