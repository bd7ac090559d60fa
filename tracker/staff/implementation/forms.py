"""The implementation pages' forms: an action, a dated update, the dashboard's filters.

Form rules about what was typed (dates in range, a real web address) are checked here; the
services in ``consultations.actions`` check them again, for callers without a form.
"""
from __future__ import annotations

import datetime as dt

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from consultations import actions as action_rules
from consultations.workflow import ACTION_STATUSES, Action
from tracker.web.fields import GovDateField
from tracker.web.forms import Form, QueryForm, VersionedForm, options

def status_choices() -> list:
    """Read when a form is made: the installation words the statuses (vocabulary.configure_labels)."""
    return options(ACTION_STATUSES.choices())
PROGRESS_MESSAGE = "Progress must be a whole number from 0 to 100"


def today() -> dt.date:
    return dt.date.today()


class ActionForm(Form):
    description = TextAreaField(
        "What will be done",
        widget=GovTextArea(),
        validators=[DataRequired("Describe the action"),
                    Length(max=5000, message="The description must be 5,000 characters or fewer")],
    )
    owner = StringField(
        "Owner",
        widget=GovTextInput(),
        description="A team or a person, for example ‘Policy team’ or ‘Sam Jones’",
        validators=[DataRequired("Enter who owns the action: a team or a person"),
                    Length(max=action_rules.MAX_OWNER_LENGTH,
                           message=f"The owner must be {action_rules.MAX_OWNER_LENGTH} characters or fewer")],
    )
    due_on = GovDateField("Due date", example_days_from_today=90,
                            required_message="Enter the date the action is due")
    status = RadioField(
        "Status", choices=status_choices, widget=GovRadioInput(),
        validators=[InputRequired("Select the status of the action")],
        invalid_choice_message="Select one of the statuses listed",
    )
    progress = IntegerField(
        "Progress (percent complete)",
        widget=GovTextInput(),
        description="A whole number from 0 to 100",
        invalid_value_message=PROGRESS_MESSAGE,
        validators=[InputRequired("Enter the progress, from 0 to 100"),
                    NumberRange(min=0, max=100, message=PROGRESS_MESSAGE)],
    )


class NewActionForm(ActionForm):
    """A new action is due today or later."""

    def validate_due_on(self, field) -> None:
        if field.data is not None and field.data < today():
            raise ValidationError("The due date must be today or in the future")


class EditActionForm(VersionedForm, ActionForm):
    """The action form, remembering the version of the action it was loaded with. A changed due
    date may not be before the day the action was created."""

    def __init__(self, *args, saved: Action, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved = saved

    def validate_due_on(self, field) -> None:
        created_on = self.saved.created_at.date()
        if field.data is not None and field.data != self.saved.due_on and field.data < created_on:
            raise ValidationError(f"The due date cannot be before the action was created ({created_on.day} "
                                  f"{created_on:%B %Y})")


def evidence_link(form, field) -> None:
    """Field errors for the evidence link, with the service's own rule."""
    try:
        field.data = action_rules.check_evidence_url(field.data)
    except action_rules.ActionError as error:
        raise StopValidation(str(error)) from None


def not_in_the_future(form, field) -> None:
    if field.data is not None and field.data > today():
        raise ValidationError("The date of the update must be today or in the past")


class UpdateForm(VersionedForm):
    """A dated update. ``version`` is the action's: a status change made on an out-of-date
    page is refused like a stale edit; a plain note is always added."""

    on = GovDateField("Date of the update", example_days_from_today=0,
                        required_message="Enter the date of the update", validators=[not_in_the_future])
    text = TextAreaField(
        "What has happened",
        widget=GovTextArea(),
        validators=[DataRequired("Say what has happened"),
                    Length(max=5000, message="The update must be 5,000 characters or fewer")],
    )
    evidence_url = StringField(
        "Link to evidence (optional)",
        widget=GovTextInput(),
        description="A web address starting with https://, for example a published report",
        validators=[evidence_link],
    )
    new_status = SelectField(
        "New status (optional)",
        choices=lambda: options([("", "Leave the status unchanged")]) + status_choices(),
        widget=GovSelect(),
        invalid_choice_message="Select one of the statuses listed",
    )
    progress = IntegerField(
        "Progress (percent complete)",
        widget=GovTextInput(),
        description="A whole number from 0 to 100: how much of the action is done now. "
                    "Leave it as it is if this update does not change it.",
        invalid_value_message=PROGRESS_MESSAGE,
        validators=[Optional(), NumberRange(min=0, max=100, message=PROGRESS_MESSAGE)],
    )
    is_public = BooleanField(
        "This update may appear on published outcome pages", widget=GovCheckboxInput(),
        description="Leave unticked for updates that are for staff only.",
    )


class DashboardFilter(QueryForm):
    status = SelectField("Status", choices=lambda: options([("", "All statuses")]) + status_choices(), widget=GovSelect(),
                         validate_choice=False)
    overdue = BooleanField("Overdue only", widget=GovCheckboxInput())
