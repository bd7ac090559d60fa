"""Every status list is defined once (consultations.vocabulary) and shown one way."""
from __future__ import annotations

import pickle

import pytest
from flask import render_template_string

from consultations import vocabulary
from consultations.models import CONSULTATION_STATUSES, RESPONSE_STATUSES
from consultations.workflow import ACTION_STATUSES, DECISION_OUTCOMES


def test_vocabularies_read_as_their_stored_values():
    assert RESPONSE_STATUSES == ("received", "in review", "recommendations confirmed", "closed")
    assert CONSULTATION_STATUSES == ("draft", "open", "closed", "analysing", "outcome published")
    assert ACTION_STATUSES.choices()[0] == ("not started", "Not started")
    assert DECISION_OUTCOMES.label("accepted in part") == "Accepted in part"
    assert DECISION_OUTCOMES.label("legacy value") == "Legacy value"
    assert "draft" not in vocabulary.PUBLIC_CONSULTATION_STATUSES
    copied = pickle.loads(pickle.dumps(ACTION_STATUSES))
    assert copied == ACTION_STATUSES and copied.terms == ACTION_STATUSES.terms


def test_a_value_has_one_colour_whichever_list_it_is_in():
    with pytest.raises(ValueError):
        vocabulary.Term("odd", "magenta")
    assert vocabulary.tag("closed").tag_class == "govuk-tag--grey"
    assert vocabulary.tag("never heard of").tag_class == "govuk-tag--grey"


def test_status_tag_macro_uses_the_vocabulary(app):
    template = '{% from "macros.html" import status_tag %}{{ status_tag(value) }}'
    with app.test_request_context():
        assert render_template_string(template, value="outcome published") == (
            '<strong class="govuk-tag govuk-tag--purple">Outcome published</strong>')
        assert render_template_string(template, value="") == "Not recorded"
