"""An installation words decision outcomes and action statuses its own way; the meanings stay fixed.

Pages, forms and charts show the configured labels; stored values, filters and the API keep the
fixed values, so charts and API clients read every installation alike.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consultations import vocabulary
from consultations.models import Consultation, Recommendation
from consultations.workflow import Decision
from tracker import create_app

WORDING = {
    "DECISION_OUTCOME_LABELS": {"accepted": "Agreed", "accepted in part": "Partly agreed",
                                "under consideration": "Noted"},
    "ACTION_STATUS_LABELS": {"in progress": "Work in progress"},
}


@pytest.fixture(autouse=True)
def default_wording_afterwards():
    yield
    vocabulary.configure_labels({})  # the next test's domain code reads the defaults


def test_labels_change_and_values_stay():
    vocabulary.configure_labels(WORDING)
    assert vocabulary.DECISION_OUTCOMES.label("accepted") == "Agreed"
    assert vocabulary.tag("accepted in part").label == "Partly agreed"
    assert vocabulary.DECISION_OUTCOMES.label("not accepted") == "Not accepted", "unnamed values keep their label"
    assert tuple(vocabulary.DECISION_OUTCOMES) == ("accepted", "accepted in part", "not accepted", "already in place",
                                                   "under consideration")
    assert ("in progress", "Work in progress") in vocabulary.ACTION_STATUSES.choices()
    vocabulary.configure_labels({})
    assert vocabulary.DECISION_OUTCOMES.label("accepted") == "Accepted", "each configuration starts from the defaults"


@pytest.mark.parametrize("config, message", [
    ({"DECISION_OUTCOME_LABELS": {"agreed": "Agreed"}}, "'agreed', which is not one of the fixed values"),
    ({"DECISION_OUTCOME_LABELS": {"accepted": " "}}, "gives 'accepted' no label"),
    ({"ACTION_STATUS_LABELS": {"implemented": "Done", "superseded": "done"}}, "words two values the same way"),
])
def test_a_wording_that_would_be_ambiguous_stops_the_start(tmp_path, config, message):
    with pytest.raises(ValueError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", "SECRET_KEY": "x",
                    "SEARCH_INDEX_DIR": str(tmp_path / "index"), **config})


@pytest.mark.app_config(**WORDING)
def test_pages_show_the_wording_and_the_api_the_fixed_values(demo_app, client, session, sign_in):
    decision = session.scalars(select(Decision).where(Decision.state == "published",
                                                      Decision.published_outcome == "accepted")).first()
    assert decision is not None, "the demo publishes an accepted decision"
    consultation = session.scalar(select(Consultation))
    public = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "Agreed" in public
    api = client.get("/api/v1/recommendations?per_page=200").get_json()
    outcomes = {item["decision"]["outcome"] for item in api["data"] if item.get("decision")}
    assert "accepted" in outcomes and "Agreed" not in outcomes

    rec = session.get(Recommendation, decision.recommendation_id)
    staff = sign_in("approver").get(f"/staff/recommendations/{rec.id}/decision").get_data(as_text=True)
    assert "Partly agreed" in staff and 'value="accepted in part"' in staff
