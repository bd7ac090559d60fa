"""The admin pages' forms: users, consultations and their questions, framework uploads.

Edit forms carry the ``version_id`` of the object they were loaded with (``VersionedForm``),
so a save made over someone else's is refused with what changed meanwhile.
"""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from consultations.models import CONSULTATION_STATUSES
from consultations.users import MIN_PASSWORD_LENGTH
from consultations.workflow import ROLES
from tracker.web.fields import GovDateField
from tracker.web.forms import Form, VersionedForm, options


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
ACTIVE_CHOICES = [SelectChoice("yes", "Active: can sign in"), SelectChoice("no", "Deactivated: cannot sign in")]
STATUS_CHOICES = [SelectChoice(status, label) for status, label in CONSULTATION_STATUSES.choices()]


PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a good password."


def _password_validators():
    return [DataRequired("Enter a password"), Length(
        min=MIN_PASSWORD_LENGTH, message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")]


def _name_field():
    return StringField("Full name", widget=GovTextInput(), validators=[
        DataRequired("Enter the person's name"), Length(max=200, message="The name must be 200 characters or fewer")])


def _role_field():
    return RadioField("Role", choices=ROLE_CHOICES, widget=GovRadioInput(), validate_choice=False,
                      validators=[AnyOf(ROLES, message="Select a role")])


class NewUserForm(Form):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        DataRequired("Enter the email address"), Length(max=254, message="The email address must be 254 characters or fewer")])
    name = _name_field()
    role = _role_field()
    password = PasswordField("Password", widget=GovPasswordInput(), description=PASSWORD_HINT,
                             validators=_password_validators())
    confirm_password = PasswordField("Confirm the password", widget=GovPasswordInput(), validators=[
        DataRequired("Enter the password again"), EqualTo("password", "The passwords do not match")])


class EditUserForm(VersionedForm):
    name = _name_field()
    role = _role_field()
    active = RadioField("Can they sign in?", choices=ACTIVE_CHOICES, widget=GovRadioInput(), validate_choice=False,
                        validators=[AnyOf(["yes", "no"], message="Select whether the person can sign in")])


class ResetPasswordForm(Form):
    password = PasswordField("New password", widget=GovPasswordInput(), description=PASSWORD_HINT,
                             validators=_password_validators())
    confirm_password = PasswordField("Confirm the new password", widget=GovPasswordInput(), validators=[
        DataRequired("Enter the new password again"), EqualTo("password", "The passwords do not match")])


class ConsultationForm(Form):
    slug = StringField("Slug", widget=GovTextInput(), description=(
        "The short name used in web addresses and by the ingest command: lower-case words joined by "
        "hyphens, for example probation-inspection-2019"),
        validators=[DataRequired("Enter a slug"), Length(max=120, message="The slug must be 120 characters or fewer")])
    title = StringField("Title", widget=GovTextInput(), validators=[
        DataRequired("Enter the title"), Length(max=300, message="The title must be 300 characters or fewer")])
    body = StringField("Organisation consulting", widget=GovTextInput(),
                       description="For example, HM Inspectorate of Probation",
                       validators=[DataRequired("Enter the organisation consulting"),
                                   Length(max=300, message="The organisation must be 300 characters or fewer")])
    summary = TextAreaField("Summary (optional)", widget=GovTextArea(), description="What the consultation asks about",
                            validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES, widget=GovSelect(),
                         validate_choice=False, default="draft")
    opens_on = GovDateField("Opening date (optional)", description="For example, 25 3 2019")
    closes_on = GovDateField("Closing date (optional)", description="For example, 22 4 2019")
    retention_months = IntegerField(
        "Keep respondents' personal data for (months, optional)", widget=GovTextInput(),
        description="After the closing date. Leave empty for this installation's default. "
                    "The retention job then anonymises their respondents: names and contact details go, what they said stays.",
        validators=[Optional(), NumberRange(min=1, max=1200, message="Enter a number of months from 1 to 1200")])


class EditConsultationForm(VersionedForm, ConsultationForm):
    """The consultation form, remembering the version it was loaded at."""


class QuestionForm(Form):
    number = StringField("Question number", widget=GovTextInput(), description="For example, 4 or 2a",
                         validators=[DataRequired("Enter the question number"),
                                     Length(max=20, message="The question number must be 20 characters or fewer")])
    text = TextAreaField("Question", widget=GovTextArea(), validators=[DataRequired("Enter the question")])
    topic = StringField("Topic (optional)", widget=GovTextInput(), description="For example, Unpaid work",
                        validators=[Optional(), Length(max=200, message="The topic must be 200 characters or fewer")])
    position = IntegerField("Position in the list (optional)", widget=GovTextInput(),
                            description="Questions are listed lowest position first. Leave blank to add a new question "
                                        "at the end, or to keep a question where it is.",
                            invalid_value_message="Position must be a whole number, like 3",
                            validators=[Optional(), NumberRange(min=0, message="Position must be 0 or more")])


