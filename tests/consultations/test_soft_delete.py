"""One soft-delete mechanism: once installed, deleted rows are invisible to ordinary queries and
relationship loads; ``include_deleted=True`` sees them; restore brings them back."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import joinedload, selectinload, sessionmaker, subqueryload

from consultations import soft_delete as soft
from consultations.models import Base, Consultation, Recommendation, Respondent, Response
from consultations.soft_delete import WITH_DELETED, restore, soft_delete
from consultations.workflow import Action, Decision
from consultations.organisation_types import named as named_type


@pytest.fixture
def make_session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    soft.install(factory)
    yield factory
    soft.uninstall(factory)
    engine.dispose()


@pytest.fixture
def ids(make_session):
    """A response with two recommendations, the second deleted; a second response, deleted."""
    with make_session() as session:
        consultation = Consultation(title="Hostels", slug="hostels", body="About hostels.")
        respondent = Respondent(name="Clinks", organisation_type=named_type(session, "charity"), consent="named")
        kept = Response(consultation=consultation, respondent=respondent, channel="email", text="kept",
                        received_on=dt.date(2019, 4, 20))
        gone = Response(consultation=consultation, respondent=respondent, channel="email", text="gone",
                        received_on=dt.date(2019, 4, 21))
        live = Recommendation(response=kept, key="R1", sequence=1, text="Live one.", spans=[], origin="manual")
        dead = Recommendation(response=kept, key="R2", sequence=2, text="Dead one.", spans=[], origin="manual")
        session.add_all([consultation, respondent, kept, gone, live, dead])
        session.flush()
        soft_delete(dead)
        soft_delete(gone)
        session.commit()
        return dict(consultation=consultation.id, kept=kept.id, gone=gone.id, live=live.id, dead=dead.id)


def test_every_model_with_deleted_at_is_covered():
    assert set(soft.soft_deletable_models()) == {Action, Decision, Recommendation, Response}


def test_deleted_rows_are_invisible_to_ordinary_queries(make_session, ids):
    with make_session() as session:
        assert session.scalars(select(Recommendation.id)).all() == [ids["live"]]
        assert session.scalars(select(Response.id)).all() == [ids["kept"]]
        assert session.get(Recommendation, ids["dead"]) is None
        # Joins are filtered too: counting recommendations per response sees the live one only.
        counted = session.execute(
            select(Response.id, func.count(Recommendation.id))
            .join(Recommendation, Recommendation.response_id == Response.id)
            .group_by(Response.id)).all()
        assert counted == [(ids["kept"], 1)]


def test_relationship_loads_hide_deleted_rows(make_session, ids):
    with make_session() as session:
        response = session.get(Response, ids["kept"])
        assert [rec.key for rec in response.recommendations] == ["R1"]
        consultation = session.get(Consultation, ids["consultation"])
        assert [r.id for r in consultation.responses] == [ids["kept"]]


def test_a_row_still_reaches_its_deleted_parent(make_session, ids):
    """A reference to one object is never hidden: code asks it whether it is deleted."""
    with make_session() as session:
        dead = session.get(Recommendation, ids["dead"], execution_options=WITH_DELETED)
        session.get(Response, ids["kept"]).deleted_at = dt.datetime(2026, 1, 1)
        session.flush()
        session.expunge_all()
        live = session.scalars(select(Recommendation)).one()
        assert live.response is not None and live.response.deleted_at is not None
        assert dead is not None


@pytest.mark.parametrize("loader", [selectinload, subqueryload, joinedload])
def test_eager_loaded_collections_hide_deleted_rows_too(make_session, ids, loader):
    with make_session() as session:
        responses = session.scalars(select(Response).options(loader(Response.recommendations))).unique().all()
        assert [[rec.key for rec in r.recommendations] for r in responses] == [["R1"]]
    with make_session() as session:
        responses = session.scalars(select(Response).options(loader(Response.recommendations))
                                    .order_by(Response.id), execution_options=WITH_DELETED).unique().all()
        assert [sorted(rec.key for rec in r.recommendations) for r in responses] == [["R1", "R2"], []]


@pytest.mark.parametrize("loader", [selectinload, subqueryload, None])
def test_a_reference_loaded_later_reaches_a_deleted_parent(make_session, ids, loader):
    """Only a joinedload, part of the filtered statement itself, gives None (see hide_deleted)."""
    with make_session() as session:
        session.get(Response, ids["kept"]).deleted_at = dt.datetime(2026, 1, 1)
        session.commit()
    with make_session() as session:
        query = select(Recommendation)
        if loader is not None:
            query = query.options(loader(Recommendation.response))
        rec = session.scalars(query).one()
        assert rec.response is not None and rec.response.id == ids["kept"]


def test_include_deleted_sees_them(make_session, ids):
    with make_session() as session:
        every = session.scalars(select(Recommendation.key).order_by(Recommendation.key),
                                execution_options=WITH_DELETED).all()
        assert every == ["R1", "R2"]
        assert session.get(Recommendation, ids["dead"], execution_options=WITH_DELETED).key == "R2"
        # An object loaded with the opt-out loads its deleted relations as well.
        response = session.scalars(select(Response).where(Response.id == ids["kept"])
                                   .execution_options(include_deleted=True)).one()
        assert sorted(rec.key for rec in response.recommendations) == ["R1", "R2"]


def test_restore_brings_a_row_back(make_session, ids):
    with make_session() as session:
        dead = session.get(Recommendation, ids["dead"], execution_options=WITH_DELETED)
        restore(dead)
        session.commit()
    with make_session() as session:
        assert sorted(session.scalars(select(Recommendation.key))) == ["R1", "R2"]
        assert [r.key for r in session.get(Response, ids["kept"]).recommendations] == ["R1", "R2"]


def test_deleting_again_keeps_the_first_time(make_session, ids):
    with make_session() as session:
        dead = session.get(Recommendation, ids["dead"], execution_options=WITH_DELETED)
        first = dead.deleted_at
        soft_delete(dead)
        assert dead.deleted_at == first


def test_install_is_idempotent(ids, make_session):
    soft.install(make_session)
    assert soft.installed(make_session)
    with make_session() as session:
        assert len(session.scalars(select(Recommendation)).all()) == 1
    soft.uninstall(make_session)
    assert not soft.installed(make_session)
    soft.install(make_session)  # for the fixture to remove


def test_the_app_installs_it_for_every_session(app):
    from sqlalchemy.orm import Session

    from tracker.db import db

    assert soft.installed(Session)
    with app.app_context():
        assert isinstance(db.session(), Session)
