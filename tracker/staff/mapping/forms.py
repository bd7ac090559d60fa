"""The mapping area's forms: confirm or reject a link, accept a suggestion, add a link by code."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from tracker.web.forms import Form, VersionedForm
from tracker.web.ids import parse_id


class LinkStatusForm(VersionedForm):
    """Confirm or reject one link, at the version the page showed."""


class SuggestionForm(Form):
    item_id = IntegerField(validators=[InputRequired("Choose a suggested item")])
    action = HiddenField(default="accept", validators=[AnyOf(("accept", "reject"))])


class AddLinkForm(Form):
    code = StringField(
        "Code",
        description="For example 4.1.3 or SO2. Words the reference finder understands also work, "
        "such as “standard 1.3” or “strategic objective 2”.",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter the code of a standard or objective, for example 4.1.3 or SO2"),
            Length(max=100, message="Codes are shorter than 100 characters"),
        ],
    )
    framework = SelectField(
        "Framework",
        description="Only needed when the same code is used in more than one framework.",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )

    def set_frameworks(self, frameworks) -> AddLinkForm:
        self.framework.choices = [("", "Any framework")] + [(str(f.id), f.label) for f in frameworks]
        return self

    def framework_id(self) -> int | None:
        value = (self.framework.data or "").strip()
        return parse_id(value)
