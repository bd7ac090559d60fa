"""Near-duplicate detection, campaigns and clusters: the algorithm on its own, the ``duplicates
find`` command, the review pages (confirm, reject, remove a member), what confirming does to
decisions and public credit, refusals that change nothing, roles, fixed queries, and the real
UPR data (precision above a floor, known near-duplicates found together)."""
from __future__ import annotations

import csv
from html import unescape
import itertools
import random
import re

import pytest
from conftest import FIXTURES, SHARED_DATA, count_statements
from sqlalchemy import func, select

from consultations import duplicates
from consultations.clusters import confirm_cluster
from consultations.duplicates import (
    Shingling,
    choose_bands,
    find_campaigns,
    find_clusters,
    normalise,
    similarity,
    variation,
)
from consultations.models import (
    Campaign,
    Cluster,
    ClusterMember,
    Consultation,
    Recommendation,
    Respondent,
    Response,
)
from consultations import decisions as decision_rules
from consultations.workflow import AuditEvent
from consultations.organisation_types import named as named_type

UPR = SHARED_DATA / "upr-recommendations.csv"
LABELS = FIXTURES / "upr-duplicate-labels.csv"

SCHEDULE = "The inspectorate should publish its inspection schedule for each region at least twelve months in advance."
SCHEDULE_EDITED = "The inspectorate should publish its inspection schedule for each region at least twelve months ahead."
SCHEDULE_RECOMMENDED = ("We recommend the inspectorate should publish its inspection schedule for each region at least "
                        "twelve months in advance.")
# One word changed mid-sentence changes three of its sixteen 3-word phrases: similarity 0.65.
SCHEDULE_OTHER_WORDING = ("The inspectorate must publish its inspection schedule for each region at least twelve "
                          "months in advance.")
PROBATION = "Inspectors should speak to people on probation during every inspection and report what they heard."
HOUSING = "Every inspection report should say how many people left prison without settled accommodation."


# ---------------------------------------------------------------------------
# The algorithm
# ---------------------------------------------------------------------------


def test_normalising_ignores_case_punctuation_and_spacing():
    assert normalise("  The Inspectorate   SHOULD publish… its schedule!  ") == "the inspectorate should publish its schedule"
    assert similarity("Publish the schedule, now.", "publish   the SCHEDULE now") == 1.0
    assert similarity("", "") == 0.0  # nothing to compare is not a match


def test_identical_and_near_identical_texts_cluster_and_different_ones_stay_apart():
    items = [(1, SCHEDULE), (2, PROBATION), (3, SCHEDULE.upper()), (4, SCHEDULE_EDITED), (5, HOUSING), (6, "")]
    clusters = find_clusters(items, 0.7)
    assert [c.members for c in clusters] == [[1, 3, 4]]
    cluster = clusters[0]
    assert cluster.scores[1] == cluster.scores[3] == 1.0
    assert 0.7 <= cluster.scores[4] < 1.0
    assert cluster.primary in (1, 3)


def test_threshold_decides_exactly_at_the_exact_similarity():
    score = similarity(SCHEDULE, SCHEDULE_OTHER_WORDING)
    assert 0.6 < score < 0.7  # one word changed in the middle of a short sentence
    assert find_clusters([("a", SCHEDULE), ("b", SCHEDULE_OTHER_WORDING)], score)[0].members == ["a", "b"]
    assert find_clusters([("a", SCHEDULE), ("b", SCHEDULE_OTHER_WORDING)], min(1.0, score + 0.01)) == []


def test_results_are_deterministic_and_do_not_depend_on_input_order():
    rnd = random.Random(5)
    words = "inspect prison probation report publish women housing staff training family court data".split()
    base = [" ".join(rnd.choice(words) for _ in range(20)) for _ in range(40)]
    items = [(i, text) for i, text in enumerate(base)]
    for i, text in enumerate(base[:10]):  # a light edit of ten of them
        tokens = text.split()
        tokens[-1] = "independent"
        items.append((100 + i, " ".join(tokens)))
    first = find_clusters(items, 0.6)
    again = find_clusters(items, 0.6)
    shuffled = items[:]
    rnd.shuffle(shuffled)
    other_order = find_clusters(shuffled, 0.6)
    assert [(c.members, c.primary, c.scores) for c in first] == [(c.members, c.primary, c.scores) for c in again]
    assert {frozenset(c.members) for c in first} == {frozenset(c.members) for c in other_order}
    assert any({i, 100 + i} <= set(c.members) for c in first for i in range(10))


