"""The clusters area's forms: confirm a cluster (choosing the recommendation that carries the
decision), and the version-only form of the reject and remove buttons."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.validators import InputRequired

from tracker.web.forms import EditForm as VersionOnlyForm  # reject, or remove a member: only the version


class ConfirmForm(VersionOnlyForm):
    primary = RadioField("Which recommendation carries the decision for the cluster?", widget=GovRadioInput(),
                         description="The others become its duplicates: one decision answers them all, and "
                                     "every respondent is credited on the published page.",
                         validators=[InputRequired("Choose the recommendation that carries the decision")])
