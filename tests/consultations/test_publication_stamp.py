"""The publication stamp (consultations/publication_stamp.py): a commit that writes to a table the
public pages read gives it a new token, by the unit of work or a bulk statement alike; a commit
that writes only private tables, a rollback, or a savepoint's release does not."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, update

from consultations import publication_stamp
from consultations.models import Consultation, Respondent
from consultations.workflow import FailedSignIn, Decision


def token(session) -> str:
    return publication_stamp.current(session)


def test_a_database_starts_with_a_token(session):
    assert len(token(session)) == 32


def test_an_orm_change_to_a_public_table_gets_a_new_token_at_commit(session):
    first = token(session)
    session.add(Consultation(slug="c", title="C", body="B", status="open"))
    session.flush()
    assert token(session) == first  # not before the commit: no reader may see it ahead of the data
    assert publication_stamp.unsettled(session)
    session.commit()
    assert token(session) != first and not publication_stamp.unsettled(session)


def test_bulk_statements_on_public_tables_get_a_new_token(session):
    first = token(session)
    session.execute(insert(Respondent.__table__), [{"name": "Bulk", "consent": "named", "version_id": 1,
                                                    "created_at": dt.datetime(2020, 1, 1)}])
    session.commit()
    second = token(session)
    assert second != first
    session.execute(update(Decision).values(internal_note="x"))  # an ORM bulk update, even of no rows
    session.commit()
    assert token(session) != second


def test_private_tables_and_rollbacks_keep_the_token(session):
    first = token(session)
    session.add(FailedSignIn(account="someone@example.org", address="127.0.0.1"))
    session.commit()
    assert token(session) == first
    session.add(Consultation(slug="gone", title="Gone", body="B", status="open"))
    session.flush()
    session.rollback()
    session.commit()
    assert token(session) == first


def test_one_new_token_for_a_commit_with_savepoints(session):
    first = token(session)
    with session.begin_nested():
        session.add(Consultation(slug="inner", title="Inner", body="B", status="open"))
    assert token(session) == first  # released, not committed
    session.commit()
    assert token(session) != first


def test_a_missing_row_is_made_again_by_the_next_change(session):
    session.execute(publication_stamp.PublicationStamp.__table__.delete())
    session.commit()
    assert token(session) is None  # pages are then not cached
    session.add(Consultation(slug="c", title="C", body="B", status="open"))
    session.commit()
    assert len(token(session)) == 32
