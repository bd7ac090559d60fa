"""Backups: the database (with the original files it holds) and instance/config.py in one
verified archive, and restoring one.

What is in an archive (a .tar.gz), and why:

- ``manifest.json`` first: format version, when it was made, the database kind (sqlite or
  postgresql), its Alembic revision, the rows of every table, the original files, and the
  sha256 and size of every other member.
- ``database.sqlite3`` (SQLite: a copy made with SQLite's online backup API, consistent while
  the application runs) or ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom`` taken
  in the same snapshot as the row counts).
- ``instance/config.py`` when there is one: settings that are not derived from anything.

The original files people sent are rows of the ``document`` table (their bytes and sha256),
so they travel inside the database; a backup checks every one against its sha256. Not in it:
the search indexes (derived from the database: a restore rebuilds them) and
``instance/secret_key`` (a new one only means signing in again; a key in a backup could sign
sessions for whoever reads it).

A backup is verified before it is reported: the archive is read back, every member hashed
again, and the database copy checked (SQLite: integrity check and row counts; PostgreSQL:
``pg_restore --list``). A restore checks the manifest and every hash, the database kind and
the Alembic revision before it touches anything, then replaces the database (SQLite: the
backup API again, in one step; PostgreSQL: ``pg_restore --clean --if-exists`` in one
transaction), checks the row counts, puts back a missing instance/config.py (an existing one
is the installation's own and is kept) and rebuilds the search indexes.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL

from consultations.bulk import file_sha256
from search_index import IndexBusy

from tracker import indexing as search
from tracker.db import db

FORMAT = "consultation-tracker backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
INSTANCE_FILES = ("config.py",)
PG_LOCK_TIMEOUT = "30s"  # a restore waits this long for the application to let go of a table


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do.
    Nothing was written (a backup leaves no half-written archive; a refused restore changes nothing)."""


@dataclass
class Manifest:
    """What an archive holds (``manifest.json``)."""

    created: str
    kind: str  # "sqlite" or "postgresql"
    revision: str | None  # the Alembic revision of the database, None if it has no alembic_version
    tables: dict[str, int]  # rows in every table
    originals: dict[str, int]  # {"files": n, "bytes": n}
    members: dict[str, dict]  # name -> {"sha256": ..., "bytes": ...}

    def to_json(self) -> bytes:
        return json.dumps({
            "format": FORMAT, "format_version": FORMAT_VERSION, "created": self.created,
            "database": {"kind": self.kind, "alembic_revision": self.revision, "tables": self.tables},
            "originals": self.originals, "members": self.members,
            "not_included": "the search indexes (a restore rebuilds them) and instance/secret_key",
        }, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, path: Path) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError(f"{path} is not a backup made by `flask --app tracker backup`.")
            if raw.get("format_version") != FORMAT_VERSION:
                raise BackupError(f"{path} is a backup in format version {raw.get('format_version')}; this version "
                                  f"of the application reads version {FORMAT_VERSION}. Restore it with the "
                                  "release that made it.")
            database = raw["database"]
            return cls(created=raw["created"], kind=database["kind"], revision=database["alembic_revision"],
                       tables=dict(database["tables"]), originals=dict(raw["originals"]),
                       members=dict(raw["members"]))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"The manifest of {path} cannot be read ({error!r}): the archive is damaged.") from None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class RestoreReport:
    manifest: Manifest
    instance_files: list[str] = field(default_factory=list)  # put back
    kept: list[str] = field(default_factory=list)  # present and different: the installation's own kept
    index_message: str = ""


# --- the database in hand ----------------------------------------------------------------


def database_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored: set "
                          "SQLALCHEMY_DATABASE_URI to a database file.")
    return Path(url.database)


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A connection URI for pg_dump and pg_restore, and the environment that carries the
    password (kept out of the process list)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    environment["PGOPTIONS"] = f"-c lock_timeout={PG_LOCK_TIMEOUT}"
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, environment