def test_lsh_finds_every_pair_above_the_threshold_in_a_larger_set():
    """Banding must not lose pairs: compare with checking every pair exactly."""
    rnd = random.Random(11)
    words = [f"w{n}" for n in range(300)]
    texts = {}
    for i in range(150):
        texts[i] = [rnd.choice(words) for _ in range(rnd.randint(12, 30))]
    for i in range(150, 230):  # edits of earlier texts: one to three words changed
        tokens = list(texts[rnd.randrange(150)])
        for _ in range(rnd.randint(1, 3)):
            tokens[rnd.randrange(len(tokens))] = rnd.choice(words)
        texts[i] = tokens
    items = [(i, " ".join(tokens)) for i, tokens in texts.items()]
    found = {frozenset(pair) for c in find_clusters(items, 0.7) for pair in itertools.combinations(c.members, 2)}
    exact = {frozenset((a, b)) for (a, ta), (b, tb) in itertools.combinations(items, 2) if similarity(ta, tb) >= 0.7}
    assert exact and exact <= found


def test_bands_keep_recall_at_the_threshold():
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        bands, rows = choose_bands(threshold)
        assert bands * rows <= duplicates.DEFAULT_NUM_PERM
        assert 1 - (1 - threshold ** rows) ** bands >= 0.99


def test_bad_threshold_and_shingling_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="between 0 and 1"):
        find_clusters([(1, "a b c")], 1.5)
    with pytest.raises(ValueError, match="'word' or 'char'"):
        Shingling("sentence", 3)


def test_character_shingles_also_work():
    clusters = find_clusters([(1, SCHEDULE), (2, SCHEDULE_EDITED), (3, PROBATION)], 0.8, shingling=Shingling("char", 5))
    assert [c.members for c in clusters] == [[1, 2]]


TEMPLATE = (
    "Dear inspectorate,\n\nI am writing in support of the Fair Probation Campaign. "
    "Inspections should always include the voices of people on probation. "
    "Reports should state how many people were released without a home. "
    "Women on probation need women-only reporting centres. "
    "Please publish every inspection report in an easy-read version. "
    "Thank you for considering my views.\n\nYours sincerely"
)
PERSONAL = [
    "My brother was released from prison with nowhere to live.",
    "I volunteer at a food bank near the probation office.",
    "As a former probation officer I have seen this first hand.",
]


def campaign_letters(n: int, seed: int = 3) -> dict[str, str]:
    """Template letters: a third word for word, the rest with a personal sentence added, and
    some leaving one template sentence out."""
    rnd = random.Random(seed)
    sentences = duplicates.sentences(TEMPLATE)
    letters = {}
    for i in range(n):
        parts = list(sentences)
        if i % 3 == 1:
            parts.insert(2, PERSONAL[i % len(PERSONAL)] + f" I live in town {i}.")
        if i % 3 == 2:
            parts.insert(3, PERSONAL[i % len(PERSONAL)])
            parts.pop(4 + rnd.randrange(2))
        letters[f"supporter-{i}"] = " ".join(parts)
    return letters


OWN_RESPONSES = {
    "clinks": "Clinks welcomes the proposals. We recommend that inspection reports include a section on "
              "the voluntary sector. We also urge the inspectorate to review its approach to small providers.",
    "howard": "The Howard League is concerned that inspections are too infrequent. Each probation area should be "
              "inspected every two years, and the inspectorate should follow up every recommendation it makes.",
}


def test_campaign_groups_template_letters_and_shows_each_variation():
    letters = campaign_letters(30)
    items = [*letters.items(), *OWN_RESPONSES.items()]
    groups = find_campaigns(items)
    assert len(groups) == 1
    group = groups[0]
    assert set(group.members) == set(letters)
    assert group.canonical == "supporter-0"  # the most common text: the template word for word
    assert group.variations["supporter-0"].identical and group.variations["supporter-3"].identical
    one = group.variations["supporter-1"]
    assert one.added == [PERSONAL[1], "I live in town 1."] and one.omitted == 0
    two = group.variations["supporter-2"]
    assert two.added == [PERSONAL[2]] and two.omitted == 1
    assert 0 < two.similarity < 1


def test_short_responses_are_not_campaigns_but_their_recommendations_still_cluster():
    """A response that is one recommendation, made word for word by another, is a cluster of
    recommendations; proposing it as a campaign as well would ask staff twice."""
    short = [("a", SCHEDULE), ("b", SCHEDULE), ("c", SCHEDULE_EDITED)]
    assert find_campaigns(short) == []
    assert find_campaigns(short, min_words=5)[0].members == ["a", "b", "c"]
    assert find_clusters(short)[0].members == ["a", "b", "c"]


