"""The recommendations list across responses: the view reads the filter form and renders; what
the filters mean, the counts and the rows come from ``consultations.recommendation_list``.

A fixed number of queries whatever the page size: the signed-in user, five for the filter
choices (one more to check a cluster id or a standard code when given), one to read the
publication stamp and, when something changed, one for the counts per state (which give the
total, so ``db.paginate`` counts nothing; ``consultations.count_cache``), one for the page's ids
and one for their rows.
"""
from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from sqlalchemy import exists, or_, select

from consultations import recommendation_list as listing
from consultations.organisation_types import filter_options as organisation_type_options
from consultations.models import Cluster, Consultation, FrameworkItem, Question, Respondent, Response
from consultations.vocabulary import DECISION_OUTCOMES, DECISION_STATES
from consultations.workflow import User

from tracker.db import db
from tracker.staff.recommendations.forms import PER_PAGE_CHOICES, RecommendationFilterForm
from tracker.web.forms import error_list, options
from tracker.web.paging import paginate
from tracker.web.roles import login_required

bp = Blueprint("recommendations", __name__)

DEFAULT_PER_PAGE = 25
ME, UNASSIGNED = "me", "none"
TEXT_SHOWN = 160  # characters of a recommendation's text in a row
FILTER_PARAMS = ("consultation", "question", "respondent", "organisation_type", "standard", "link_state",
                 "decision_state", "outcome", "cluster", "assignee", "text")


def _fill_choices(form: RecommendationFilterForm) -> None:
    consultations = db.session.execute(
        select(Consultation.id, Consultation.title).order_by(Consultation.title, Consultation.id)).all()
    questions = db.session.execute(
        select(Question.id, Question.number, Question.text, Consultation.title)
        .join(Consultation, Consultation.id == Question.consultation_id)
        .order_by(Consultation.title, Question.consultation_id, Question.position, Question.id)).all()
    respondents = db.session.execute(
        select(Respondent.id, Respondent.name)
        .where(exists().where(Response.respondent_id == Respondent.id))
        .order_by(Respondent.name, Respondent.id)).all()
    organisation_types = organisation_type_options(db.session)
    users = db.session.execute(select(User.id, User.name, User.active).order_by(User.name, User.id)).all()

    several = len(consultations) > 1
    form.consultation.choices = options([("", "All consultations"), *consultations])
    form.question.choices = options([("", "All questions"), *(
        (qid, (f"{title}: " if several else "") + f"{number}. {_shorten(text, 80)}")
        for qid, number, text, title in questions)])
    form.respondent.choices = options([("", "All respondents"), *respondents])
    form.organisation_type.choices = options([("", "All organisation types"), *organisation_types])
    form.link_state.choices = options([("", "Any"), *listing.LINK_STATES.choices()])
    form.decision_state.choices = options([("", "Any"), (listing.NO_DECISION, "No decision"),
                                           *DECISION_STATES.choices()])
    form.outcome.choices = options([("", "Any outcome"), *DECISION_OUTCOMES.choices()])
    cluster_choices = [("", "Any"), *listing.CLUSTER_CHOICES.items()]
    raw_cluster = (request.args.get("cluster") or "").strip()
    if raw_cluster.isascii() and raw_cluster.isdigit() and len(raw_cluster) < 12 and db.session.scalar(
            select(Cluster.id).where(Cluster.id == int(raw_cluster))):
        cluster_choices.append((raw_cluster, f"Duplicate cluster {raw_cluster}"))
    form.cluster.choices = options(cluster_choices)
    form.assignee.choices = options([("", "Anyone or nobody"), (ME, "Me"), (UNASSIGNED, "Unassigned"), *(
        (uid, name + ("" if active else " (deactivated)")) for uid, name, active in users)])
    form.sort.choices = options(listing.SORTS.items())
    form.per_page.choices = options((n, n) for n in PER_PAGE_CHOICES)


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _check_standard(form: RecommendationFilterForm) -> None:
    code = (form.standard.data or "").strip()
    if code and not form.standard.errors and db.session.scalar(
            select(FrameworkItem.id).where(or_(FrameworkItem.code == code,
                                               FrameworkItem.code.startswith(code + ".", autoescape=True))).limit(1)
    ) is None:
        form.standard.errors = [*form.standard.errors, f"No standard or objective has the code {code}. "
                                "Check the code on the framework's page"]


