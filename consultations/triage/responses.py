"""Triage of whole responses: status steps, assignment, soft delete and restore, publication consent."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ..models import (
    CONSENT_LEVELS,
    RESPONSE_STATUSES,
    OrganisationType,
    Respondent,
    Response,
    utcnow,
)


class TriageError(ValueError):
    """A triage request that cannot be carried out; the message says why and what to do."""


# The order a response moves through. One step forward, or one step back to correct a mistake.
STATUS_FLOW: tuple[str, ...] = RESPONSE_STATUSES


def allowed_statuses(current: str) -> list[str]:
    """The statuses a response may move to from ``current``: the next step and the one before."""
    if current not in STATUS_FLOW:
        return [STATUS_FLOW[0]]  # an unknown (legacy) status can always go back to the start
    index = STATUS_FLOW.index(current)
    moves = []
    if index + 1 < len(STATUS_FLOW):
        moves.append(STATUS_FLOW[index + 1])
    if index > 0:
        moves.append(STATUS_FLOW[index - 1])
    return moves


def _quoted_list(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


REOPENED_STATUS = STATUS_FLOW[STATUS_FLOW.index("closed") - 1]


def ensure_open(response: Response) -> None:
    """Refuse to correct a closed response: closing it means its recommendations are settled,
    so they stay as they are until someone reopens it (one step back in triage)."""
    if response.status == "closed":
        raise TriageError(
            "This response is closed, so its recommendations cannot be changed. Reopen it first: "
            f"move its status back to '{REOPENED_STATUS}'."
        )


def set_status(response: Response, status: str) -> Response:
    """Move a response one step along ``STATUS_FLOW`` (or one step back)."""
    allowed = allowed_statuses(response.status)
    if status not in STATUS_FLOW:
        raise TriageError(f"'{status}' is not a response status. It can move to {_quoted_list(allowed)}.")
    if status == response.status:
        raise TriageError(f"The response is already '{status}'. It can move to {_quoted_list(allowed)}.")
    if status not in allowed:
        raise TriageError(
            f"A response that is '{response.status}' cannot move straight to '{status}'. "
            f"It can move to {_quoted_list(allowed)}."
        )
    response.status = status
    return response


def assign(session: Session, responses: Sequence[Response], user_id: int | None) -> list[Response]:
    """Give responses to a member of staff (by user id), or to nobody with ``None``.

    The caller checks that the user exists and is active: users live in the web application.
    The new assignee is emailed when the transaction commits (``consultations.notifications``),
    unless they assigned the responses to themselves.
    """
    if not responses:
        raise TriageError("Select at least one response to assign.")
    deleted = [response for response in responses if response.deleted_at is not None]
    if deleted:
        raise TriageError("Deleted responses cannot be assigned. Restore them first.")
    from consultations import notifications

    for response in responses:
        if user_id is not None and response.assignee_id != user_id:
            notifications.note(session, "assigned", [user_id], {
                "response_id": response.id, "respondent": response.respondent.name,
                "consultation": response.consultation.title})
        response.assignee_id = user_id
    session.flush()
    return list(responses)


def delete_response(session: Session, response: Response) -> Response:
    """Soft-delete a response: it leaves every list but stays restorable with all it holds."""
    if response.deleted_at is not None:
        raise TriageError("This response has already been deleted.")
    response.deleted_at = utcnow()
    session.flush()
    return response


def restore_response(session: Session, response: Response) -> Response:
    if response.deleted_at is None:
        raise TriageError("This response has not been deleted, so there is nothing to restore.")
    response.deleted_at = None
    session.flush()
    return response


def set_consent(respondent: Respondent, consent: str, organisation_type: OrganisationType | None) -> Respondent:
    """Change what may be published about a respondent, and their type (one from the controlled list)."""
    if consent not in CONSENT_LEVELS:
        raise TriageError(f"Publication consent must be {_quoted_list(CONSENT_LEVELS)}, not '{consent}'.")
    respondent.consent = consent
    if respondent.organisation_type is not organisation_type:
        respondent.organisation_type = organisation_type
    return respondent