def test_campaign_canonical_is_the_letter_with_the_least_personal_wording_when_all_differ():
    letters = {f"s{i}": TEMPLATE.replace("Yours sincerely", f"Yours sincerely, supporter number {i} of many "
                                         + " ".join(["from the north"] * (i % 4)))
               for i in range(6)}
    group = find_campaigns(letters.items())[0]
    assert group.canonical in ("s0", "s4")  # no extra words beyond the signature
    v = variation(letters[group.canonical], letters["s3"])
    assert v.added and v.omitted == 1  # its signature line replaces the template's


# ---------------------------------------------------------------------------
# Data helpers for the application tests
# ---------------------------------------------------------------------------


def make_consultation(session, slug: str = "dup-test") -> Consultation:
    consultation = Consultation(slug=slug, title="Changes to inspection", body="HM Inspectorate", status="open")
    session.add(consultation)
    session.flush()
    return consultation


def add_response(session, consultation, name: str, recommendations: list[str], text: str | None = None,
                 consent: str = "named") -> Response:
    respondent = Respondent(name=name, consent=consent, organisation_type=named_type(session, "charity"))
    response = Response(consultation=consultation, respondent=respondent, channel="email",
                        text=text if text is not None else " ".join(recommendations))
    session.add(response)
    for n, rec_text in enumerate(recommendations, start=1):
        session.add(Recommendation(response=response, key=f"R{n}", sequence=n, text=rec_text, spans=[],
                                   unresolved_references=[]))
    session.flush()
    return response


def rec_of(session, name: str, key: str = "R1") -> Recommendation:
    return session.scalars(
        select(Recommendation).join(Recommendation.response).join(Response.respondent)
        .where(Respondent.name == name, Recommendation.key == key)
    ).one()


@pytest.fixture
def scenario(app, session, users):
    """Four respondents: three make the schedule point in nearly the same words, one does not."""
    consultation = make_consultation(session)
    add_response(session, consultation, "Alpha Trust", [SCHEDULE, PROBATION])
    add_response(session, consultation, "Beta Society", [SCHEDULE_EDITED, HOUSING])
    add_response(session, consultation, "Gamma Group", [SCHEDULE_RECOMMENDED])
    add_response(session, consultation, "Delta Voice", ["Publish reports faster, in plain English, for everyone."])
    session.commit()
    return session


def find(runner, slug: str = "dup-test", *extra: str):
    result = runner.invoke(args=["duplicates", "find", "--consultation", slug, "--no-progress", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def only_cluster(session) -> Cluster:
    session.expire_all()
    return session.scalars(select(Cluster)).one()


def snapshot(session) -> list:
    session.expire_all()
    recs = [(r.id, r.text, r.duplicate_of_id, r.deleted_at, r.version_id)
            for r in session.scalars(select(Recommendation).order_by(Recommendation.id))]
    clusters = [(c.id, c.status, c.primary_id, c.version_id) for c in session.scalars(select(Cluster).order_by(Cluster.id))]
    members = [(m.id, m.removed_at) for m in session.scalars(select(ClusterMember).order_by(ClusterMember.id))]
    campaigns = [(c.id, c.status, c.version_id) for c in session.scalars(select(Campaign).order_by(Campaign.id))]
    # Signing in is audited on the user; what the snapshot guards is the duplicates' own history.
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type != "user"))
    return [recs, clusters, members, campaigns, events]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_find_proposes_a_cluster_and_reports_what_it_found(scenario, runner):
    output = find(runner)
    assert "dup-test: 4 responses and 6 recommendations checked" in output
    assert "Clusters: 1 found (3 recommendations), 1 new." in output
    assert "Campaigns: 0 found, 0 new." in output
    cluster = only_cluster(scenario)
    assert cluster.status == "proposed"
    members = {m.recommendation.response.respondent.name: m.score for m in cluster.members}
    assert set(members) == {"Alpha Trust", "Beta Society", "Gamma Group"}
    assert cluster.primary.response.respondent.name == "Alpha Trust"  # the most like the others
    assert all(0.7 <= score <= 1.0 for score in members.values())
    # Nothing about the recommendations changed: a cluster is only a proposal.
    assert all(r.duplicate_of_id is None for r in scenario.scalars(select(Recommendation)))
    # Running again proposes nothing new.
    assert "Clusters: 1 found (3 recommendations), 0 new." in find(runner)
    assert scenario.scalar(select(func.count()).select_from(Cluster)) == 1


def test_find_refuses_unknown_consultations_and_bad_options(scenario, runner):
    result = runner.invoke(args=["duplicates", "find", "--consultation", "nope"])
    assert result.exit_code == 1 and "No consultation has the slug 'nope'" in result.output
    result = runner.invoke(args=["duplicates", "find"])
    assert result.exit_code == 2 and "Give either --consultation SLUG or --all" in result.output
    result = runner.invoke(args=["duplicates", "find", "--all", "--threshold", "1.5"])
    assert result.exit_code == 2 and "threshold" in result.output
    assert scenario.scalar(select(func.count()).select_from(Cluster)) == 0


