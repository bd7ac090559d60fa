"""The decision page's form: outcome, public rationale and internal note of a decision; and
the reason for withdrawing a published one.

The approve, publish, delete and restore buttons use the kit's version-only ``EditForm``.
"""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from consultations.decisions import MAX_WITHDRAWAL_REASON
from consultations.workflow import DECISION_OUTCOMES
from tracker.web.forms import VersionedForm, options

MAX_TEXT = 20_000


class DecisionForm(VersionedForm):
    """The working version of a decision. ``version`` is 0 while there is no decision yet."""

    outcome = RadioField(
        "Outcome",
        choices=options(DECISION_OUTCOMES.choices()),
        widget=GovRadioInput(),
        validators=[InputRequired("Select the outcome of the decision")],
        invalid_choice_message="Select one of the outcomes listed",
    )
    public_rationale = TextAreaField(
        "Public rationale",
        widget=GovTextArea(),
        description=(
            "This will be published on the outcome page for everyone the decision answers. "
            "You can use Markdown: **bold**, *italic*, lists starting with - or 1., "
            "[link text](https://example.org) and > for quotes. It is needed before the decision can be approved."
        ),
        validators=[Length(max=MAX_TEXT, message=f"The public rationale must be {MAX_TEXT:,} characters or fewer")],
    )
    internal_note = TextAreaField(
        "Internal note (optional)",
        widget=GovTextArea(),
        description="For inspectorate staff only. It is never published.",
        validators=[Length(max=MAX_TEXT, message=f"The internal note must be {MAX_TEXT:,} characters or fewer")],
    )


class WithdrawForm(VersionedForm):
    """Why a published decision is withdrawn: the public pages show it with the date."""

    reason = TextAreaField(
        "Why is the decision being withdrawn?",
        widget=GovTextArea(),
        description="This is published on the outcome page in place of the decision, with today's date.",
        validators=[InputRequired("Enter the reason for withdrawing the decision"),
                    Length(max=MAX_WITHDRAWAL_REASON,
                           message=f"The reason must be {MAX_WITHDRAWAL_REASON:,} characters or fewer")],
    )
