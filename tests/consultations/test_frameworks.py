"""Framework files: reading, checking, importing and re-importing (domain and CLI)."""
from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select

from consultations.frameworks import (
    FrameworkFileError,
    UnknownFramework,
    extends,
    frameworks_for,
    import_framework,
    load_framework_file,
)
from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
)
from conftest import PROBATION_FRAMEWORK, SUER_FRAMEWORK
from tracker.db import db

PROBATION_ITEMS = 48


def item(session, key, code, version=None):
    query = select(FrameworkItem).join(Framework).where(
        Framework.key == key, FrameworkItem.code == code
    )
    if version is not None:
        query = query.where(Framework.version == version)
    return session.scalars(query).one()


def snapshot():
    """Every framework and item row as committed, read on a separate connection."""
    with db.engine.connect() as conn:
        frameworks = conn.execute(select(Framework.__table__).order_by("id")).all()
        items = conn.execute(select(FrameworkItem.__table__).order_by("id")).all()
    return frameworks, items


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def import_file(runner, path, *options):
    return runner.invoke(args=["frameworks", "import", str(path), *options])


def make_link(session, framework_item):
    """A minimal chain so a Link row points at ``framework_item``."""
    consultation = Consultation(slug="c", title="Consultation", body="HMIP")
    respondent = Respondent(name="Clinks")
    response = Response(consultation=consultation, respondent=respondent, text="…")
    recommendation = Recommendation(response=response, key="R1", sequence=1, text="Do better.")
    link = Link(recommendation=recommendation, item=framework_item, origin="explicit")
    session.add_all([consultation, respondent, response, recommendation, link])
    session.commit()
    return link.id


SUER_EDITED = """\
    framework:
      key: hmip-suer-2019
      name: HM Inspectorate of Probation - Service User Engagement Strategy 2019-2022
      version: "2019-2022"
      kind: strategic objectives
    items:
      - code: "SO1"
        aliases: ["strategic objective 1", "strategic objective one", "objective 1", "objective one"]
        title: Seek advice from (ex-)service users on our developing inspection methodology
        verified: true
        text: Engage people with lived experience throughout the development of inspection methodology, through a dedicated stakeholder engagement and communications workstream, reaching as diverse and wide a group as possible.
      - code: "SO2"
        aliases: ["strategic objective 2", "strategic objective two", "objective 2", "objective two"]
        title: A NEW TITLE
        verified: true
        text: Interview service users whose cases are inspected, meet service user councils, involve service users in thematic and research work (including peer researchers), consider surveys, focus groups and lived-experience members of inspection teams.
"""


# ------------------------------------------------------------------------------ good imports


def test_demo_frameworks_import(session):
    probation = import_framework(session, load_framework_file(PROBATION_FRAMEWORK))
    suer = import_framework(session, load_framework_file(SUER_FRAMEWORK))
    session.commit()

    assert (probation.created, probation.updated, probation.retired) == (PROBATION_ITEMS, 0, 0)
    framework = probation.framework
    assert (framework.key, framework.version, framework.kind) == (
        "hmip-probation-2019", "2019", "standards"
    )
    assert len(framework.items) == PROBATION_ITEMS
    assert [i.code for i in framework.items[:3]] == ["1", "1.1", "1.1.1"]  # file order

    leadership = item(session, "hmip-probation-2019", "1.1")
    assert leadership.parent.code == "1"
    assert [c.code for c in leadership.children] == ["1.1.1", "1.1.2"]
    assert item(session, "hmip-probation-2019", "1").parent is None
    assert item(session, "hmip-probation-2019", "4").aliases == [
        "domain three", "domain 3", "domain three (CRC)"
    ]
    assert item(session, "hmip-probation-2019", "4.1.1").verified is True
    assert item(session, "hmip-probation-2019", "1.1.1").verified is False

    assert suer.created == 3
    assert suer.framework.kind == "strategic objectives"
    so1 = item(session, "hmip-suer-2019", "SO1")
    assert {"strategic objective 1", "objective one", "objective 1"} <= set(so1.aliases)
    assert "objective three" in item(session, "hmip-suer-2019", "SO3").aliases


