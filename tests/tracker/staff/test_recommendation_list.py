"""The staff recommendations list (/staff/recommendations): every filter narrows, filters combine,
counts per link and decision state, bad parameters are refused with a message, a fixed number
of queries whatever the page size, and who may read it."""
from __future__ import annotations

import re

import pytest
from conftest import count_statements
from sqlalchemy import select

from consultations import count_cache, recommendation_list as listing
from test_accessibility import browser, site  # noqa: F401 (fixtures: the demo served to Chromium)
from consultations.models import Cluster, ClusterMember, FrameworkItem, Link, Question, Recommendation, Respondent, \
    Response, utcnow
from consultations.recommendation_list import RecommendationFilters
from consultations.workflow import Decision
from consultations import organisation_types
from tracker.db import db

URL = "/staff/recommendations"


@pytest.fixture
def demo(demo_app, users, session):
    """The full demo (45 recommendations, 6 decisions, 18 confirmed links) and a user per role."""
    return session


def ids(session, filters: RecommendationFilters) -> set[int]:
    return set(session.scalars(listing.matching_ids(filters)))


def live(session) -> set[int]:
    return set(session.scalars(
        select(Recommendation.id).join(Response).where(Recommendation.deleted_at.is_(None),
                                                       Response.deleted_at.is_(None))))


def response_of(session, name: str) -> Response:
    return session.scalars(select(Response).join(Respondent).where(Respondent.name == name)).one()


def keys_on_page(html: str) -> list[str]:
    return re.findall(r'<span class="govuk-visually-hidden">Recommendation </span>([^<]+)<', html)


def caption_total(html: str) -> int:
    match = re.search(r"of (\d+) recommendations?", html)
    return int(match.group(1)) if match else 0


# --- the domain: what each filter means ----------------------------------------------------


def test_no_filter_lists_every_live_recommendation_and_soft_deleted_ones_never(demo):
    everything = live(demo)
    assert ids(demo, RecommendationFilters()) == everything and len(everything) == 45
    rec = demo.scalars(select(Recommendation).order_by(Recommendation.id)).first()
    rec.deleted_at = utcnow()
    response = response_of(demo, "Clinks")
    response.deleted_at = utcnow()
    demo.flush()
    listed = ids(demo, RecommendationFilters())
    assert rec.id not in listed
    assert not listed & {r.id for r in response.recommendations}
    assert listing.count_states(demo, RecommendationFilters()).total == len(listed)


def test_each_filter_narrows_to_exactly_its_recommendations(demo):
    clinks = response_of(demo, "Clinks")
    clinks_ids = {r.id for r in clinks.recommendations}
    assert ids(demo, RecommendationFilters(respondent_id=clinks.respondent_id)) == clinks_ids
    assert ids(demo, RecommendationFilters(consultation_id=clinks.consultation_id)) == live(demo)
    assert ids(demo, RecommendationFilters(consultation_id=999_999)) == set()

    individual = organisation_types.match(demo, "Private individual")
    private = {r.id for r in demo.scalars(select(Recommendation).join(Response).join(Respondent)
                                          .where(Respondent.organisation_type_id == individual.id))}
    assert private and ids(demo, RecommendationFilters(organisation_type_id=individual.id)) == private

    question = demo.scalars(select(Question).order_by(Question.id)).first()
    answering = set(demo.scalars(select(Recommendation.id).where(Recommendation.question_id == question.id)))
    assert ids(demo, RecommendationFilters(question_id=question.id)) == answering

    women = {r.id for r in demo.scalars(select(Recommendation)) if "women" in r.text.lower()}
    assert women and ids(demo, RecommendationFilters(text="WOMEN")) == women
    assert ids(demo, RecommendationFilters(text="100%_")) == set()  # LIKE wildcards are literal

    decided = dict(demo.execute(select(Decision.recommendation_id, Decision.state)).all())
    for state in ("draft", "approved", "published"):
        assert ids(demo, RecommendationFilters(decision_state=state)) == {i for i, s in decided.items() if s == state}
    assert ids(demo, RecommendationFilters(decision_state="none")) == live(demo) - set(decided)
    accepted = set(demo.scalars(select(Decision.recommendation_id).where(Decision.outcome == "accepted")))
    assert accepted and ids(demo, RecommendationFilters(outcome="accepted")) == accepted


