"""Looking for campaigns and near-duplicates as a background job (``tracker.jobs.background``),
the same work as ``duplicates find``, with its progress and its result in plain words."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations import clusters as service
from consultations.clusters import ClusterError
from consultations.models import Consultation, ImportRun

from tracker.jobs.background import JobRefused, Progress, finish

# What each step of the comparison is, as staff read it on the progress page.
STEPS = {"shingles": "reading the texts", "signatures": "summarising each text",
         "bands": "finding likely pairs", "verify": "checking likely pairs"}


def stage_words(what: str, step: str = "") -> str:
    """('responses', 'verify') -> 'Comparing whole responses: checking likely pairs'."""
    label = {"responses": "Comparing whole responses", "recommendations": "Comparing recommendations",
             "saving": "Saving what was found"}.get(what, what.capitalize())
    return f"{label}: {STEPS.get(step, step)}" if step else label


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def describe(report: service.FindReport, title: str) -> str:
    """One consultation's result in a sentence or two, without the method's jargon."""
    text = (f"{title}: compared {_plural(report.responses, 'response')} and "
            f"{_plural(report.recommendations, 'recommendation')}. "
            f"Found {_plural(report.campaigns_new, 'new campaign')} and "
            f"{_plural(report.clusters_new, 'new group')} of near-identical recommendations")
    extra = []
    if report.campaign_members_added:
        extra.append(f"{_plural(report.campaign_members_added, 'response')} joined campaigns found before")
    if report.members_added:
        extra.append(f"{_plural(report.members_added, 'recommendation')} joined groups found before")
    if report.previously_rejected or report.campaigns_previously_rejected:
        n = report.previously_rejected + report.campaigns_previously_rejected
        extra.append(f"{_plural(n, 'grouping')} rejected before {'was' if n == 1 else 'were'} not proposed again")
    return text + ("; " + "; ".join(extra) if extra else "") + "."


def run_duplicates(session: Session, run: ImportRun) -> None:
    slug = run.options.get("consultation")
    threshold = float(run.options.get("threshold") or service.RECOMMENDATION_THRESHOLD)
    campaign_threshold = float(run.options.get("campaign_threshold") or service.CAMPAIGN_THRESHOLD)
    query = select(Consultation).order_by(Consultation.slug)
    if slug:
        query = query.where(Consultation.slug == slug)
    consultations = list(session.scalars(query))
    if not consultations:
        raise JobRefused("There is no consultation to look in" if not slug else
                         f"The consultation '{slug}' no longer exists")
    progress = Progress(session, run)
    result = []
    for number, consultation in enumerate(consultations, start=1):
        prefix = f"{consultation.title} ({number} of {len(consultations)}) – " if len(consultations) > 1 else ""
        report = service.FindReport(consultation.slug)

        def step(what):
            return lambda stage, done, total: progress(prefix + stage_words(what, stage), done, total)

        try:
            progress(prefix + stage_words("responses", "shingles"), 0, 0, force=True)
            service.find_campaigns(session, consultation, campaign_threshold, progress=step("responses"), report=report)
            session.commit()  # campaigns are kept even if the next step fails
            service.find_clusters(session, consultation, threshold, progress=step("recommendations"), report=report)
            progress(prefix + stage_words("saving"), 0, 0, force=True)  # commits the clusters with the progress
        except ClusterError as error:
            session.rollback()
            raise JobRefused(str(error)) from None
        result.append(describe(report, consultation.title))
    finish(session, run, result)