def alembic_revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(connection: Connection) -> dict[str, int]:
    return {name: connection.execute(text(f"SELECT count(*) FROM {_quoted(name)}")).scalar()
            for name in sorted(inspect(connection).get_table_names())}


# --- making a backup -----------------------------------------------------------------------


def backup_path(path: Path) -> Path:
    """``path`` itself, or a dated file name in it when it is a folder (handy from cron)."""
    if path.is_dir():
        return path / f"tracker-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    return path


def create_backup(path: Path) -> tuple[Path, Manifest]:
    """Write a verified backup archive at ``path`` (a file, or a folder to put a dated file in)."""
    path = backup_path(Path(path))
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist: create it, or give another path.")
    url = db.engine.url
    kind = database_kind(url)
    with tempfile.TemporaryDirectory(prefix="tracker-backup-", dir=path.parent) as work:
        work = Path(work)
        database_file = work / DATABASE_MEMBERS[kind]
        if kind == "sqlite":
            revision, tables, originals = _copy_sqlite(sqlite_path(url), database_file)
        else:
            revision, tables, originals = _dump_postgresql(url, database_file)
        files = {DATABASE_MEMBERS[kind]: database_file}
        instance = Path(current_app.instance_path)
        for name in INSTANCE_FILES:
            if (instance / name).is_file():
                files[f"instance/{name}"] = instance / name
        manifest = Manifest(
            created=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            kind=kind, revision=revision, tables=tables, originals=originals,
            members={name: {"sha256": file_sha256(file), "bytes": file.stat().st_size} for name, file in files.items()})
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            _add(archive, MANIFEST, manifest.to_json())
            for name, file in files.items():
                archive.add(file, arcname=name, recursive=False, filter=_private)
        partial.chmod(0o600)  # personal data, password hashes
        verify_archive(partial)
        os.replace(partial, path)
    return path, manifest


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o600
    archive.addfile(info, io.BytesIO(data))


def _copy_sqlite(source: Path, target: Path) -> tuple[str | None, dict[str, int], dict[str, int]]:
    """SQLite's online backup API: a consistent copy while the application reads and writes."""
    if not source.is_file():
        raise BackupError(f"There is no database at {source}: nothing to back up.")
    with contextlib.closing(sqlite3.connect(source)) as live, contextlib.closing(sqlite3.connect(target)) as copy:
        try:
            live.backup(copy)
        except sqlite3.Error as error:
            raise BackupError(f"The database {source} could not be copied ({error}).") from None
    return _inspect_sqlite_copy(target)


def _inspect_sqlite_copy(path: Path) -> tuple[str | None, dict[str, int], dict[str, int]]:
    """The copy's revision, rows per table and original files, each original checked against its sha256."""
    engine = create_engine(URL.create("sqlite", database=str(path)))
    try:
        with engine.connect() as connection:
            if connection.exec_driver_sql("PRAGMA integrity_check").scalar() != "ok":
                raise BackupError(f"The database copy {path.name} fails SQLite's integrity check.")
            return alembic_revision(connection), table_counts(connection), _check_originals(connection)
    finally:
        engine.dispose()


def _check_originals(connection: Connection) -> dict[str, int]:
    """Every stored original file, read and checked against its sha256."""
    if "document" not in inspect(connection).get_table_names():
        return {"files": 0, "bytes": 0}
    files = size = 0
    damaged = []
    for document_id, sha256, content in connection.execute(text("SELECT id, sha256, content FROM document")):
        content = bytes(content or b"")
        files, size = files + 1, size + len(content)
        if hashlib.sha256(content).hexdigest() != sha256:
            damaged.append(str(document_id))
    if damaged:
        raise BackupError(f"Original file(s) {', '.join(damaged[:10])} in the document table no longer match "
                          "their sha256: the database is damaged. Nothing was backed up.")
    return {"files": files, "bytes": size}