def test_find_all_covers_every_consultation_and_never_mixes_them(scenario, runner):
    other = make_consultation(scenario, "other")
    add_response(scenario, other, "Epsilon", [SCHEDULE])
    scenario.commit()
    output = runner.invoke(args=["duplicates", "find", "--all", "--no-progress"]).output
    assert "dup-test:" in output and "other:" in output
    scenario.expire_all()
    for cluster in scenario.scalars(select(Cluster)):
        consultations = {m.recommendation.response.consultation_id for m in cluster.members}
        assert consultations == {cluster.consultation_id}


def test_a_stricter_threshold_proposes_fewer(scenario, runner):
    assert "Clusters: 1 found (2 recommendations), 1 new." in find(runner, "dup-test", "--threshold", "0.85")
    assert "Clusters: 0 found (0 recommendations), 0 new." in find(runner, "dup-test",
                                                                   "--threshold", "0.95")


# ---------------------------------------------------------------------------
# Confirming, rejecting, removing
# ---------------------------------------------------------------------------


def test_confirm_marks_duplicates_one_decision_answers_all_and_everyone_is_credited(scenario, runner, sign_in,
                                                                                     client, users):
    find(runner)
    cluster = only_cluster(scenario)
    alpha, beta, gamma = (rec_of(scenario, n) for n in ("Alpha Trust", "Beta Society", "Gamma Group"))
    policy = sign_in("policy")
    page = policy.get(f"/staff/clusters/{cluster.id}").get_data(as_text=True)
    assert "Confirm: mark the others as duplicates" in page and SCHEDULE_EDITED in page
    assert "Similar wording: at least 70% of their runs of 3 words in a row are the same" in page
    assert not any(jargon in page for jargon in ("MinHash", "shingles", "Jaccard"))

    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm",
                     data={"confirm-primary": alpha.id, "confirm-version": cluster.version_id})
    assert rv.status_code == 302
    page = policy.get(rv.headers["Location"]).get_data(as_text=True)
    assert "Cluster confirmed: 2 recommendations marked as duplicates of R1 from Alpha Trust" in text_of(page)

    scenario.expire_all()
    assert beta.duplicate_of_id == gamma.duplicate_of_id == alpha.id and alpha.duplicate_of_id is None
    cluster = only_cluster(scenario)
    assert (cluster.status, cluster.primary_id, cluster.decided_by_id) == ("confirmed", alpha.id, users["policy"])
    changed = scenario.scalars(select(AuditEvent).where(AuditEvent.field == "duplicate_of_id")).all()
    assert {(e.entity_id, e.new, e.user_id) for e in changed} == {(beta.id, str(alpha.id), users["policy"]),
                                                                 (gamma.id, str(alpha.id), users["policy"])}
    assert scenario.scalars(select(AuditEvent).where(AuditEvent.entity_type == "cluster",
                                                     AuditEvent.field == "status")).one().new == "confirmed"

    # One decision on the group answers all three ...
    assert [r.id for r in decision_rules.decision_group(scenario, alpha)] == [alpha.id, beta.id, gamma.id]
    decision = decision_rules.save_decision(scenario, gamma, "accepted", "We will publish schedules a year ahead.", "",
                                      users["approver"])
    decision_rules.approve(decision, users["approver"], two_person_rule=False)
    decision_rules.publish(decision, users["approver"], two_person_rule=False)
    scenario.commit()
    assert decision.recommendation_id == alpha.id
    # ... and every respondent is credited on each published recommendation page.
    client.post("/sign-out")
    page = text_of(client.get(f"/recommendations/{beta.id}").get_data(as_text=True))
    assert "Beta Society" in page and "Also made by Alpha Trust, Gamma Group" in page
    page = text_of(client.get(f"/recommendations/{alpha.id}").get_data(as_text=True))
    assert "Also made by Beta Society, Gamma Group" in page


def test_reject_changes_nothing_else_and_is_not_proposed_again(scenario, runner, sign_in):
    find(runner)
    cluster = only_cluster(scenario)
    before = snapshot(scenario)
    policy = sign_in("policy")
    rv = policy.post(f"/staff/clusters/{cluster.id}/reject", data={"version": cluster.version_id})
    assert rv.status_code == 302
    after = snapshot(scenario)
    assert after[0] == before[0]  # every recommendation exactly as it was
    assert only_cluster(scenario).status == "rejected"
    assert "1 rejected before (not proposed again)" in find(runner)
    assert scenario.scalar(select(func.count()).select_from(Cluster)) == 1
    # A rejected cluster cannot be confirmed afterwards.
    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm",
                     data={"confirm-primary": cluster.primary_id, "confirm-version": only_cluster(scenario).version_id})
    assert rv.status_code == 400 and "This cluster was rejected" in rv.get_data(as_text=True)