def filters_from(form: RecommendationFilterForm) -> listing.RecommendationFilters:
    """The domain's filters from the valid fields; a field with an error filters nothing."""

    def value(field):
        return None if field.errors or field.data in (None, "") else field.data

    assignee = value(form.assignee)
    return listing.RecommendationFilters(
        consultation_id=int(value(form.consultation)) if value(form.consultation) else None,
        question_id=int(value(form.question)) if value(form.question) else None,
        respondent_id=int(value(form.respondent)) if value(form.respondent) else None,
        organisation_type_id=int(value(form.organisation_type)) if value(form.organisation_type) else None,
        standard=(value(form.standard) or "").strip() or None,
        link_state=value(form.link_state),
        decision_state=value(form.decision_state),
        outcome=value(form.outcome),
        cluster=(int(value(form.cluster)) if (value(form.cluster) or "").isdigit() else value(form.cluster)),
        assignee_id=g.user.id if assignee == ME else (int(assignee) if assignee and assignee != UNASSIGNED else None),
        unassigned=assignee == UNASSIGNED,
        text=(value(form.text) or "").strip() or None,
    )


def read_filters() -> tuple[RecommendationFilterForm, listing.RecommendationFilters, str, list[dict]]:
    """The filter form read from the query string, the domain's filters and sort from its valid
    fields, and the problems with the others (the list shows them; a download refuses)."""
    form = RecommendationFilterForm(formdata=request.args)
    _fill_choices(form)
    form.validate()
    _check_standard(form)
    sort = form.sort.data if form.sort.data and not form.sort.errors else listing.DEFAULT_SORT
    return form, filters_from(form), sort, error_list(form)


@bp.route("/recommendations")
@login_required
def index():
    """Recommendations across responses, filtered, counted by link and decision state, sorted and paged."""
    form, filters, sort, errors = read_filters()
    per_page = int(form.per_page.data) if form.per_page.data and not form.per_page.errors else DEFAULT_PER_PAGE
    counts = listing.count_states(db.session, filters)
    listed = paginate(listing.ordered_ids(filters, sort), per_page, total=counts.total)
    rows = listing.rows_for(db.session, list(listed.items))
    page = listed.page

    params = {k: v for k, v in request.args.to_dict(flat=True).items() if k != "page" and v}

    def state_url(name: str, state: str | None) -> str:
        return url_for("recommendations.index", **{k: v for k, v in params.items() if k != name},
                       **({name: state} if state else {}))

    link_counts = [{"state": s, "label": listing.LINK_STATES.label(s), "count": counts.by_link_state.get(s, 0),
                    "href": state_url("link_state", s), "current": s == filters.link_state}
                   for s in listing.LINK_STATES]
    decision_counts = [{"state": s, "label": "No decision" if s == listing.NO_DECISION else DECISION_STATES.label(s),
                        "count": counts.by_decision_state.get(s, 0), "href": state_url("decision_state", s),
                        "current": s == filters.decision_state}
                       for s in listing.DECISION_FILTER_STATES]
    return render_template(
        "staff/recommendations/list.html",
        form=form,
        errors=errors,
        rows=rows,
        text_shown=TEXT_SHOWN,
        link_terms={term.value: term for term in listing.LINK_STATES.terms},
        shorten=_shorten,
        counts=counts,
        link_counts=link_counts,
        decision_counts=decision_counts,
        any_link_url=state_url("link_state", None),
        any_decision_url=state_url("decision_state", None),
        first=(page - 1) * per_page + 1 if rows else 0,
        last=(page - 1) * per_page + len(rows),
        page=page,
        pages=listed.pages,
        page_url=lambda number: url_for("recommendations.index", **params, page=number),
        filtered=any(params.get(name) for name in FILTER_PARAMS),
        filter_params=FILTER_PARAMS,
    ), (400 if errors else 200)


from tracker.staff.recommendations import bulk, downloads  # noqa: E402,F401  (register their routes on bp)
