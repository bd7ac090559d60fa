"""The GOV.UK form fields every staff area shares: a select where empty means "not chosen",
and the one date input (day, month and year boxes).

One date field, so every date in the service is read and refused the same way, with the
wording of the GOV.UK date input pattern.
"""
from __future__ import annotations

import datetime as dt

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect
from markupsafe import Markup, escape
from wtforms import DateField, SelectField
from wtforms.validators import ValidationError

PARTS = ("day", "month", "year")


class OptionsInPython(GovSelect):
    """The GOV.UK select, its ``<option>`` elements written here rather than by the component's
    template, which calls a macro per option: a list of thousands of respondents then cost half
    a second per page. The same HTML as the component writes."""

    def __call__(self, field, **kwargs):
        options = "\n    ".join(f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'
                                for value, label, selected, _ in field.iter_choices())
        kwargs.setdefault("id", field.id)
        if "required" not in kwargs and "required" in getattr(field, "flags", []):
            kwargs["required"] = True
        html = str(super(GovSelect, self).__call__(field, items=[], **kwargs))
        head, tail = html.split("</select>", 1)
        return Markup(f"{head.rstrip()}\n    {options}\n  </select>{tail}")


class ChoiceField(SelectField):
    """A GOV.UK select where empty means "not chosen", and a value that is not offered is
    refused with a message that says what to do (``refusal``)."""

    widget = OptionsInPython()

    def __init__(self, label=None, validators=None, refusal: str | None = None, **kwargs):
        kwargs.setdefault("default", "")
        super().__init__(label, validators, **kwargs)
        self.refusal = refusal or f"Choose {label.lower()} from the list"

    def pre_validate(self, form):
        if self.data in (None, "") or not self.validate_choice:
            return
        if str(self.data) not in {str(choice.value) for choice in self.choices}:
            raise ValidationError(self.refusal)


def date_example(on: dt.date) -> str:
    """A date hint in the boxes' own order, "For example, 27 3 2026"."""
    return f"For example, {on.day} {on.month} {on.year}"


class GovDateField(DateField):
    """A GOV.UK date input: day, month and year boxes sharing one name, read as one date.

    Optional unless ``required``: all boxes blank is then "no date"; a required one says
    ``required_message`` (by default "Enter the <label>"). One ISO date (``2019-04-12``) is
    accepted too, so links can carry a date. Part of a date, a year not of 4 numbers or a
    date that does not exist is refused in the GOV.UK wording, naming the field (its label
    without " (optional)"); never a crash. The boxes always show what was typed.
    """

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, required: bool = False, required_message: str | None = None,
                 example_days_from_today: int | None = None, **kwargs):
        if example_days_from_today is not None:  # computed per form, so the example never goes stale
            kwargs["description"] = date_example(dt.date.today() + dt.timedelta(days=example_days_from_today))
        super().__init__(label, validators, **kwargs)
        self.required = required or required_message is not None
        self.required_message = required_message or f"Enter the {self.name_in_messages.lower()}"

    @property
    def name_in_messages(self) -> str:
        return self.label.text.removesuffix(" (optional)")

    def process_formdata(self, valuelist):
        parts = [str(value or "").strip() for value in valuelist]
        single = len(parts) == 1 and bool(parts[0])
        if single and parts[0].count("-") == 2:  # an ISO date in a link
            year, month, day = parts[0].split("-")
            parts, single = [day, month, year], False
        self.raw_data = (parts + ["", "", ""])[:3]
        self.data = None
        name = self.name_in_messages
        if not any(self.raw_data):
            if self.required:
                raise ValueError(self.required_message)
            return
        if single:  # one value that is not a date: nothing to say which part is wrong
            raise ValueError(f"{name} must be a real date")
        missing = [part for part, value in zip(PARTS, self.raw_data) if not value]
        if missing:
            raise ValueError(f"{name} must include a {' and '.join(missing)}")
        day, month, year = self.raw_data
        if not (year.isdigit() and len(year) == 4):
            raise ValueError(f"The year of the {name.lower()} must include 4 numbers")
        try:
            self.data = dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{name} must be a real date") from None

    def _value(self):
        return self.data.isoformat() if self.data else ""