def test_remove_a_member_keeps_it_out_and_a_cluster_of_one_is_closed(scenario, runner, sign_in):
    find(runner)
    cluster = only_cluster(scenario)
    beta = rec_of(scenario, "Beta Society")
    policy = sign_in("policy")
    rv = policy.post(f"/staff/clusters/{cluster.id}/members/{beta.id}/remove", data={"version": cluster.version_id})
    assert rv.status_code == 302
    page = text_of(policy.get(rv.headers["Location"]).get_data(as_text=True))
    assert "R1 from Beta Society was removed from the cluster." in page
    assert "Removed from the cluster (1)" in page
    cluster = only_cluster(scenario)
    assert cluster.status == "proposed"
    assert {m.recommendation_id for m in cluster.members if m.removed_at is None} == {
        rec_of(scenario, "Alpha Trust").id, rec_of(scenario, "Gamma Group").id}
    find(runner)  # a later run does not put it back
    cluster = only_cluster(scenario)
    assert [m.removed_at is None for m in cluster.members if m.recommendation_id == beta.id] == [False]

    other = next(m.recommendation_id for m in cluster.members if m.removed_at is None)
    rv = policy.post(f"/staff/clusters/{cluster.id}/members/{other}/remove", data={"version": cluster.version_id})
    assert "the cluster was closed" in policy.get(rv.headers["Location"]).get_data(as_text=True)
    assert only_cluster(scenario).status == "rejected"
    assert all(r.duplicate_of_id is None for r in scenario.scalars(select(Recommendation)))


def test_refusals_say_why_and_change_nothing(scenario, runner, sign_in, users):
    find(runner)
    cluster = only_cluster(scenario)
    beta = rec_of(scenario, "Beta Society")
    policy = sign_in("policy")
    before = snapshot(scenario)

    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm", data={"confirm-version": cluster.version_id})
    assert rv.status_code == 400 and "Choose the recommendation that carries the decision" in rv.get_data(as_text=True)
    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm",
                     data={"confirm-primary": rec_of(scenario, "Delta Voice").id, "confirm-version": cluster.version_id})
    assert rv.status_code == 400 and "The primary must be one of the cluster's recommendations" in text_of(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm", data={"confirm-primary": beta.id})
    assert rv.status_code == 400 and "without the version" in rv.get_data(as_text=True)
    rv = policy.post(f"/staff/clusters/{cluster.id}/reject", data={"version": cluster.version_id + 5})
    assert rv.status_code == 409 and "Someone else decided this cluster" in rv.get_data(as_text=True)
    rv = policy.post(f"/staff/clusters/{cluster.id}/members/{rec_of(scenario, 'Delta Voice').id}/remove",
                     data={"version": cluster.version_id})
    assert rv.status_code == 400 and "is not in this cluster" in rv.get_data(as_text=True)
    assert snapshot(scenario) == before

    # A member with a decision of its own cannot be folded under another primary ...
    decision_rules.save_decision(scenario, beta, "accepted", "Yes.", "", users["approver"])
    scenario.commit()
    before = snapshot(scenario)
    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm",
                     data={"confirm-primary": rec_of(scenario, "Alpha Trust").id, "confirm-version": cluster.version_id})
    body = text_of(rv.get_data(as_text=True))
    assert rv.status_code == 400 and "R1 from Beta Society already has a decision of its own" in body
    assert "Choose it as the primary" in body
    assert snapshot(scenario) == before
    # ... but it can be the primary, keeping its decision for the whole group.
    rv = policy.post(f"/staff/clusters/{cluster.id}/confirm",
                     data={"confirm-primary": beta.id, "confirm-version": cluster.version_id})
    assert rv.status_code == 302
    scenario.expire_all()
    group = decision_rules.decision_group(scenario, beta)
    assert len(group) == 3 and decision_rules.decision_for(scenario, rec_of(scenario, "Alpha Trust")).public_rationale == "Yes."


def test_choosing_a_primary_that_is_already_a_duplicate_of_a_member_makes_it_lead(scenario, runner, session):
    find(runner)
    cluster = only_cluster(scenario)
    alpha, beta, gamma = (rec_of(scenario, n) for n in ("Alpha Trust", "Beta Society", "Gamma Group"))
    beta.duplicate_of = alpha
    scenario.flush()
    primary, changed = confirm_cluster(scenario, cluster, beta, None)
    assert primary.id == beta.id
    assert alpha.duplicate_of_id == beta.id and gamma.duplicate_of_id == beta.id and beta.duplicate_of_id is None


