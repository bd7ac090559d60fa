"""Illustrative decisions, actions and updates on the Clinks recommendations for the demo.

The inspectorate's real answers are not part of the seed documents: these are written for
the demo so that every staff page shows something, and so that the demo holds each state
a stakeholder must never see (a draft, an approved but unpublished decision, an internal
note) next to published ones. Loaded once: a recommendation that already has a decision
is left alone.

The story is written in dates around ``STORY_TODAY``; it is loaded moved forward so that
``STORY_TODAY`` falls on the day of loading (``demo_date``). A demo loaded today then shows
an action a fortnight overdue, not "overdue by 2,436 days", and no update in the future.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations.frameworks import current_items
from consultations.linking import AlreadyLinked, add_by_code
from consultations.models import Recommendation, Response

from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations.workflow import User

STORY_TODAY = dt.date(2020, 4, 14)


def demo_date(story_date: dt.date, today: dt.date | None = None) -> dt.date:
    """A date of the story, moved so that the story's "today" is ``today``."""
    return story_date + ((today or dt.date.today()) - STORY_TODAY)


# key: (outcome, public rationale, internal note, final state, decided on, actions)
# action: (description, owner, created, due, progress, [(date, update text, new status, public)])
DEMO_DECISIONS = {
    "R4": ("accepted",
           "We agree. Standard 4.1.1 will ask whether the allocation of unpaid work took account of "
           "gendered needs, including **childcare responsibilities** and past experience of trauma.",
           "Raised at the methodology board the month before; no objections.",
           "published", dt.date(2019, 7, 1),
           [("Add a gendered-needs prompt to standard 4.1.1 in the unpaid work rules and guidance",
             "Methodology team", dt.date(2019, 7, 1), dt.date(2019, 10, 1), 100,
             [(dt.date(2019, 8, 14), "Draft prompt agreed with the women's voluntary sector.", "in progress", True),
              (dt.date(2019, 9, 20), "Prompt added to the revised rules and guidance.", "implemented", True)])]),
    "R5": ("accepted in part",
           "We will not add a separate standard, but the guidance for standard 4.1.2 will ask "
           "specifically about the safety of women on unpaid work placements.",
           "Legal advice on a separate standard was that it would duplicate 4.1.2.",
           "published", dt.date(2019, 7, 1),
           [("Revise the guidance for standard 4.1.2 to cover the safety of women on placements",
             "Methodology team", dt.date(2019, 7, 1), dt.date(2020, 3, 31), 60,
             [(dt.date(2020, 1, 15), "Draft guidance shared with women's centres for comment.", "in progress", True),
              (dt.date(2020, 2, 3), "Waiting for the unpaid work lead to sign off the draft.", None, False)])]),
    "R1": ("accepted in part",
           "We will ask about work with the voluntary sector under standards 1.1, 1.3 and 2.3. "
           "A new standard on the voluntary sector is not needed.",
           "Check with the Chief Inspector's office before the next framework refresh.",
           "published", dt.date(2019, 7, 1),
           [("Add voluntary sector prompts to standards 1.1, 1.3 and 2.3",
             "Methodology team", dt.date(2019, 7, 1), dt.date(2020, 12, 31), 0, [])]),
    "R9": ("accepted",
           "We will work with voluntary sector organisations to reach service users for inspections, "
           "as set out in our Service User Engagement Strategy.",
           "",
           "published", dt.date(2019, 7, 1),
           [("Commission a voluntary sector partner to support service user engagement in inspections",
             "Service user engagement lead", dt.date(2019, 7, 1), dt.date(2019, 12, 31), 100,
             [(dt.date(2019, 12, 2), "Partner commissioned; first inspections with their support in January.",
               "implemented", True)])]),
    "R8": ("already in place",
           "Domain one already asks how well providers work together; we will say so in the guidance.",
           "Approved at the board; publish with the autumn outcome report.",
           "approved", dt.date(2019, 7, 1), []),
    "R3": ("under consideration",
           "",
           "Need data from providers on how the 20% education time is used before deciding.",
           "draft", dt.date(2019, 7, 1), []),
}
DEMO_LINKS = [("R9", "SO2"), ("R9", "SO1")]


def load(session: Session, consultation_slug: str, respondent_name: str) -> int:
    """Create the demo decisions on one respondent's recommendations (keys R1, R2, ... are
    per response) that do not exist yet; returns how many were created."""
    recs = {r.key: r for r in session.scalars(
        select(Recommendation).join(Response).where(
            Response.consultation.has(slug=consultation_slug), Response.respondent.has(name=respondent_name)))}
    approver = session.scalar(select(User).where(User.role == "approver").order_by(User.id))
    approver_id = approver.id if approver else None
    created = 0
    today = dt.date.today()
    items = current_items(session)
    for key, code in DEMO_LINKS:
        if key in recs:
            try:
                add_by_code(session, recs[key], code, items, user_id=None)
            except AlreadyLinked:
                pass
    for key, (outcome, rationale, note, state, decided_on, actions) in DEMO_DECISIONS.items():
        rec = recs.get(key)
        if rec is None or decision_rules.decision_for(session, rec) is not None:
            continue
        decision = decision_rules.save_decision(session, rec, outcome, rationale, note, approver_id)
        if state in ("approved", "published"):
            # One demo approver stands for the whole team, so the two-person rule is not applied here.
            decision_rules.approve(decision, approver_id, two_person_rule=False)
        if state == "published":
            decision_rules.publish(decision, approver_id,
                                   now=dt.datetime.combine(demo_date(decided_on, today), dt.time(10)),
                                   two_person_rule=False)
        for description, owner, made_on, due_on, progress, updates in actions:
            action = action_rules.add_action(session, decision, description, owner, demo_date(due_on, today),
                                             today=demo_date(made_on, today))
            for on, text, new_status, public in updates:
                on = demo_date(on, today)
                action_rules.add_update(session, action, on, text, None, new_status, public, approver_id, today=on)
            action.progress = progress
        created += 1
    session.flush()
    return created
