"""Forms of the bulk actions: the options chosen on a confirmation page (GET, no CSRF, so the
page can be shown again with another score, person or template) and the answer template form.
The confirmation itself is a plain CSRF-protected ``Form`` carrying what was shown."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea, GovTextInput
from wtforms import DecimalField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from consultations.answer_templates import MAX_NAME
from consultations.workflow import DECISION_OUTCOMES
from tracker.web.fields import ChoiceField
from tracker.web.forms import Form, QueryForm, options

DEFAULT_MIN_SCORE = "0.30"


class BulkOptionsForm(QueryForm):
    min_score = DecimalField(
        "Lowest score to confirm", widget=GovTextInput(), places=2,
        description="From 0 to 1. Suggestions scoring this or more are linked; 0.30 and above are usually close matches",
        validators=[Optional(), NumberRange(min=0.01, max=1, message="Enter a score between 0.01 and 1")])
    assignee = ChoiceField("Assign the responses to", refusal="Choose a member of staff from the list")
    template = ChoiceField("Answer template", refusal="Choose an answer template from the list")


class AnswerTemplateForm(Form):
    name = StringField("Name", widget=GovTextInput(), description="So you can find it in the list, for example \"Agreed: already in the standards\"",
                       validators=[InputRequired("Enter a name for the template"),
                                   Length(max=MAX_NAME, message=f"The name must be {MAX_NAME} characters or fewer")])
    outcome = RadioField("Outcome", choices=options(DECISION_OUTCOMES.choices()), widget=GovRadioInput(),
                         validators=[InputRequired("Select the outcome")],
                         invalid_choice_message="Select one of the outcomes listed")
    public_rationale = TextAreaField(
        "Public rationale", widget=GovTextArea(),
        description="Published with every decision drafted from this template, once each is approved and published",
        validators=[InputRequired("Enter the public rationale"),
                    Length(max=20_000, message="The public rationale must be 20,000 characters or fewer")])