def test_cli_import_and_list(runner, session):
    result = import_file(runner, PROBATION_FRAMEWORK)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Imported hmip-probation-2019 version 2019 (standards): {PROBATION_ITEMS} items — "
        f"{PROBATION_ITEMS} new, 0 updated, 0 unchanged, 0 retired."
    )
    assert import_file(runner, SUER_FRAMEWORK).exit_code == 0

    result = runner.invoke(args=["frameworks", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["KEY", "VERSION", "KIND", "ITEMS"]
    assert lines[1].split()[:4] == [
        "hmip-probation-2019", "2019", "standards", str(PROBATION_ITEMS)
    ]
    assert lines[2].startswith("hmip-suer-2019")
    assert "strategic objectives" in lines[2] and "Service User Engagement" in lines[2]


def test_list_when_empty(runner):
    result = runner.invoke(args=["frameworks", "list"])
    assert result.exit_code == 0
    assert "No frameworks imported yet" in result.output


def test_reimport_updates_in_place_and_links_survive(runner, session):
    assert import_file(runner, PROBATION_FRAMEWORK).exit_code == 0
    ids = dict(session.execute(select(FrameworkItem.code, FrameworkItem.id)).all())
    link_id = make_link(session, item(session, "hmip-probation-2019", "4.1.1"))

    result = import_file(runner, PROBATION_FRAMEWORK)
    assert result.exit_code == 0, result.output
    assert f"0 new, 0 updated, {PROBATION_ITEMS} unchanged, 0 retired." in result.output

    session.expire_all()
    assert dict(session.execute(select(FrameworkItem.code, FrameworkItem.id)).all()) == ids
    assert session.scalar(select(func.count()).select_from(Framework)) == 1
    link = session.get(Link, link_id)
    assert link.item.code == "4.1.1" and link.item_id == ids["4.1.1"]


def test_changed_title_is_updated_and_removed_item_retired(session, tmp_path):
    first = import_framework(session, load_framework_file(SUER_FRAMEWORK))
    session.commit()
    so3 = item(session, "hmip-suer-2019", "SO3")
    link_id = make_link(session, so3)
    ids = {i.code: i.id for i in first.framework.items}

    report = import_framework(session, load_framework_file(write(tmp_path, "s.yaml", SUER_EDITED)))
    session.commit()
    assert (report.created, report.updated, report.unchanged, report.retired) == (0, 1, 1, 1)
    assert report.framework.id == first.framework.id
    assert item(session, "hmip-suer-2019", "SO2").title == "A NEW TITLE"
    so3 = item(session, "hmip-suer-2019", "SO3")  # retired, not deleted
    assert so3.id == ids["SO3"] and so3.retired_at is not None
    assert session.get(Link, link_id).item_id == so3.id

    # Back in the file: revived, same id.
    report = import_framework(session, load_framework_file(SUER_FRAMEWORK))
    session.commit()
    assert (report.created, report.updated, report.unchanged, report.retired) == (0, 2, 1, 0)
    so3 = item(session, "hmip-suer-2019", "SO3")
    assert so3.id == ids["SO3"] and so3.retired_at is None
    assert item(session, "hmip-suer-2019", "SO2").title.startswith("Increase the involvement")


def test_reimport_moves_item_to_new_parent(session, tmp_path):
    before = write(tmp_path, "a.yaml", """\
        framework: {key: t, name: T, version: "1"}
        items:
          - {code: "1", title: One, children: [{code: "1.1", title: Sub}]}
          - {code: "1.1.1", title: Loose}
    """)
    import_framework(session, load_framework_file(before))
    after = write(tmp_path, "c.yaml", """\
        framework: {key: t, name: T, version: "1"}
        items:
          - code: "1"
            title: One
            children:
              - {code: "1.1", title: Sub, children: [{code: "1.1.1", title: Loose}]}
    """)
    report = import_framework(session, load_framework_file(after))
    assert report.updated == 1 and report.unchanged == 2
    assert item(session, "t", "1.1.1").parent.code == "1.1"


def test_new_version_creates_second_framework(runner, session):
    assert import_file(runner, SUER_FRAMEWORK).exit_code == 0
    result = import_file(runner, SUER_FRAMEWORK, "--version", "2022-2025")
    assert result.exit_code == 0, result.output
    assert (
        "Imported hmip-suer-2019 version 2022-2025 (strategic objectives): 3 items"
    ) in result.output

    versions = session.scalars(select(Framework.version).order_by(Framework.id)).all()
    assert versions == ["2019-2022", "2022-2025"]
    assert session.scalar(select(func.count()).select_from(FrameworkItem)) == 6
    assert item(session, "hmip-suer-2019", "SO1", "2019-2022").id != item(
        session, "hmip-suer-2019", "SO1", "2022-2025"
    ).id
    [latest] = frameworks_for(session, "hmip-suer-2019")
    assert latest.version == "2022-2025"


def test_frameworks_for(session):
    with pytest.raises(UnknownFramework, match="no frameworks have been imported"):
        frameworks_for(session, "hmip-suer-2019")
    assert frameworks_for(session) == []
    import_framework(session, load_framework_file(PROBATION_FRAMEWORK))
    import_framework(session, load_framework_file(SUER_FRAMEWORK))
    import_framework(session, load_framework_file(SUER_FRAMEWORK, version="2"))
    assert [(f.key, f.version) for f in frameworks_for(session)] == [
        ("hmip-probation-2019", "2019"), ("hmip-suer-2019", "2"),
    ]
    with pytest.raises(UnknownFramework) as caught:
        frameworks_for(session, "nope")
    assert "nope" in str(caught.value)
    assert "hmip-probation-2019, hmip-suer-2019" in str(caught.value)


def test_csv_import(runner, session, tmp_path):
    path = write(tmp_path, "local-themes.csv", (
        "Code,Title,TEXT,Parent_Code\n"
        "T1.a,Housing first,,T1\n"  # child before its parent
        'T1,Housing,"Somewhere to live,\nsafe and settled",\n'
        "T2,Employment,,\n"
        "T2/1,Work placements,,T2\n"
    ))
    spec = load_framework_file(path)
    assert (spec.key, spec.name, spec.version, spec.kind) == (
        "local-themes", "local-themes", "1", "standards"
    )
    assert [(i.code, i.parent_code, i.line) for i in spec.items] == [
        ("T1", None, 3), ("T1.a", "T1", 2), ("T2", None, 5), ("T2/1", "T2", 6),
    ]

    result = import_file(runner, path, "--name", "Local themes", "--kind", "themes")
    assert result.exit_code == 0, result.output
    assert "Imported local-themes version 1 (themes): 4 items — 4 new" in result.output
    framework = session.scalars(select(Framework)).one()
    assert framework.name == "Local themes"
    assert [i.code for i in framework.items] == ["T1", "T1.a", "T2", "T2/1"]
    assert item(session, "local-themes", "T1.a").parent.code == "T1"
    assert item(session, "local-themes", "T1").text == "Somewhere to live,\nsafe and settled"


def test_csv_parent_column_names(tmp_path):
    for heading in ("parent", "Parent Code", "PARENT_CODE"):
        path = write(tmp_path, "x.csv", f"code,title,{heading}\n1,One,\n1.1,Sub,1\n")
        assert load_framework_file(path).items[1].parent_code == "1"


def test_extends():
    assert extends("1.1", "1") and extends("SO1.a", "SO1") and extends("1-2", "1")
    assert extends("1/x", "1") and extends("1.3.2", "1.3")
    assert not extends("10", "1") and not extends("1.", "1") and not extends("1", "1")
    assert not extends("2.1", "1")


# ------------------------------------------------------------------------------- bad files

HEADER = 'framework: {key: bad, name: Bad, version: "1"}\n'

BAD_FILES = {
    "duplicate code": (
        "dup.yaml",
        HEADER + 'items:\n  - {code: "1", title: One}\n  - {code: "2", title: Two}\n'
        '  - {code: "1", title: Again}\n',
        ["line 5: code '1' is used twice (first at line 3)"],
    ),
    "child not extending parent": (
        "child.yaml",
        HEADER + 'items:\n  - code: "1"\n    title: One\n    children:\n'
        '      - {code: "10", title: Ten}\n',
        ["line 6: item '10' is under '1' but its code does not extend it"],
    ),
    "missing code": (
        "nocode.yaml",
        HEADER + 'items:\n  - {code: "1", title: One}\n  - title: Orphan\n    text: no code\n',
        ["line 4: item 'Orphan' has no code"],
    ),
    "empty code": (
        "emptycode.yaml",
        HEADER + 'items:\n  - {code: "", title: Blank}\n',
        ["line 3: item 'Blank' has no code"],
    ),
    "float code": (
        "float.yaml",
        HEADER + "items:\n  - {code: 1.10, title: One ten}\n",
        ['line 3: item \'1.10\': put the code in quotes (code: "1.10")'],
    ),
    "unknown parent in CSV": (
        "parent.csv",
        "code,title,text,parent code\n1,One,,\n1.1,Sub,,1\n2.1,Lost,,2\n",
        ["line 4: item '2.1' has parent code '2', which is not a code in this file"],
    ),
    "missing code in CSV": (
        "nocode.csv",
        "code,title\n1,One\n,Nameless\n",
        ["line 3: item 'Nameless' has no code"],
    ),
    "missing CSV column": (
        "columns.csv",
        "code,text\n1,One\n",
        ["line 1: missing required column(s): title"],
    ),
    "empty CSV": ("empty.csv", "\n\n", ["the file is empty"]),
    "YAML syntax error": (
        "syntax.yaml",
        HEADER + 'items:\n  - {code: "1", title: One}\n  - code: "2\n    title: Two\n',
        ["YAML syntax error"],
    ),
    "not UTF-8": (
        "latin1.yaml",
        (HEADER + 'items:\n  - {code: "1", title: "Caf\xe9"}\n').encode("latin-1"),
        ["line 3: the file is not UTF-8 text"],
    ),
    "no header": (
        "noheader.yaml",
        'items:\n  - {code: "1", title: One}\n',
        ["no 'framework' header"],
    ),
    "header without version": (
        "noversion.yaml",
        "framework: {key: bad, name: Bad}\nitems:\n  - {code: \"1\", title: One}\n",
        ["line 1: the framework header has no version"],
    ),
    "items not a list": (
        "items.yaml",
        HEADER + "items: {code: 1}\n",
        ["'items' must be a list of items"],
    ),
    "item not a mapping": (
        "scalar.yaml",
        HEADER + 'items:\n  - {code: "1", title: One}\n  - just text\n',
        ["line 4: an item is not a mapping"],
    ),
    "top level not a mapping": ("list.yaml", "- 1\n- 2\n", ["must be a mapping"]),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_is_rejected_and_nothing_written(case, runner, session, tmp_path):
    name, content, expected = BAD_FILES[case]
    path = write(tmp_path, name, content)

    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(path)
    for message in expected:
        assert any(p.startswith(message) or message in p for p in caught.value.problems), (
            caught.value.problems
        )
        assert message in str(caught.value)

    assert import_file(runner, SUER_FRAMEWORK).exit_code == 0
    before = snapshot()
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert f"{path} was not imported; nothing was written:" in result.output
    for message in expected:
        assert message in result.output
    assert snapshot() == before


def test_all_problems_are_reported_together(tmp_path):
    path = write(tmp_path, "many.yaml", HEADER + (
        "items:\n"
        '  - code: "1"\n'
        "    title: One\n"
        "    children:\n"
        '      - {code: "10", title: Ten}\n'
        '      - {code: "1.1", title: Sub, verified: maybe}\n'
        '  - {code: "1.1", title: Again}\n'
        "  - {title: Nameless}\n"
    ))
    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(path)
    assert caught.value.problems == [
        "line 6: item '10' is under '1' but its code does not extend it "
        "(a child of '1' is coded like '1.1', '1-a' or '1/1')",
        "line 7: item '1.1': 'verified' must be true or false, not 'maybe'",
        "line 8: code '1.1' is used twice (first at line 7)",
        "line 9: item 'Nameless' has no code",
    ]


def test_missing_file(runner, tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(FrameworkFileError, match="file not found"):
        load_framework_file(path)
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert "file not found" in result.output


def test_bad_reimport_leaves_existing_framework_exactly_as_it_was(runner, session, tmp_path):
    assert import_file(runner, SUER_FRAMEWORK).exit_code == 0
    link_id = make_link(session, item(session, "hmip-suer-2019", "SO1"))
    before = snapshot()
    # Same key and version, a changed title and a dropped item, but also a duplicate code.
    bad = SUER_EDITED + """\
      - code: "SO1"
        title: Duplicate
"""
    path = write(tmp_path, "suer.yaml", bad)
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert "code 'SO1' is used twice (first at line 7)" in result.output
    assert snapshot() == before
    session.expire_all()
    assert item(session, "hmip-suer-2019", "SO2").title.startswith("Increase the involvement")
    assert item(session, "hmip-suer-2019", "SO3").retired_at is None
    assert session.get(Link, link_id).item.code == "SO1"