def test_link_state_and_standard(demo):
    confirmed = set(demo.scalars(select(Link.recommendation_id).where(Link.status == "confirmed")))
    assert ids(demo, RecommendationFilters(link_state="confirmed")) == confirmed
    assert ids(demo, RecommendationFilters(link_state="suggested")) == set()
    # a proposed suggestion on an unlinked recommendation, and a rejected one on another
    unlinked = sorted(live(demo) - confirmed)
    item = demo.scalars(select(FrameworkItem).where(FrameworkItem.parent_id.is_not(None)).order_by(FrameworkItem.id)).first()
    demo.add_all([Link(recommendation_id=unlinked[0], item_id=item.id, origin="suggested", status="proposed", score=0.5),
                  Link(recommendation_id=unlinked[1], item_id=item.id, origin="suggested", status="rejected")])
    demo.flush()
    assert ids(demo, RecommendationFilters(link_state="suggested")) == {unlinked[0]}
    assert ids(demo, RecommendationFilters(link_state="none")) == live(demo) - confirmed - {unlinked[0]}

    parent = item.parent
    by_item = set(demo.scalars(select(Link.recommendation_id).where(Link.item_id == item.id, Link.status != "rejected")))
    assert ids(demo, RecommendationFilters(standard=item.code)) == by_item
    assert by_item <= ids(demo, RecommendationFilters(standard=parent.code))  # a parent includes its children
    assert ids(demo, RecommendationFilters(standard="no-such-code")) == set()


def test_cluster_and_assignee(demo, users):
    cluster = demo.scalars(select(Cluster)).one()
    members = set(demo.scalars(select(ClusterMember.recommendation_id).where(ClusterMember.cluster_id == cluster.id,
                                                                              ClusterMember.removed_at.is_(None))))
    assert members
    assert ids(demo, RecommendationFilters(cluster=cluster.id)) == members
    assert ids(demo, RecommendationFilters(cluster="proposed")) == members
    assert ids(demo, RecommendationFilters(cluster="any")) == members
    assert ids(demo, RecommendationFilters(cluster="confirmed")) == set()
    assert ids(demo, RecommendationFilters(cluster="none")) == live(demo) - members

    clinks = response_of(demo, "Clinks")
    clinks.assignee_id = users["policy"]
    demo.flush()
    clinks_ids = {r.id for r in clinks.recommendations}
    assert ids(demo, RecommendationFilters(assignee_id=users["policy"])) == clinks_ids
    assert ids(demo, RecommendationFilters(unassigned=True)) == live(demo) - clinks_ids


def test_filters_combine_and_counts_follow_them(demo):
    clinks = response_of(demo, "Clinks")
    both = RecommendationFilters(respondent_id=clinks.respondent_id, decision_state="published")
    published_clinks = set(demo.scalars(select(Decision.recommendation_id).join(Recommendation)
                                        .where(Decision.state == "published",
                                               Recommendation.response_id == clinks.id)))
    assert published_clinks and ids(demo, both) == published_clinks

    counts = listing.count_states(demo, RecommendationFilters(respondent_id=clinks.respondent_id))
    assert counts.total == len(clinks.recommendations)
    assert sum(counts.by_link_state.values()) == counts.total
    assert sum(counts.by_decision_state.values()) == counts.total
    assert counts.by_decision_state["published"] == len(published_clinks)
    # a state's count is what choosing it lists: each dimension ignores only its own filter
    chosen = listing.count_states(demo, both)
    assert chosen.total == len(published_clinks)
    assert chosen.by_decision_state == counts.by_decision_state
    assert sum(chosen.by_link_state.values()) == len(published_clinks)


def test_kept_counts_follow_a_new_link(demo, sign_in):
    """The counts are kept between requests (consultations.count_cache); a confirmed link moves
    a recommendation to "confirmed" on the next look at the list."""
    client = sign_in("viewer")
    before = listing.count_states(demo, RecommendationFilters())
    client.get(URL + "?link_state=confirmed")  # the page keeps the counts too
    unlinked = demo.scalars(select(Recommendation.id).where(~Recommendation.id.in_(select(Link.recommendation_id)))
                            .order_by(Recommendation.id)).first()
    demo.add(Link(recommendation_id=unlinked, item_id=demo.scalars(select(FrameworkItem.id)).first(),
                  origin="manual", status="confirmed"))
    demo.commit()
    after = listing.count_states(demo, RecommendationFilters())
    assert after.by_link_state["confirmed"] == before.by_link_state["confirmed"] + 1
    html = client.get(URL + "?link_state=confirmed").get_data(as_text=True)
    assert f"of {after.by_link_state['confirmed']} recommendations" in html