def test_new_recommendations_join_an_existing_cluster(scenario, runner, sign_in):
    find(runner)
    cluster = only_cluster(scenario)
    policy = sign_in("policy")
    policy.post(f"/staff/clusters/{cluster.id}/confirm",
                data={"confirm-primary": cluster.primary_id, "confirm-version": cluster.version_id})
    consultation = scenario.scalars(select(Consultation)).one()
    add_response(scenario, consultation, "Zeta Alliance", [SCHEDULE])
    scenario.commit()
    assert "1 recommendations joined earlier clusters" in find(runner)
    cluster = only_cluster(scenario)
    assert cluster.status == "proposed" and len(cluster.members) == 4  # back for its new member
    # Confirming again marks only the newcomer; the others already are duplicates.
    _, changed = confirm_cluster(scenario, cluster, cluster.primary, None)
    assert changed == 1
    # Once all are one group, a further run has nothing to do.
    scenario.commit()
    assert "1 already marked as duplicates" in find(runner)


# ---------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------

TEMPLATE_RECS = [
    "Inspections should always include the voices of people on probation.",
    "Reports should state how many people were released without a home.",
]


@pytest.fixture
def campaign_scenario(app, session, users):
    consultation = make_consultation(session)
    letters = campaign_letters(9)
    for name, letter in letters.items():
        recs = list(TEMPLATE_RECS)
        if name == "supporter-1":
            recs.append("Probation offices should open on Saturdays for people who work.")
        add_response(session, consultation, name.replace("supporter", "Supporter"), recs, text=letter)
    add_response(session, consultation, "Clinks", ["Reports should include a section on the voluntary sector."],
                 text=OWN_RESPONSES["clinks"])
    session.commit()
    return session


def test_campaign_is_found_shown_with_its_variations_and_analysed_once(campaign_scenario, runner, sign_in, users):
    session = campaign_scenario
    output = find(runner)
    assert "Campaigns: 1 found, 1 new." in output
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.canonical_response.respondent.name == "Supporter-0"
    assert len(campaign.members) == 9

    viewer = sign_in("viewer")
    overview = text_of(viewer.get("/staff/consultations/dup-test/duplicates").get_data(as_text=True))
    assert "Campaigns (1)" in overview and "Campaign 1" in overview
    assert "ask your administrator to look for new groups" in overview and "flask --app" not in overview
    page = viewer.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    text = text_of(page)
    assert "Similar wording: at least" in text and "of their runs of 5 words in a row are the same" in text
    assert not any(jargon in text for jargon in ("MinHash", "shingles", "Jaccard"))
    assert "Campaign 1: 9 responses from one template" in text
    assert (f'<a class="govuk-link" href="/staff/responses/{campaign.canonical_response_id}/recommendations">'
            'Supporter-0</a>') in page
    assert "I am writing in support of the Fair Probation Campaign." in text  # the template
    assert "Word for word the template 3 of 9" in text
    assert PERSONAL[1] in text and "I live in town 1." in text  # a supporter's own words
    assert "Confirm the campaign" not in text  # viewers read, only policy staff decide

    policy = sign_in("policy")
    rv = policy.post(f"/staff/campaigns/{campaign.id}/confirm", data={"version": campaign.version_id})
    assert rv.status_code == 302
    text = text_of(policy.get(rv.headers["Location"]).get_data(as_text=True))
    assert "16 recommendations from its members were marked as duplicates of the template's" in text
    assert "1 recommendation made only by individual members is analysed on its own" in text
    session.expire_all()
    canonical_rec = rec_of(session, "Supporter-0", "R1")
    group = decision_rules.decision_group(session, canonical_rec)
    assert {r.response.respondent.name for r in group} == {f"Supporter-{i}" for i in range(9)}
    own = rec_of(session, "Supporter-1", "R3")
    assert own.duplicate_of_id is None  # the supporter's own recommendation is analysed on its own
    assert session.scalars(select(Campaign)).one().status == "confirmed"
    assert "Campaigns: 1 found, 0 new." in find(runner)


