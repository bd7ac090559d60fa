"""Counts kept between requests are used only while the audit log says nothing changed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from consultations import count_cache
from consultations.models import Base, Cluster, ClusterMember, Consultation, Recommendation, Respondent, Response
from consultations.workflow import AuditEvent


@pytest.fixture
def rows(session):
    consultation = Consultation(slug="c", title="C", body="B", status="closed")
    response = Response(consultation=consultation, respondent=Respondent(name="R", consent="named"), channel="email")
    session.add_all([consultation, response])
    session.flush()
    session.add_all(Recommendation(response_id=response.id, key=f"R{n}", sequence=n, text="t") for n in (1, 2))
    session.commit()
    return response


def counter(session):
    """A ``compute`` that counts recommendations and says how often it ran."""
    calls = []

    def compute():
        calls.append(1)
        return session.query(Recommendation).count()

    return compute, calls


def test_a_count_is_kept_until_an_audited_change_is_committed(session, rows):
    compute, calls = counter(session)
    assert count_cache.remembered(session, "recs", compute) == 2
    assert count_cache.remembered(session, "recs", compute) == 2
    assert len(calls) == 1  # the second call read the stamp only
    session.add(Recommendation(response_id=rows.id, key="R3", sequence=3, text="t"))
    session.commit()
    assert count_cache.remembered(session, "recs", compute) == 3
    assert len(calls) == 2


def test_a_rolled_back_change_leaves_no_count_behind(session, rows):
    compute, _ = counter(session)
    assert count_cache.remembered(session, "recs", compute) == 2
    session.add(Recommendation(response_id=rows.id, key="R3", sequence=3, text="t"))
    session.flush()
    assert count_cache.remembered(session, "recs", compute) == 3  # this transaction sees its own row
    session.rollback()
    assert count_cache.remembered(session, "recs", compute) == 2


def test_a_new_cluster_member_is_noticed_without_an_audit_event(session, rows):
    compute, calls = counter(session)
    count_cache.remembered(session, "recs", compute)
    cluster = Cluster(consultation_id=rows.consultation_id, status="proposed", threshold=0.9, method="test")
    session.add(cluster)
    session.commit()
    count_cache.remembered(session, "recs", compute)
    assert len(calls) == 2  # the cluster itself is audited
    session.execute(insert(ClusterMember), [{"cluster_id": cluster.id, "recommendation_id": rows.recommendations[0].id,
                                             "score": 1.0}])
    session.commit()
    count_cache.remembered(session, "recs", compute)
    assert len(calls) == 3


def test_each_database_keeps_its_own_counts(session, rows, tmp_path):
    other = create_engine(f"sqlite:///{tmp_path}/other.sqlite3")
    Base.metadata.create_all(other)
    try:
        with Session(other) as elsewhere:
            assert count_cache.remembered(elsewhere, "recs", lambda: elsewhere.query(Recommendation).count()) == 0
        assert count_cache.remembered(session, "recs", counter(session)[0]) == 2
    finally:
        other.dispose()


def test_a_change_committed_under_an_older_id_is_noticed(session, rows):
    """On PostgreSQL an id is taken before its transaction commits: a change committed after a
    newer one has a smaller id than the newest, and must still be seen."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: ids are committed in order")
    event = {"at": dt.datetime(2020, 1, 1), "entity_type": "recommendation", "entity_id": 1, "field": "text"}
    compute, calls = counter(session)
    with Session(session.get_bind()) as slow, Session(session.get_bind()) as quick:
        slow.execute(insert(AuditEvent), [event])  # takes an id, commits later
        quick.execute(insert(AuditEvent), [event])
        quick.commit()
        count_cache.remembered(session, "recs", compute)
        session.commit()
        slow.commit()
    count_cache.remembered(session, "recs", compute)
    assert len(calls) == 2