def test_a_duplicate_shows_the_decision_of_its_primary(demo):
    decision = demo.scalars(select(Decision).where(Decision.state == "published")).first()
    other = demo.scalars(select(Recommendation).where(Recommendation.id.not_in(
        select(Decision.recommendation_id))).order_by(Recommendation.id)).first()
    other.duplicate_of_id = decision.recommendation_id
    demo.flush()
    assert other.id in ids(demo, RecommendationFilters(decision_state="published"))


def test_only_the_newest_live_decision_counts(demo):
    """A deleted decision is no decision: a newer deleted one does not hide the live one before it,
    and a recommendation whose only decision is deleted is undecided."""
    decision = demo.scalars(select(Decision).where(Decision.state == "published")).first()
    rec_id = decision.recommendation_id
    demo.add(Decision(recommendation_id=rec_id, outcome="rejected", state="draft", public_rationale="Later.",
                      deleted_at=utcnow()))
    demo.flush()
    assert rec_id in ids(demo, RecommendationFilters(decision_state="published"))
    assert rec_id not in ids(demo, RecommendationFilters(decision_state="draft"))
    decision.deleted_at = utcnow()
    demo.flush()
    assert rec_id in ids(demo, RecommendationFilters(decision_state=listing.NO_DECISION))


def test_sorts_and_pages(demo):
    everything = listing.list_page(demo, RecommendationFilters(), limit=100)
    assert len(everything) == 45
    for sort in listing.SORTS:
        rows = listing.list_page(demo, RecommendationFilters(), sort, limit=100)
        assert {r.id for r in rows} == {r.id for r in everything}, sort
    received = [r.received_on for r in listing.list_page(demo, RecommendationFilters(), "received", limit=100)]
    assert received == sorted(received)
    by_decision = [r.decision_state for r in listing.list_page(demo, RecommendationFilters(), "decision", limit=100)]
    assert by_decision == sorted(by_decision, key=listing.DECISION_FILTER_STATES.index)
    names = [r.respondent for r in listing.list_page(demo, RecommendationFilters(), "respondent", limit=100)]
    assert names == sorted(names)
    keys = [r.key for r in listing.list_page(demo, RecommendationFilters(), "key", limit=100)]
    assert keys == sorted(keys, key=lambda key: (len(key), key))  # R2 before R10
    first, second = (listing.list_page(demo, RecommendationFilters(), limit=10, offset=o) for o in (0, 10))
    assert not {r.id for r in first} & {r.id for r in second}
    with pytest.raises(ValueError):
        listing.list_page(demo, RecommendationFilters(), "nonsense", limit=10)


# --- the page ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(demo_app, client):
    response = client.get(URL + "?decision_state=none")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("role", ["admin", "policy", "methodology", "approver", "viewer"])
def test_every_staff_role_reads_the_list(demo, sign_in, role):
    html = sign_in(role).get(URL).get_data(as_text=True)
    assert "Showing 1 to 25 of 45 recommendations" in html
    assert 'href="/staff/recommendations"' in html  # in the staff navigation
    assert ("/edit\"" in html) == (role == "policy")  # the edit link only for those who may edit


def test_the_page_filters_counts_and_links_to_each_recommendations_pages(demo, sign_in):
    client = sign_in("policy")
    clinks = response_of(demo, "Clinks")
    html = client.get(f"{URL}?respondent={clinks.respondent_id}&decision_state=published&per_page=100").get_data(
        as_text=True)
    published = demo.scalars(select(Recommendation).join(Decision, Decision.recommendation_id == Recommendation.id)
                             .where(Decision.state == "published", Recommendation.response_id == clinks.id)).all()
    assert sorted(keys_on_page(html)) == sorted(r.key for r in published)
    assert caption_total(html) == len(published)
    rec = published[0]
    for href in (f"/staff/recommendations/{rec.id}", f"/staff/recommendations/{rec.id}/edit",
                 f"/staff/recommendations/{rec.id}/links", f"/staff/recommendations/{rec.id}/decision",
                 f"/staff/responses/{clinks.id}"):
        assert f'href="{href}"' in html, href
    # the count links keep the other filters and change only their own
    draft_href = re.search(r'href="(/staff/recommendations\?[^"]*decision_state=draft[^"]*)"', html).group(1)
    assert set(draft_href.split("?")[1].split("&amp;")) == {
        f"respondent={clinks.respondent_id}", "decision_state=draft", "per_page=100"}
    # combined through the URL: text and organisation type
    voluntary = clinks.respondent.organisation_type
    html = client.get(URL + f"?text=women&organisation_type={voluntary.id}&per_page=100").get_data(as_text=True)
    expected = [r.key for r in demo.scalars(select(Recommendation).join(Response).join(Respondent)
                                            .where(Respondent.organisation_type_id == voluntary.id))
                if "women" in r.text.lower()]
    assert expected and sorted(keys_on_page(html)) == sorted(expected)


