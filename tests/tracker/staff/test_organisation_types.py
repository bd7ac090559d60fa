"""Organisation types: the controlled list, its matcher, public naming, the admin pages, migration 0010.

Free text used to give filters both "voluntary sector" and "Voluntary sector organisation" and
public pages "A Voluntary sector organisation organisation": each test here pins one half of
the cure (one type per kind, one way of naming it in public).
"""
from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from consultations import organisation_types as types
from consultations.models import OrganisationType, Respondent
from consultations.published import public_name
from tracker.db import db

URL = "/staff/admin/organisation-types"


# --- the matcher and public naming -----------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("voluntary sector", "Voluntary sector organisation"),
    ("Voluntary sector organisation", "Voluntary sector organisation"),
    ("  VOLUNTARY-SECTOR  ", "Voluntary sector organisation"),
    ("Charity", "Voluntary sector organisation"),
    ("VCSE", "Voluntary sector organisation"),
    ("NGO (Non-governmental organisation)", "Voluntary sector organisation"),
    ("probation provider", "Probation provider"),
    ("CRC", "Probation provider"),
    ("Local authority", "Statutory body"),
    ("University", "Academic or research organisation"),
    ("Academic or research institution", "Academic or research organisation"),
    ("Public body", "Statutory body"),
    ("Private individual", "Individual or person with lived experience"),
    ("an individual or a person with lived experience", "Individual or person with lived experience"),
    ("Other", "Other"),
])
def test_text_is_matched_onto_the_default_list(session, text, expected):
    types.ensure_defaults(session)
    assert types.match(session, text).name == expected


def test_unknown_text_becomes_a_type_of_its_own_once(session):
    first, added = types.match_or_add(session, "Parliamentary committee")
    again, added_again = types.match_or_add(session, "parliamentary  COMMITTEE")
    assert added and not added_again and again is first
    assert (first.name, first.public_name) == ("Parliamentary committee", "a parliamentary committee")
    assert types.match_or_add(session, "  ") == (None, False)


def test_every_type_reads_correctly_in_public(session):
    """Defaults, and types made from the kinds of text respondents type: no doubled words, the right article."""
    types.ensure_defaults(session)
    for text in ("faith", "Company", "WEOG", "UN agency", "Inspectorate", "Housing association", "Ombudsman",
                 "User-led organisation", "Academic", "European body", "Hospital trust", "NHS"):
        types.named(session, text)
    session.flush()
    for organisation_type in types.listed(session):
        respondent = Respondent(name="Hidden Name", consent="anonymous", organisation_type=organisation_type)
        shown = public_name(respondent)
        words = shown.lower().split()
        assert shown[0].isupper() and "Hidden" not in shown, shown
        assert words[0] in ("a", "an") and words[0] == types.article(shown.split()[1]), shown
        assert not any(a == b for a, b in zip(words, words[1:])), f"doubled word in {shown!r}"
        assert "organisation organisation" not in shown.lower()
    assert public_name(Respondent(name="X", consent="anonymous")) == "A respondent"
    assert public_name(Respondent(name="X", consent="anonymous",
                                  organisation_type=types.match(session, "individual"))) == \
        "An individual or a person with lived experience"


@pytest.mark.parametrize("word, expected", [
    ("individual", "an"), ("academic", "an"), ("university", "a"), ("NGO", "an"), ("UN", "a"), ("faith", "a"),
    ("honest", "an"), ("European", "a"), ("NHS", "an"), ("one", "a"), ("other", "an")])
def test_article(word, expected):
    assert types.article(word) == expected


# --- the admin pages ----------------------------------------------------------------------


@pytest.fixture
def admin(sign_in, session):
    types.ensure_defaults(session)
    session.commit()
    return sign_in("admin")


def listed_names(session) -> list[str]:
    session.expire_all()
    return [t.name for t in types.listed(session)]


def test_list_shows_every_type_in_order_with_its_use(admin, session):
    clinks = Respondent(name="Clinks", consent="named", organisation_type=types.match(session, "charity"))
    session.add(clinks)
    session.commit()
    html = admin.get(URL).get_data(as_text=True)
    assert html.count("<h1") == 1 and "6 organisation types" in html
    assert html.index("Voluntary sector organisation") < html.index("Probation provider") < html.index("Other")
    row = re.search(r"Voluntary sector organisation<span.*?</tr>", html, re.S).group(0)
    assert "a voluntary sector organisation" in row and ">1</td>" in row
    assert "/staff/admin/organisation-types" in admin.get("/staff/admin/").get_data(as_text=True)


