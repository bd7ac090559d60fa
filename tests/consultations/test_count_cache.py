"""Counts kept between requests are used only while the publication stamp says nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from consultations import count_cache
from consultations.models import Base, Cluster, ClusterMember, Consultation, Recommendation, Respondent, Response


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


def test_a_count_is_kept_until_a_change_is_committed(session, rows):
    compute, calls = counter(session)
    assert count_cache.remembered(session, "recs", compute) == 2
    assert count_cache.remembered(session, "recs", compute) == 2
    assert len(calls) == 1  # the second call read the stamp only
    session.add(Recommendation(response_id=rows.id, key="R3", sequence=3, text="t"))
    session.commit()
    assert count_cache.remembered(session, "recs", compute) == 3
    assert len(calls) == 2


def test_a_session_with_uncommitted_changes_counts_afresh_and_keeps_nothing(session, rows):
    compute, calls = counter(session)
    assert count_cache.remembered(session, "recs", compute) == 2
    session.add(Recommendation(response_id=rows.id, key="R3", sequence=3, text="t"))
    session.flush()
    assert count_cache.remembered(session, "recs", compute) == 3  # this transaction sees its own row
    session.rollback()
    assert count_cache.remembered(session, "recs", compute) == 2
    assert len(calls) == 2  # the count before the change was still good after the rollback


def test_a_bulk_insert_of_cluster_members_is_noticed(session, rows):
    compute, calls = counter(session)
    count_cache.remembered(session, "recs", compute)
    cluster = Cluster(consultation_id=rows.consultation_id, status="proposed", threshold=0.9, method="test")
    session.add(cluster)
    session.commit()
    count_cache.remembered(session, "recs", compute)
    assert len(calls) == 2
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


def test_a_change_committed_by_another_session_is_noticed(session, rows):
    """Another process (a gunicorn worker, a command) commits through its own session."""
    compute, calls = counter(session)
    count_cache.remembered(session, "recs", compute)
    session.commit()
    with Session(session.get_bind()) as other:
        other.add(Recommendation(response_id=rows.id, key="R3", sequence=3, text="t"))
        other.commit()
    assert count_cache.remembered(session, "recs", compute) == 3
    assert len(calls) == 2
