"""``backup`` and ``restore``: a round trip gives back every row of every table and every
file; a damaged archive, another kind of database or another schema revision is refused
before anything changes. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL says so."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text
from conftest import SUER_FRAMEWORK
from test_bad_input import database_rows

from tracker import indexing as search
from tracker.db import db

CONFIG = "# this installation's settings\nSERVICE_NAME = 'Inspectorate tracker'\n"


@pytest.fixture
def demo(demo_app):
    app = demo_app
    config = Path(app.instance_path) / "config.py"
    config.write_text(CONFIG)  # read by the next create_app: the app under test is already configured
    return app


@pytest.fixture
def small(app, runner):
    """A database with a little in it, for the refusals: quicker than the demo."""
    assert runner.invoke(args=["frameworks", "import", str(SUER_FRAMEWORK)]).exit_code == 0
    (Path(app.instance_path) / "config.py").write_text(CONFIG)
    return app


def make_backup(runner, folder: Path) -> Path:
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Verified: the archive was read back" in result.output
    (path,) = folder.glob("tracker-backup-*.tar.gz")
    return path


@pytest.fixture
def archive(demo, runner, tmp_path) -> Path:
    return make_backup(runner, tmp_path)


@pytest.fixture
def small_archive(small, runner, tmp_path) -> Path:
    return make_backup(runner, tmp_path)


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def rewrite(path: Path, target: Path, change=lambda manifest: None, contents: dict[str, bytes] | None = None) -> Path:
    """A copy of an archive with its manifest changed (and members renamed or replaced)."""
    found = members(path)
    manifest = json.loads(found.pop("manifest.json"))
    change(manifest)
    found = contents if contents is not None else found
    with tarfile.open(target, "w:gz") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *found.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def change_things(app) -> None:
    """What a bad day does: rows changed, added and removed, a file lost, the index emptied."""
    with app.app_context():
        db.session.execute(text("UPDATE consultation SET title = 'Overwritten'"))
        db.session.execute(text("DELETE FROM action_update"))
        db.session.execute(text("UPDATE document SET filename = 'lost.txt'"))
        db.session.commit()
        for index in search.indexes().values():
            index.rebuild([])
    (Path(app.instance_path) / "config.py").unlink()


def test_round_trip_gives_back_every_row_of_every_table_and_every_file(demo, archive, runner, session):
    before = database_rows(demo)
    assert all(before[table] for table in ("document", "response", "recommendation", "decision", "action_update"))
    stored = members(archive)
    manifest = json.loads(stored["manifest.json"])
    kind = manifest["database"]["kind"]
    assert set(stored) == {"manifest.json", f"database.{'sqlite3' if kind == 'sqlite' else 'pgdump'}",
                           "instance/config.py"}, "the search index is derived: rebuilt, not backed up"
    assert stored["instance/config.py"] == CONFIG.encode()
    assert manifest["originals"] == {"files": 1, "bytes": len(before["document"][0][-2])}
    assert manifest["database"]["tables"]["recommendation"] == len(before["recommendation"])

    change_things(demo)
    assert database_rows(demo) != before
    result = runner.invoke(args=["restore", "--yes", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Put back instance/config.py (it was missing)." in result.output
    assert "Search indexes rebuilt: " in result.output

    assert database_rows(demo) == before, "every row of every table, originals' bytes included"
    assert (Path(demo.instance_path) / "config.py").read_text() == CONFIG
    session.expire_all()
    assert search.differences(session) == [], "the indexes were rebuilt from the restored database"
    assert search.indexes()["public"].search("probation").ids, "public search works again"

    (Path(demo.instance_path) / "config.py").write_text("SERVICE_NAME = 'Changed since'\n")
    again = runner.invoke(args=["restore", "--yes", str(archive)])
    assert "Kept this installation's own instance/config.py" in again.output
    assert (Path(demo.instance_path) / "config.py").read_text() == "SERVICE_NAME = 'Changed since'\n"


def refused(demo, runner, path: Path, *messages: str, args=("--yes",)) -> None:
    before = database_rows(demo)
    result = runner.invoke(args=["restore", *args, str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Nothing was restored" in result.output, result.output
    for message in messages:
        assert message in result.output, result.output
    assert database_rows(demo) == before


def test_a_changed_member_is_refused_before_anything_changes(small, small_archive, runner, tmp_path):
    found = members(small_archive)
    found.pop("manifest.json")
    found["instance/config.py"] = CONFIG.replace("tracker", "tracked").encode()  # same size, other bytes
    refused(small, runner, rewrite(small_archive, tmp_path / "changed.tar.gz", contents=found),
            "instance/config.py in", "does not match the sha256 in its manifest")


def test_a_missing_or_extra_member_is_refused(small, small_archive, runner, tmp_path):
    found = members(small_archive)
    found.pop("manifest.json")
    found.pop("instance/config.py")
    found["../../etc/evil"] = b"x"
    refused(small, runner, rewrite(small_archive, tmp_path / "odd.tar.gz", contents=found),
            "are not the ones its manifest lists")


def test_another_kind_of_database_is_refused(small, small_archive, runner, tmp_path):
    other = "postgresql" if small.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "sqlite"

    def change(manifest):
        manifest["database"]["kind"] = other
    refused(small, runner, rewrite(small_archive, tmp_path / "other.tar.gz", change),
            f"The backup is of a {other} database, but this installation uses")


def test_another_schema_revision_is_refused(small, small_archive, runner, tmp_path):
    def change(manifest):
        manifest["database"]["alembic_revision"] = "0001"
    refused(small, runner, rewrite(small_archive, tmp_path / "old.tar.gz", change),
            "The backup's database is at migration 0001, this database is at (none recorded)")


def test_restore_asks_first(small, small_archive, runner):
    refused(small, runner, small_archive, "restoring replaces every row of",
            "Run it at a terminal to confirm, or add --yes", args=())


def test_something_that_is_not_a_backup_is_refused(small, runner, tmp_path):
    path = tmp_path / "notes.tar.gz"
    path.write_text("not an archive")
    refused(small, runner, path, "is not a readable backup archive")


def test_backup_into_a_missing_folder_says_so(small, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "b.tar.gz")])
    assert result.exit_code == 1 and "No backup was made. The folder" in result.output
    assert not (tmp_path / "nowhere").exists()