def test_add_rename_and_stop_offering_a_type(admin, session, users):
    response = admin.post(URL + "/new", data={"name": "  Faith   group ", "public_name": "", "active": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == URL
    faith = session.scalars(select(OrganisationType).where(OrganisationType.name == "Faith group")).one()
    assert (faith.public_name, faith.position, faith.active) == ("a faith group", 6, True)

    page = admin.get(f"{URL}/{faith.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = admin.post(f"{URL}/{faith.id}/edit", data={
        "name": "Faith organisation", "public_name": "a faith-based organisation", "active": "no", "version": version})
    assert response.status_code == 302
    session.expire_all()
    assert (faith.name, faith.public_name, faith.active) == ("Faith organisation", "a faith-based organisation", False)
    # No longer offered where staff choose a type, still offered where they filter by one.
    assert [t.name for t in types.choices(session)].count("Faith organisation") == 0
    assert (faith.id, "Faith organisation (no longer offered)") in types.filter_options(session)
    held = Respondent(name="Chaplaincy", consent="anonymous", organisation_type=faith)
    session.add(held)
    session.commit()
    assert faith in types.choices(session, held.organisation_type), "a respondent's own type stays choosable"
    assert public_name(held) == "A faith-based organisation"

    history = admin.get(f"/staff/history/organisation-type/{faith.id}").get_data(as_text=True)
    assert "Faith organisation" in history


@pytest.mark.parametrize("data, message", [
    ({"name": "", "active": "yes"}, "Enter the name of the organisation type"),
    ({"name": "statutory BODY", "active": "yes"}, "There is already an organisation type called statutory BODY"),
    ({"name": "Trade union", "public_name": "trade unions", "active": "yes"}, "Start the public name with “a” or “an”"),
    ({"name": "Trade union", "public_name": "an trade union", "active": "yes"}, "Use “a” before “trade”"),
    ({"name": "x" * 101, "active": "yes"}, "The name must be 100 characters or fewer"),
    ({"name": "Trade union", "active": "maybe"}, "Select whether staff can choose this type"),
])
def test_refusals_change_nothing(admin, session, data, message):
    before = listed_names(session)
    response = admin.post(URL + "/new", data=data)
    assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert listed_names(session) == before


def test_a_stale_edit_is_refused_with_what_changed(admin, session):
    other = types.match(session, "other")
    stale = other.version_id
    other.public_name = "a respondent of some other kind"
    session.commit()
    response = admin.post(f"{URL}/{other.id}/edit", data={
        "name": "Something else", "public_name": "", "active": "yes", "version": stale})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Something else" in html
    session.expire_all()
    assert other.name == "Other"


def test_reorder_moves_one_place_and_refuses_a_stale_move(admin, session):
    provider = types.match(session, "probation provider")
    response = admin.post(f"{URL}/{provider.id}/move/up", data={"version": provider.version_id})
    assert response.status_code == 302
    assert listed_names(session)[:2] == ["Probation provider", "Voluntary sector organisation"]
    stale = admin.post(f"{URL}/{provider.id}/move/down", data={"version": 1})
    assert stale.status_code == 409
    assert listed_names(session)[:2] == ["Probation provider", "Voluntary sector organisation"]
    assert admin.post(f"{URL}/{provider.id}/move/sideways", data={"version": provider.version_id}).status_code == 404


def test_an_empty_list_offers_the_defaults(sign_in, session):
    admin = sign_in("admin")
    assert "Add the default list" in admin.get(URL).get_data(as_text=True)
    assert admin.post(URL + "/defaults").status_code == 302
    assert listed_names(session)[0] == "Voluntary sector organisation" and len(listed_names(session)) == 6
    admin.post(URL + "/defaults")
    assert len(listed_names(session)) == 6


@pytest.mark.parametrize("role", ["policy", "viewer"])
def test_other_roles_cannot_change_the_list(sign_in, session, role):
    types.ensure_defaults(session)
    session.commit()
    client = sign_in(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL + "/new", data={"name": "Sneaky", "active": "yes"}).status_code == 403
    assert "Sneaky" not in listed_names(session)


# --- migration 0010 -------------------------------------------------------------------------


MESSY = ["voluntary sector", "Voluntary sector organisation", "VCSE", "charity", "Probation provider",
         "individual", "Parliamentary committee", "parliamentary committee ", None, "  "]


def test_migration_maps_messy_values_and_downgrade_restores_names(app):
    with app.app_context():
        db.drop_all()
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            for n, value in enumerate(MESSY, start=1):
                connection.exec_driver_sql(
                    "INSERT INTO respondent (id, name, organisation_type, consent, created_at, version_id) "
                    "VALUES (?, ?, ?, 'named', '2026-01-01 00:00:00', 1)"
                    if db.engine.dialect.name == "sqlite" else
                    "INSERT INTO respondent (id, name, organisation_type, consent, created_at, version_id) "
                    "VALUES (%s, %s, %s, 'named', '2026-01-01 00:00:00', 1)",
                    (n, f"Respondent {n}", value))
        upgrade(revision="0010_organisation_types")
        with db.engine.connect() as connection:
            names = dict(connection.exec_driver_sql(
                "SELECT r.id, t.name FROM respondent r LEFT JOIN organisation_type t "
                "ON t.id = r.organisation_type_id ORDER BY r.id").all())
            listed = [row[0] for row in connection.exec_driver_sql(
                "SELECT name FROM organisation_type ORDER BY position, id").all()]
        assert [names[n] for n in range(1, 11)] == [
            "Voluntary sector organisation"] * 4 + ["Probation provider", "Individual or person with lived experience",
                                                    "Parliamentary committee", "Parliamentary committee", None, None]
        assert listed == [d.name for d in types.DEFAULT_TYPES] + ["Parliamentary committee"]
        downgrade(revision="0008")
        with db.engine.connect() as connection:
            restored = [row[0] for row in connection.exec_driver_sql(
                "SELECT organisation_type FROM respondent ORDER BY id").all()]
        assert restored[:7] == ["Voluntary sector organisation"] * 4 + [
            "Probation provider", "Individual or person with lived experience", "Parliamentary committee"]
        downgrade(revision="base")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()


def test_renaming_a_type_reindexes_its_respondents_documents(app, session):
    """The organisation type facet shows the type's name: a rename rewrites the documents that carry it."""
    from consultations.models import Consultation, Recommendation, Response
    from tracker.indexing import _keys_for, expand

    faith = types.named(session, "faith")
    response = Response(consultation=Consultation(slug="c", title="C", body="B"), text="t",
                        respondent=Respondent(name="Chaplaincy", consent="named", organisation_type=faith))
    rec = Recommendation(response=response, key="R1", sequence=1, text="Visit chapels.")
    session.add(rec)
    session.commit()
    wanted = expand(session, _keys_for(faith))
    assert wanted["response"] == {response.id} and rec.id in wanted["recommendation"]


def test_an_import_reports_the_types_it_had_to_add(session):
    from consultations.bulk import ImportReport

    report = ImportReport()
    matcher = types.ImportMatcher(session, report)
    assert matcher("Third sector").name == "Voluntary sector organisation"
    committee = matcher("Select committee")
    assert matcher("select committee") is committee and committee.name == "Select committee"
    assert report.counts == {"organisation types added": 1}
    assert report.notes == ["Some organisation types were not in the list and have been added (for example "
                            "‘Select committee’). An admin can rename them or stop offering them."]


def test_a_respondents_history_names_its_types(sign_in, session):
    types.ensure_defaults(session)
    clinks = Respondent(name="Clinks", consent="named", organisation_type=types.match(session, "charity"))
    session.add(clinks)
    session.commit()
    policy = sign_in("policy")
    academic = types.match(session, "academic")
    response = policy.post(f"/staff/respondents/{clinks.id}/consent", data={
        "consent": "named", "organisation_type": academic.id, "version": clinks.version_id})
    assert response.status_code == 302
    history = policy.get(f"/staff/history/respondent/{clinks.id}").get_data(as_text=True)
    assert "Voluntary sector organisation" in history and "Academic or research organisation" in history
