"""One base form for every form: CSRF on, GOV.UK rendering via govuk-frontend-wtf widgets.

Forms that only read (search, filters) use ``QueryForm``: GET, no CSRF token in the URL.
A form editing an object carries its ``version``, so a stale submission is detected.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice
from wtforms.widgets import HiddenInput
from wtforms.validators import InputRequired


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


class StateChangeForm(VersionedForm):
    """A button that moves an object to another state (approve, publish, delete, restore, reject,
    remove): it carries only the version the page was shown at, and says why when that is missing."""

    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired("The form was sent without the version it was loaded at. Reload the page and try again")])