def test_assignee_me_means_the_signed_in_user(demo, users, sign_in):
    clinks = response_of(demo, "Clinks")
    clinks.assignee_id = users["viewer"]
    demo.commit()
    client = sign_in("viewer")
    html = client.get(URL + "?assignee=me&per_page=100").get_data(as_text=True)
    assert caption_total(html) == len(clinks.recommendations)
    assert client.get(URL + "?assignee=none").status_code == 200
    assert caption_total(client.get(URL + "?assignee=none").get_data(as_text=True)) == 45 - len(clinks.recommendations)


@pytest.mark.parametrize("query, message", [
    ("consultation=abc", "Choose a consultation from the list"),
    ("consultation=999999", "Choose a consultation from the list"),
    ("question=x", "Choose a question from the list"),
    ("respondent=-1", "Choose a respondent from the list"),
    ("organisation_type=Nobody", "Choose an organisation type from the list"),
    ("link_state=maybe", "Choose a link state from the list"),
    ("decision_state=rejected", "Choose a decision state from the list"),
    ("outcome=perhaps", "Choose an outcome from the list"),
    ("cluster=99999", "Choose a duplicate cluster option from the list"),
    ("assignee=someone", "Choose who the responses are assigned to from the list"),
    ("standard=99.99.99", "No standard or objective has the code 99.99.99"),
    ("text=" + "x" * 201, "The text to look for must be 200 characters or fewer"),
    ("text=a%00b", "Text contains must not contain control characters"),
    ("standard=1%00", "Standard or objective code must not contain control characters"),
    ("sort=sideways", "Choose how to sort from the list"),
    ("per_page=1000000", "Choose how many recommendations to show per page"),
])
def test_bad_parameters_are_refused_with_a_message(demo, sign_in, query, message):
    response = sign_in("viewer").get(f"{URL}?{query}&page=abc")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert "Showing 1 to 25 of 45" in html  # the bad filter is ignored, the list still shows


def test_a_fixed_number_of_queries_whatever_the_page_size(demo_app, demo, sign_in):
    client = sign_in("viewer")
    full = "?consultation=1&standard=1&link_state=confirmed&decision_state=published&cluster=any&assignee=me" \
           "&text=a&sort=decision&outcome=accepted"
    for query in ("", full):
        sizes = {}
        for per_page in ("10", "100"):
            client.get(URL + "?per_page=" + per_page)  # warm the caches a first request fills
            with demo_app.app_context():
                count_cache.forget(db.session)  # both sizes count the states (the query a change needs)
            with count_statements(demo_app) as statements:
                assert client.get(f"{URL}?per_page={per_page}&{query.lstrip('?')}").status_code == 200
            sizes[per_page] = len(statements)
        assert sizes["10"] == sizes["100"], (query, sizes)
        assert sizes["100"] <= 12, sizes


# --- in a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_the_list_meets_wcag_22_aa_in_a_browser(site, browser):
    """axe in Chromium on the list, filtered, and with a refused filter (its error summary)."""
    from browser import CHROMIUM, axe_violations, describe, new_context
    from test_accessibility import sign_in as sign_in_browser

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make setup` installs it")
    _, base = site
    context = new_context(browser)
    found, statuses = [], []
    try:
        sign_in_browser(context, base, "policy")
        page = context.new_page()
        for url in (URL, URL + "?decision_state=none&link_state=none&sort=respondent&per_page=10&page=2",
                    URL + "?standard=99.99&link_state=maybe"):
            statuses.append(page.goto(base + url, wait_until="load").status)
            violations = axe_violations(page)
            if violations:
                found.append(describe(url, violations))
    finally:
        context.close()
    assert statuses == [200, 200, 400]
    assert not found, "WCAG violations:\n" + "\n".join(found)
