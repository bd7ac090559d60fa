"""One base form for every form: CSRF on, GOV.UK rendering via govuk-frontend-wtf widgets.

Forms that only read (search, filters) use ``QueryForm``: GET, no CSRF token in the URL.
A form editing an object carries its ``version``, so a stale submission is detected.
``error_list`` turns any forms' errors into the GOV.UK error summary's entries.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice
from wtforms.widgets import HiddenInput
from wtforms.validators import InputRequired

from tracker.web.fields import GovDateField


def options(pairs) -> list[SelectChoice]:
    """Select, radio or checkbox options from ``(value, label)`` pairs (values as strings)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class Form(FlaskForm):
    """Base for every form that changes something: CSRF protected."""


class QueryForm(FlaskForm):
    """GET forms (filters, search): no CSRF token, values read from the query string."""

    class Meta:
        csrf = False


class VersionedForm(Form):
    """An edit form that remembers the version of the object it was loaded with."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def accept_current_version(self, obj) -> None:
        """After a conflict, carry the current version so the next save, made knowingly, goes
        through. WTForms renders the submitted raw value first, so both must change."""
        self.version.data = obj.version_id
        self.version.raw_data = [str(obj.version_id)]


class EditForm(VersionedForm):
    """A versioned form whose missing version is explained, not just "This field is required"."""

    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired("The form was sent without the version it was loaded at. Reload the page and try again")])


def error_list(*forms) -> list[dict]:
    """GOV.UK error summary entries for every field error, linked to the field (a date input's
    day box, as the GOV.UK pattern asks). Forms that are ``None`` are skipped."""
    return [
        {"text": field.errors[0], "href": f"#{field.id}-day" if isinstance(field, GovDateField) else f"#{field.id}"}
        for form in forms if form is not None
        for field in form
        if field.errors
    ]