class EditQuestionForm(VersionedForm, QuestionForm):
    """The question form, remembering the version it was loaded at."""


class FrameworkUploadForm(Form):
    file = FileField("Framework file", widget=GovFileInput(),
                     description="A YAML (.yaml or .yml) or CSV (.csv) file, smaller than 2 MB",
                     validators=[FileRequired("Select a framework file")])
    key = StringField("Key (optional)", widget=GovTextInput(), description=(
        "Identifies the framework, with its version. Leave blank to use the key in a YAML file, "
        "or the file name for a CSV file"), validators=[Optional()])
    name = StringField("Name (optional)", widget=GovTextInput(),
                       description="Leave blank to use the name in a YAML file, or the key for a CSV file",
                       validators=[Optional()])
    version = StringField("Version (optional)", widget=GovTextInput(),
                          description="Leave blank to use the version in a YAML file, or 1 for a CSV file",
                          validators=[Optional()])
    kind = StringField("Kind (optional)", widget=GovTextInput(), description=(
        "For example, standards, strategic objectives or themes. Leave blank to use the kind in a "
        "YAML file, or standards for a CSV file"), validators=[Optional()])


OFFERED_CHOICES = [SelectChoice("yes", "Offered: staff can choose it"),
                   SelectChoice("no", "No longer offered: respondents who have it keep it")]


class OrganisationTypeForm(Form):
    name = StringField("Name", widget=GovTextInput(), description="What staff see in lists and filters, "
                       "for example Voluntary sector organisation",
                       validators=[DataRequired("Enter the name of the organisation type"),
                                   Length(max=100, message="The name must be 100 characters or fewer")])
    public_name = StringField(
        "Public name (optional)", widget=GovTextInput(),
        description="How an anonymous respondent of this type is named on public pages: one of them, with "
                    "“a” or “an”, for example “a voluntary sector organisation” or “an individual”. "
                    "Leave blank to make it from the name.",
        validators=[Optional(), Length(max=150, message="The public name must be 150 characters or fewer")])
    active = RadioField("Can staff choose it?", choices=OFFERED_CHOICES, widget=GovRadioInput(), default="yes",
                        validate_choice=False,
                        validators=[AnyOf(["yes", "no"], message="Select whether staff can choose this type")])


class EditOrganisationTypeForm(VersionedForm, OrganisationTypeForm):
    """The organisation type form, remembering the version it was loaded at."""


# --- jobs run in the background: duplicate detection and survey imports ----------------------


class DuplicatesForm(Form):
    consultation = SelectField("Where to look", widget=GovSelect(), validate_choice=False,
                               description="Responses are only compared with others in the same consultation")


class SurveyUploadForm(Form):
    consultation = SelectField("Consultation", widget=GovSelect(), validate_choice=False,
                               validators=[DataRequired("Select the consultation the survey belongs to")])
    file = FileField("Survey export", widget=GovFileInput(),
                     description="A CSV (.csv) or Excel (.xlsx) file with one row per respondent and a header row",
                     validators=[FileRequired("Select the survey export")])
    mapping = FileField("Column mapping (optional)", widget=GovFileInput(), description=(
        "A YAML or JSON file saying which column holds what, saved from an earlier import. "
        "Leave it out to have the columns matched to the questions by their headings"))
    create_questions = BooleanField("Create a question from each column that matches none",
                                    widget=GovCheckboxInput())


class SurveyStartForm(Form):
    token = HiddenField(validators=[DataRequired("This upload is not known. Upload the file again")])


class ErasureForm(Form):
    """Anonymise or erase one respondent on request."""

    what = RadioField("What should happen to their personal data?", widget=GovRadioInput(),
                      choices=options([("anonymise", "Anonymise: remove their name, contact details and original "
                                                     "files; keep what they said under their organisation type"),
                                       ("erase", "Erase: also blank out everything they wrote and delete their "
                                                 "responses")]),
                      validators=[InputRequired("Choose whether to anonymise or erase")])
    reference = StringField("Request reference", widget=GovTextInput(),
                            description="The reference of their request, or why. The audit log records it.",
                            validators=[InputRequired("Enter the request's reference")])
    confirm = BooleanField("I understand this cannot be undone", widget=GovCheckboxInput(),
                           validators=[DataRequired("Confirm that you understand this cannot be undone")])