def _dump_postgresql(url: URL, target: Path) -> tuple[str | None, dict[str, int], dict[str, int]]:
    """pg_dump in the snapshot the row counts and original-file checks were taken in."""
    uri, environment = libpq(url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            revision, tables = alembic_revision(connection), table_counts(connection)
            originals = _check_originals(connection)
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"],
                 environment, "pg_dump could not back up the database")
    return revision, tables, originals


def _run(command: list[str], environment: dict[str, str], failure: str) -> str:
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client tools "
                          f"(the same major version as the server, or newer).") from None
    if done.returncode != 0:
        detail = " ".join(done.stderr.split())[-600:]
        raise BackupError(f"{failure}: {detail}")
    return done.stdout


# --- reading an archive back ---------------------------------------------------------------


@contextlib.contextmanager
def opened_backup(path: Path, check: Callable[[Manifest], None] = lambda manifest: None,
                  ) -> Iterator[tuple[Manifest, dict[str, Path]]]:
    """The manifest and every member, extracted to a temporary folder and checked against the
    manifest (names, sizes, sha256) and as a database; BackupError if anything is off.
    ``check(manifest)`` runs as soon as the manifest is read (a restore refuses another kind of
    database or revision there, before reading the rest)."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as work:
        work = Path(work)
        try:
            with tarfile.open(path, "r:gz") as archive:
                manifest, files = _extract(archive, path, work, check)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"{path} is not a readable backup archive ({error}). Nothing was restored.") from None
        for name, file in files.items():
            expected = manifest.members[name]
            if file.stat().st_size != expected.get("bytes") or file_sha256(file) != expected.get("sha256"):
                raise BackupError(f"{name} in {path} does not match the sha256 in its manifest: the archive is "
                                  "damaged or was changed. Nothing was restored; use another backup.")
        _check_database_member(manifest, files[DATABASE_MEMBERS[manifest.kind]])
        yield manifest, files


def _extract(archive: tarfile.TarFile, path: Path, work: Path, check) -> tuple[Manifest, dict[str, Path]]:
    members = {member.name: member for member in archive.getmembers()}
    if MANIFEST not in members:
        raise BackupError(f"{path} has no {MANIFEST}: it is not a backup made by `flask --app tracker backup`.")
    if members[MANIFEST].size > 1024**2:
        raise BackupError(f"The manifest of {path} is far too large to be one: the archive is damaged.")
    manifest = Manifest.from_json(archive.extractfile(members[MANIFEST]).read(), path)
    if manifest.kind not in DATABASE_MEMBERS:
        raise BackupError(f"{path} holds a {manifest.kind!r} database, which this application cannot restore.")
    check(manifest)
    allowed = {DATABASE_MEMBERS[manifest.kind], *(f"instance/{name}" for name in INSTANCE_FILES)}
    listed, present = set(manifest.members), set(members) - {MANIFEST}
    if DATABASE_MEMBERS[manifest.kind] not in listed or not listed <= allowed or listed != present:
        raise BackupError(f"The members of {path} ({', '.join(sorted(present)) or 'none'}) are not the ones its "
                          f"manifest lists ({', '.join(sorted(listed)) or 'none'}): the archive is damaged or was "
                          "changed. Nothing was restored.")
    files = {}
    for number, name in enumerate(sorted(listed)):
        member = members[name]
        if not member.isfile() or member.size != manifest.members[name].get("bytes"):
            raise BackupError(f"{name} in {path} is not the file its manifest lists: the archive is damaged or was "
                              "changed. Nothing was restored.")
        target = work / f"member-{number}"  # never a name from the archive: no path can escape
        with archive.extractfile(member) as source, target.open("wb") as copy:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        files[name] = target
    return manifest, files


def _check_database_member(manifest: Manifest, file: Path) -> None:
    if manifest.kind == "sqlite":
        _revision, tables, _originals = _inspect_sqlite_copy(file)
        if tables != manifest.tables:
            raise BackupError("The database in the backup does not hold the rows its manifest lists: the archive "
                              "is damaged. Nothing was restored.")
        return
    _run(["pg_restore", "--list", str(file)], dict(os.environ), "The database dump in the backup cannot be read")


def verify_archive(path: Path) -> Manifest:
    """Read an archive back and check it whole; the manifest, or BackupError."""
    with opened_backup(path) as (manifest, _files):
        return manifest


# --- restoring -----------------------------------------------------------------------------


def check_restorable(manifest: Manifest) -> None:
    """Refuse a backup of another kind of database or another schema revision, before anything changes."""
    url = db.engine.url
    kind = database_kind(url)
    if manifest.kind != kind:
        raise BackupError(f"The backup is of a {manifest.kind} database, but this installation uses {kind}. "
                          "Nothing was restored: restore it into an installation that uses "
                          f"{manifest.kind}.")
    with db.engine.connect() as connection:
        revision = alembic_revision(connection)
    if manifest.revision != revision:
        raise BackupError(
            f"The backup's database is at migration {manifest.revision or '(none recorded)'}, this database is at "
            f"{revision or '(none recorded)'}. Nothing was restored: run the application release that matches "
            "the backup (with `flask --app tracker db upgrade` to bring an empty database to it), restore, then "
            "upgrade.")


def restore_backup(path: Path, confirm: Callable[[Manifest], bool], echo=lambda line: None) -> RestoreReport | None:
    """Replace the database with the backup at ``path``, after ``confirm(manifest)`` agrees
    (None if it does not: nothing changed). See the module docstring for every step."""
    with opened_backup(path, check=check_restorable) as (manifest, files):
        if not confirm(manifest):
            return None
        db.session.remove()
        db.engine.dispose()  # no pooled connection may hold the old database open
        database = files[DATABASE_MEMBERS[manifest.kind]]
        if manifest.kind == "sqlite":
            _restore_sqlite(database, sqlite_path(db.engine.url))
        else:
            uri, environment = libpq(db.engine.url)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", f"--dbname={uri}", str(database)], environment,
                 "pg_restore could not restore the database (nothing was changed: it runs in one transaction; "
                 "if a table is in use, stop the web application and try again)")
        db.engine.dispose()
        with db.engine.connect() as connection:
            restored = table_counts(connection)
        if {name: restored.get(name) for name in manifest.tables} != manifest.tables:
            raise BackupError("The restored database does not hold the rows the backup lists. Restore again, or "
                              "from another backup.")
        echo(f"Database restored and its rows counted: {manifest.rows:,} in {len(manifest.tables)} tables.")
        report = RestoreReport(manifest)
        _restore_instance_files(files, report)
        report.index_message = _rebuild_search(echo)
    return report


def _restore_sqlite(backup: Path, live: Path) -> None:
    """Copy the backup over the live database with the backup API: one step, under SQLite's
    own locking, so a reader never sees half of it."""
    live.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(backup)) as source, \
            contextlib.closing(sqlite3.connect(live, timeout=30)) as target:
        try:
            source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(f"The database {live} could not be replaced ({error}); it is unchanged. If the web "
                              "application is writing to it, stop it and try again.") from None


def _restore_instance_files(files: dict[str, Path], report: RestoreReport) -> None:
    instance = Path(current_app.instance_path)
    for name, file in files.items():
        if not name.startswith("instance/"):
            continue
        target = instance / name.removeprefix("instance/")
        if not target.exists():
            target.write_bytes(file.read_bytes())
            target.chmod(0o600)
            report.instance_files.append(name)
        elif target.read_bytes() != file.read_bytes():
            report.kept.append(name)


def _rebuild_search(echo) -> str:
    try:
        counts = search.rebuild(db.session, echo=lambda line, nl=True: echo(line.lstrip("\r")) if nl else None)
        db.session.commit()
        if search.in_database():
            search.vacuum()  # the freshly filled GIN index, as `search rebuild` does
    except IndexBusy as error:
        db.session.rollback()
        return (f"The search indexes could not be rebuilt ({error}): run `flask --app tracker search rebuild` "
                "before anyone searches.")
    return f"Search indexes rebuilt: {counts.get('staff', 0):,} staff and {counts.get('public', 0):,} public documents."