def test_a_campaign_decides_its_repeated_recommendations_so_they_are_not_proposed_again_as_clusters(
        campaign_scenario, runner):
    session = campaign_scenario
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "dup-test"))
    add_response(session, consultation, "Howard League",
                 ["Inspections should always include the voices of people on probation in them."],
                 text=OWN_RESPONSES["howard"])
    session.commit()
    output = find(runner)
    assert "Campaigns: 1 found, 1 new." in output
    assert "16 recommendations repeating a campaign's template are left to the campaign" in output
    # The only cluster: the template's recommendation and another respondent's near-identical one.
    cluster = only_cluster(session)
    assert {m.recommendation.response.respondent.name for m in cluster.members} == {"Supporter-0", "Howard League"}

    # Once the campaign is rejected its letters are ordinary responses again, and cluster.
    session.scalars(select(Campaign)).one().status = "rejected"
    session.commit()
    output = find(runner)
    assert "left to the campaign" not in output
    session.expire_all()
    first, second = session.scalars(select(Cluster).order_by(Cluster.id)).all()
    supporters = {f"Supporter-{i}" for i in range(9)}
    assert {m.recommendation.response.respondent.name for m in first.members} == supporters | {"Howard League"}
    assert {m.recommendation.text for m in second.members} == {TEMPLATE_RECS[1]}
    assert {m.recommendation.response.respondent.name for m in second.members} == supporters


def test_reject_campaign_changes_nothing_else(campaign_scenario, runner, sign_in):
    session = campaign_scenario
    find(runner)
    campaign = session.scalars(select(Campaign)).one()
    before = snapshot(session)
    policy = sign_in("policy")
    rv = policy.post(f"/staff/campaigns/{campaign.id}/reject", data={"version": campaign.version_id})
    assert rv.status_code == 302
    assert snapshot(session)[0] == before[0]
    assert session.scalars(select(Campaign)).one().status == "rejected"
    assert "1 rejected before (not proposed again)" in find(runner)
    session.expire_all()
    rv = policy.post(f"/staff/campaigns/{campaign.id}/confirm", data={"version": campaign.version_id})
    assert rv.status_code == 400 and "This campaign was rejected" in rv.get_data(as_text=True)


def test_campaign_confirm_is_refused_when_the_template_has_no_recommendations(app, session, users, runner, sign_in):
    consultation = make_consultation(session)
    for name, letter in campaign_letters(4).items():
        add_response(session, consultation, name, [], text=letter)
    session.commit()
    find(runner)
    campaign = session.scalars(select(Campaign)).one()
    before = snapshot(session)
    rv = sign_in("policy").post(f"/staff/campaigns/{campaign.id}/confirm", data={"version": campaign.version_id})
    assert rv.status_code == 400 and "has no recommendations yet" in rv.get_data(as_text=True)
    assert snapshot(session) == before


# ---------------------------------------------------------------------------
# Pages: links, roles, a fixed number of queries
# ---------------------------------------------------------------------------


def test_pages_are_linked_from_the_consultation_and_triage_pages(scenario, runner, sign_in):
    find(runner)
    viewer = sign_in("viewer")
    consultation = viewer.get("/staff/consultations/dup-test").get_data(as_text=True)
    assert 'href="/staff/consultations/dup-test/duplicates"' in consultation
    beta = rec_of(scenario, "Beta Society")
    cluster = only_cluster(scenario)
    manage = viewer.get(f"/staff/responses/{beta.response_id}/recommendations").get_data(as_text=True)
    assert f'href="/staff/clusters/{cluster.id}"' in manage
    overview = text_of(viewer.get("/staff/consultations/dup-test/duplicates").get_data(as_text=True))
    assert "Alpha Trust, Beta Society, Gamma Group" in overview
    page = viewer.get(f"/staff/clusters/{cluster.id}").get_data(as_text=True)
    assert "Reject the cluster" not in page and "Confirm: mark the others" not in page


def test_viewers_cannot_decide(scenario, runner, sign_in):
    find(runner)
    cluster = only_cluster(scenario)
    before = snapshot(scenario)
    for role in ("viewer", "approver", "methodology", "admin"):
        client = sign_in(role)
        assert client.post(f"/staff/clusters/{cluster.id}/confirm",
                           data={"confirm-primary": cluster.primary_id, "confirm-version": cluster.version_id}
                           ).status_code == 403
        assert client.post(f"/staff/clusters/{cluster.id}/reject", data={"version": cluster.version_id}).status_code == 403
    assert snapshot(scenario) == before


