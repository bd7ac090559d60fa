"""The shared GOV.UK date field: every date in the service is read and refused the same way."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from tracker.web.fields import GovDateField


class Dates(Form):
    optional = GovDateField("Received on or after (optional)")
    required = GovDateField("Due date", required=True)
    explained = GovDateField("Date of the update", required_message="Enter the date of the update")


def errors_for(name: str, *values: str) -> tuple[dt.date | None, list[str]]:
    form = Dates(formdata=MultiDict([(name, value) for value in values]))
    form.validate()
    return form[name].data, form[name].errors


@pytest.mark.parametrize("values, date", [
    (("12", "4", "2019"), dt.date(2019, 4, 12)),
    ((" 1 ", "05", "2024"), dt.date(2024, 5, 1)),
    (("2019-04-12",), dt.date(2019, 4, 12)),  # a link may carry an ISO date
])
def test_a_real_date_is_read(values, date):
    assert errors_for("optional", *values) == (date, [])


def test_blank_is_no_date_unless_required():
    assert errors_for("optional", "", "", "") == (None, [])
    assert errors_for("optional") == (None, [])
    assert errors_for("required", "", "", "") == (None, ["Enter the due date"])
    assert errors_for("explained") == (None, ["Enter the date of the update"])


@pytest.mark.parametrize("values, message", [
    (("", "2", ""), "Received on or after must include a day and year"),
    (("1", "", "2019"), "Received on or after must include a month"),
    (("1", "5", "24"), "The year of the received on or after must include 4 numbers"),
    (("31", "2", "2024"), "Received on or after must be a real date"),
    (("1", "May", "2024"), "Received on or after must be a real date"),
    (("2019-02-30",), "Received on or after must be a real date"),
    (("nonsense",), "Received on or after must be a real date"),
])
def test_a_wrong_date_says_what_to_fix_and_keeps_what_was_typed(values, message):
    form = Dates(formdata=MultiDict([("optional", value) for value in values]))
    assert not form.validate()
    assert form.optional.errors == [message] and form.optional.data is None
    assert len(form.optional.raw_data) == 3  # the three boxes show what was typed
