"""Every form of triage: the queue's filters and assignment, a response's status, a
recommendation's edit, split, merge and duplicate forms, adding one, and consent."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from consultations.models import CONSENT_LEVELS
from consultations.redaction import REASONS

from tracker.web.fields import ChoiceField, GovDateField
from tracker.web.forms import EditForm, Form, QueryForm, options


class QueueFilterForm(QueryForm):
    consultation = ChoiceField("Consultation", refusal="Choose a consultation from the list")
    status = ChoiceField("Status", refusal="Choose a status from the list")
    assignee = ChoiceField("Assigned to", refusal="Choose who the responses are assigned to from the list")
    organisation_type = ChoiceField("Organisation type", refusal="Choose an organisation type from the list")
    received_from = GovDateField("Received on or after", description="For example, 12 4 2019")
    received_to = GovDateField("Received on or before", description="For example, 30 4 2019")
    show_deleted = BooleanField("Show deleted responses only", widget=GovCheckboxInput(),
                                description="Deleted responses are kept and can be restored from that list.")

    def validate_received_to(self, field):
        start, end = self.received_from.data, field.data
        if start and end and start > end and not self.received_from.errors:
            raise ValidationError("Received on or before must be the same as or after received on or after")


class ButtonForm(Form):
    """A button press (delete, restore, move...): nothing to fill in and no version to check.
    ``refusal`` holds the domain's reason when it says no, for the management page to show."""

    refusal = HiddenField()


class AssignForm(Form):
    assignee = ChoiceField("Assign the selected responses to",
                           refusal="Choose someone from the list: they may have been deactivated",
                           validators=[InputRequired("Choose who to assign the responses to")])
    return_to = HiddenField()


class StatusForm(EditForm):
    status = StringField(validators=[InputRequired("Choose the new status")])
    return_to = HiddenField()


class RecommendationForm(EditForm):
    text = TextAreaField("Text", widget=GovTextArea(),
                         validators=[InputRequired("Enter the text of the recommendation")])
    question = ChoiceField("Answers question", refusal="Choose one of this consultation's questions")


class AddRecommendationForm(Form):
    """A recommendation from a passage selected in the response text (``start`` and ``end``,
    filled in by tracker/static/anchoring.js) or from typed text, which is looked for in it."""

    text = TextAreaField("Text of the recommendation", widget=GovTextArea())
    start = HiddenField()
    end = HiddenField()
    parent = ChoiceField("Sub-point of", refusal="Choose one of this response's top-level recommendations")
    question = ChoiceField("Answers question", refusal="Choose one of this consultation's questions")
    return_to = HiddenField()


WORD = "word"  # the split point is the word chosen in the select, not one of the radios


class SplitForm(EditForm):
    """Where the second part starts: a sentence or clause boundary (radios), or any word
    (the select, which a click in the text sets when JavaScript runs). Values are offsets
    into the recommendation's text at the version the form was loaded with."""

    point = RadioField("Where does the second part start?", widget=GovRadioInput(), validate_choice=False,
                       description="Each point is shown with the words that end the first part.")
    word = ChoiceField("The second part starts with", refusal="Choose one of the words offered")


class MergeForm(EditForm):
    others = SelectMultipleField("Recommendations to merge into this one", coerce=int,
                                 widget=GovCheckboxesInput(),
                                 description="Select all that apply. Their sub-points become sub-points of this one.")


class DuplicateForm(EditForm):
    target = ChoiceField("Duplicate of")
    target_id = StringField("Or enter the other recommendation's reference number",
                            widget=GovTextInput(),
                            description="The number at the end of its page address, for example 42")


class ConsentForm(EditForm):
    consent = RadioField("What may we publish from this respondent's responses?",
                         choices=options(CONSENT_LEVELS.choices()),
                         widget=GovRadioInput(),
                         description="Contact details are never published, whatever you choose.",
                         validators=[InputRequired("Choose what may be published")])
    organisation_type = ChoiceField(
        "Organisation type", refusal="Choose an organisation type from the list",
        description="Anonymous respondents are named in public by their type. Admins manage the list.")
    return_to = HiddenField()


class OutcomeEmailsForm(EditForm):
    choice = RadioField("Do they get emails about what we decided on their recommendations?",
                        choices=options([
                            ("default", "Yes, unless they are confidential (the default)"),
                            ("yes", "Yes: they asked for them, even if they are confidential"),
                            ("no", "No: they do not want them")]),
                        widget=GovRadioInput(),
                        description="We email the first email address in their contact details, once on the day "
                                    "decisions on their recommendations are published.",
                        validators=[InputRequired("Choose whether they get emails")])


class RedactForm(Form):
    """A passage of a response's text to redact, copied from it, and why."""

    passage = TextAreaField("Words to redact", widget=GovTextArea(),
                            description="Copy them from the response text. Every place they appear is redacted.",
                            validators=[InputRequired("Enter the words to redact")])
    reason = RadioField("Why should the public not read them?", widget=GovRadioInput(),
                        choices=options((key, text[0].upper() + text[1:]) for key, text in REASONS.items()),
                        validators=[InputRequired("Choose why the words are redacted")])


class RedactionDecisionForm(EditForm):
    """Redact a proposed (or earlier) passage, or publish it after all."""

    decision = StringField(validators=[InputRequired("Choose whether to redact the passage")])
