"""Triage: the queue of responses, assignment, review status, and putting each response's
recommendations in order (add, edit, split, merge, move, mark duplicates, delete, restore)
and the respondent's publication consent.

Views are thin: they parse a form and hand a service of ``consultations.triage`` to
``tracker.web.editing.apply_edit``, which commits, or rolls back and shows the service's
message (HTTP 400) so nothing is half-saved. Every change is audited by the flush hook in
``consultations.audit``. Anyone signed in can read the queue and the management page; only
policy staff change anything.

The routes live in the modules below, one per part of the job; importing them adds them to
the one blueprint, ``bp``:

- ``queue``: the queue of responses, filtered and paged, and assigning them;
- ``responses``: one response's management page, its review status, deleting and restoring it;
- ``recommendations``: adding a recommendation, editing one, and its page of every change;
- ``corrections``: splitting, merging, marking duplicates, moving, deleting and restoring;
- ``consent``: what may be published about a respondent;
- ``redactions``: passages of a response's text the public must not read (personal data);
- ``understood``: check links asking respondents what we understood, and their answers.
"""
from tracker.staff.triage import bp
from tracker.staff.triage import (  # noqa: F401 (routes)
    consent, corrections, outcome_emails, queue, recommendations, redactions, responses, understood)
from tracker.staff.triage.recommendations import add_from_text_form
from tracker.staff.triage.responses import triage_status_moves

__all__ = ["bp", "add_from_text_form", "triage_status_moves"]  # the last two: globals for browse's templates
