"""The list's filter form: every filter a GET parameter, so a filtered list is a link to save
and share. Choices are filled in by the view from the database; a value not offered, a
standard code no framework has or an overlong text is refused with a message, never a 500."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import Length, ValidationError

from tracker.web.fields import ChoiceField
from tracker.web.forms import QueryForm

MAX_TEXT = 200
PER_PAGE_CHOICES = ("10", "25", "50", "100")


def printable(form, field) -> None:
    """Control characters (a NUL from a hand-made link) are never in a recommendation, and
    PostgreSQL refuses a NUL in a query: say so rather than fail."""
    if field.data and any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data):
        raise ValidationError(f"{field.label.text} must not contain control characters")


class RecommendationFilterForm(QueryForm):
    consultation = ChoiceField("Consultation", refusal="Choose a consultation from the list")
    question = ChoiceField("Question", refusal="Choose a question from the list")
    respondent = ChoiceField("Respondent", refusal="Choose a respondent from the list")
    organisation_type = ChoiceField("Organisation type", refusal="Choose an organisation type from the list")
    standard = StringField(
        "Standard or objective code", widget=GovTextInput(),
        description="For example, 2.1. Includes the items below it, such as 2.1.3",
        validators=[Length(max=50, message="The standard code must be 50 characters or fewer"), printable])
    link_state = ChoiceField("Links to standards", refusal="Choose a link state from the list")
    decision_state = ChoiceField("Decision", refusal="Choose a decision state from the list")
    outcome = ChoiceField("Outcome", refusal="Choose an outcome from the list")
    cluster = ChoiceField("Duplicates", refusal="Choose a duplicate cluster option from the list")
    assignee = ChoiceField("Response assigned to", refusal="Choose who the responses are assigned to from the list")
    text = StringField(
        "Text contains", widget=GovTextInput(),
        validators=[Length(max=MAX_TEXT, message=f"The text to look for must be {MAX_TEXT} characters or fewer"),
                    printable])
    sort = ChoiceField("Sort by", refusal="Choose how to sort from the list")
    per_page = ChoiceField("Recommendations per page", refusal="Choose how many recommendations to show per page")