def test_list_and_campaign_pages_run_a_fixed_number_of_queries(app, session, users, runner, sign_in):
    consultation = make_consultation(session)
    for i, own in enumerate(OWN_RESPONSES.values()):
        add_response(session, consultation, f"Few {i}", [SCHEDULE, PROBATION], text=own)
    for i, letter in enumerate(campaign_letters(3).values()):
        add_response(session, consultation, f"Letter {i}", [], text=letter)
    session.commit()
    find(runner)
    viewer = sign_in("viewer")
    campaign_id = session.scalars(select(Campaign.id)).one()
    with count_statements(app) as few:
        assert viewer.get("/staff/consultations/dup-test/duplicates").status_code == 200
    with count_statements(app) as few_campaign:
        assert viewer.get(f"/staff/campaigns/{campaign_id}").status_code == 200

    words = "inspection probation women housing prison report staff court family".split()
    for n in range(30):  # many more clusters, members and campaign letters
        text = f"Point {n}: " + " ".join(words[(n + k) % len(words)] for k in range(12)) + f" number {n}."
        for i in range(3):
            add_response(session, consultation, f"Many {n}-{i}", [text])
    for i, letter in enumerate(campaign_letters(40, seed=9).values()):
        add_response(session, consultation, f"More letters {i}", [], text=letter)
    session.commit()
    find(runner)
    assert session.scalar(select(func.count()).select_from(Cluster)) >= 30
    with count_statements(app) as many:
        assert viewer.get("/staff/consultations/dup-test/duplicates").status_code == 200
    with count_statements(app) as second_page:
        assert viewer.get("/staff/consultations/dup-test/duplicates?page=2&status=all").status_code == 200
    with count_statements(app) as many_campaign:
        assert viewer.get(f"/staff/campaigns/{campaign_id}").status_code == 200
    assert len(few) == len(many) == len(second_page) <= 7
    assert len(few_campaign) == len(many_campaign) <= 7


def test_confirming_a_big_campaign_does_not_query_per_recommendation(app, session, users, runner, sign_in):
    consultation = make_consultation(session)
    for name, letter in campaign_letters(60, seed=4).items():
        add_response(session, consultation, name, list(TEMPLATE_RECS), text=letter)
    session.commit()
    find(runner)
    campaign = session.scalars(select(Campaign)).one()
    policy = sign_in("policy")
    with count_statements(app) as statements:
        rv = policy.post(f"/staff/campaigns/{campaign.id}/confirm", data={"version": campaign.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Recommendation)
                          .where(Recommendation.duplicate_of_id.is_not(None))) == 118
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) < 30


def test_missing_pages_are_404(app, users, sign_in):
    viewer = sign_in("viewer")
    assert viewer.get("/staff/clusters/999").status_code == 404
    assert viewer.get("/staff/campaigns/999").status_code == 404
    assert viewer.get("/staff/consultations/nope/duplicates").status_code == 404


# ---------------------------------------------------------------------------
# The real UPR data
# ---------------------------------------------------------------------------

needs_upr = pytest.mark.skipif(not UPR.exists(), reason="../shared/data is absent")


def _upr_rows() -> dict[int, dict]:
    with UPR.open(encoding="utf-8", newline="") as handle:
        return {number: row for number, row in enumerate(csv.DictReader(handle), start=1)}


def _labels() -> dict[tuple[int, int], bool]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return {(int(r["row_a"]), int(r["row_b"])): r["same"] == "1" for r in csv.DictReader(handle)}


@pytest.mark.real_data
@needs_upr
def test_upr_known_near_duplicates_end_up_together_and_precision_is_above_a_floor():
    """Cluster each UPR review holding a hand-labelled pair, as the app clusters a consultation."""
    rows = _upr_rows()
    labels = _labels()
    reviews: dict[tuple[str, str], list[int]] = {}
    for number, row in rows.items():
        reviews.setdefault((row["To"], row["Session"]), []).append(number)
    wanted = {(rows[a]["To"], rows[a]["Session"]) for a, _ in labels}
    together: dict[int, int] = {}
    for key in sorted(wanted):
        for index, cluster in enumerate(find_clusters([(n, rows[n]["Text"]) for n in reviews[key]], 0.7)):
            for member in cluster.members:
                together[member] = hash((key, index))
    # Every labelled "same" pair at similarity >= 0.8 is found together at the default threshold.
    strong = [(a, b) for (a, b), same in labels.items()
              if same and similarity(rows[a]["Text"], rows[b]["Text"]) >= 0.8]
    assert len(strong) >= 25
    assert all(a in together and together.get(a) == together.get(b) for a, b in strong)
    # Precision of the labelled pairs the clusters put together.
    judged = [same for (a, b), same in labels.items() if a in together and together.get(a) == together.get(b)]
    assert len(judged) >= 60
    assert sum(judged) / len(judged) >= 0.9



def test_method_in_words():
    from consultations.clusters import method_in_words

    assert method_in_words("MinHash LSH, word 3-shingles, exact Jaccard", 0.7) == (
        "Similar wording: at least 70% of their runs of 3 words in a row are the same")
    assert method_in_words("something else", 0.5) == "Similar wording: at least 50% alike"
    assert method_in_words(None, None) == "Similar wording"
