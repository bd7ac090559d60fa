"""The Flask application: app factory, configuration, pages and CLI commands."""
from __future__ import annotations

import gc
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemBytecodeCache, FileSystemLoader, PackageLoader, PrefixLoader

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Config comes from defaults, then ``instance/config.py``, then ``TRACKER_*`` variables,
    then ``DATABASE_URL``, then ``test_config`` (as in the Flask tutorial)."""
    with _collector_paused():
        return _create_app(test_config)


@contextmanager
def _collector_paused():
    """Building the app makes a great many objects that all live on (modules, mapped classes,
    routes), and the garbage collector scanning them again and again as they are made was a
    fifth of the start-up; it runs as before once the app is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _create_app(test_config: dict | None) -> Flask:
    from tracker.web.site_url import TrackerFlask  # builds URLs for the configured public address

    app = TrackerFlask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        static_folder="static",
    )
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "tracker.sqlite3"),
        GOVUK_FRONTEND_DIR=str(PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
        SERVICE_NAME="Consultation response tracker",
        # Whose service this is (tracker.web.branding, README "Branding"): the generic header with the
        # organisation's name or logo, Arial and a neutral footer unless GOVUK_BRANDING is set, which only
        # an installation on a GOV.UK domain may do (the crown, the GOV.UK logotype, GDS Transport).
        ORGANISATION_NAME=None,
        ORGANISATION_URL=None,
        ORGANISATION_LOGO=None,  # a file name in BRANDING_DIR, or a path on this site
        BRANDING_DIR=None,  # default: instance/branding/
        ORGANISATION_LOGO_ALT=None,  # default: ORGANISATION_NAME
        FOOTER_LICENCE_HTML=None,
        FOOTER_LICENCE_TEXT=None,
        LETTER_SENDER=None,  # who the printed respondent letter is from; default: ORGANISATION_NAME
        GOVUK_BRANDING=False,
        MAX_CONTENT_LENGTH=100 * 1024 * 1024,  # one request: several uploaded files together
        UPLOAD_MAX_FILE_BYTES=20 * 1024 * 1024,  # one uploaded response file (tracker/staff/upload/views.py), and `extract`/`ingest`
        UPLOAD_MAX_SECONDS=10,  # an upload starts no further file after this long (tracker/staff/upload/views.py)
        # What one response file may expand to when read (consultations.readers.DocumentLimits):
        DOCUMENT_MAX_CHARACTERS=1_000_000,  # text, any format (an email with its attachments)
        DOCUMENT_MAX_PAGES=1_000,  # pages of a PDF
        DOCUMENT_MAX_XML_BYTES=10 * 1024 * 1024,  # XML inside a Word document
        DOCUMENT_MAX_SECONDS=10,  # reading one file, in a child process; 0 reads in the server's own process
        DEVELOPMENT=False,  # `make run` sets TRACKER_DEVELOPMENT=1: cookies may travel over http
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A running import whose heartbeat is older than this, on another host, is taken as gone
        # (tracker.jobs.imports); on the same host the process table answers at once.
        IMPORT_HEARTBEAT_TIMEOUT_MINUTES=10,
        # Sessions, sign-in throttling and the public address: see "Security model" in the README.
        SESSION_IDLE_MINUTES=30,
        SESSION_LIFETIME_HOURS=12,
        SIGN_IN_ACCOUNT_LIMIT=5,  # failed sign-ins for one account within SIGN_IN_LOCKOUT_MINUTES
        SIGN_IN_ADDRESS_LIMIT=20,  # failed sign-ins from one client address within that time
        SIGN_IN_LOCKOUT_MINUTES=15,
        PUBLIC_URL=None,  # such as https://consult.example.org: every absolute URL is built from it
        TRUSTED_PROXIES=0,  # reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust
        PASSWORD_HASH_METHOD="scrypt",  # werkzeug's; the tests use a cheap one
        # Two people for publication: whoever drafted a decision or last changed its text may not
        # approve or publish it (consultations.decisions.second_person_needed). README "Safeguards".
        DECISION_TWO_PERSON_RULE=True,
        # Publishing waits until every response a decision would quote is reviewed for personal
        # data, with no proposed redaction undecided (consultations.redaction). README "Redaction".
        REDACTION_REVIEW_REQUIRED=True,
        # Months respondents' personal data is kept after a consultation closes, unless the
        # consultation sets its own; `flask --app tracker retention run` anonymises them after. README "Retention".
        RETENTION_MONTHS=24,
        # The installation's wording of decision outcomes and action statuses, fixed value to label
        # (consultations.vocabulary.configure_labels), such as {"accepted": "Agreed"}; JSON in TRACKER_*.
        DECISION_OUTCOME_LABELS={},
        ACTION_STATUS_LABELS={},
        # Named in the accessibility statement and the privacy notice (tracker/public/statements.py,
        # with ORGANISATION_NAME or "the inspectorate"), whose text an installation may replace with
        # instance/pages/accessibility.md and privacy.md.
        CONTACT_EMAIL="",
        # How long a "What we understood you to recommend" check link works (consultations.understood_checks).
        UNDERSTOOD_CHECK_DAYS=28,
        # Two-factor sign-in (tracker/auth/two_factor.py): optional for everyone; True makes admins
        # set it up before they can sign in. README "Two-factor sign-in".
        TWO_FACTOR_REQUIRED_FOR_ADMINS=False,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )

    # Session cookies travel only over HTTPS, except on a developer's own machine and in tests.
    app.config["SESSION_COOKIE_SECURE"] = not (app.config["DEVELOPMENT"] or app.config.get("TESTING"))

    from consultations import users

    users.password_hash_method = app.config["PASSWORD_HASH_METHOD"]
    from consultations import vocabulary

    vocabulary.configure_labels(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _template_cache(Path(app.instance_path))}

    from flask_wtf.csrf import CSRFProtect
    from govuk_frontend_wtf.main import WTFormsHelpers

    from tracker import commands, db, indexing, mail
    from tracker.auth import views as auth
    from tracker.public import api, emails, feeds, pages as public_pages, search as public_search, statements, understood
    from tracker.staff.admin import views as admin
    from tracker.staff.browse import views as browse
    from tracker.staff.clusters import views as clusters
    from tracker.staff.decisions import views as decisions
    from tracker.staff.exports import views as exports
    from tracker.staff.history import views as history
    from tracker.staff.implementation import views as implementation
    from tracker.staff.mapping import views as mapping
    from tracker.staff.notifications import views as notifications
    from tracker.staff.recommendations import views as recommendations
    from tracker.staff.search import views as staff_search
    from tracker.staff.triage import views as triage
    from tracker.staff.upload import views as upload
    from tracker.staff.work import views as work
    from tracker.web import assets, branding, errors, headers, ids, notices, site_url, templating

    site_url.init_app(app)  # first: a production app without a public address refuses requests
    db.init_app(app)
    mail.init_app(app)  # the MAIL_* and NOTIFY_* defaults (tracker/mail.py)
    ids.init_app(app)  # the <id:...> URL converter, before any blueprint's routes
    CSRFProtect(app)  # app.extensions['csrf']: the one-click unsubscribe views are exempt (tracker/public/emails.py)
    WTFormsHelpers(app)
    assets.init_app(app)
    branding.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    notices.init_app(app)
    templating.init_app(app, area_globals={
        # helpers of one staff area that templates of another use (browse's response page)
        "triage_status_moves": triage.triage_status_moves,
        "add_from_text_form": triage.add_from_text_form,
        "duplicate_groups_of_response": clusters.duplicate_groups_of_response,
    })
    commands.init_app(app)
    indexing.init_app(app)
    auth.init_app(app)
    app.register_blueprint(browse.bp, url_prefix="/staff")
    for staff_area in (history, triage, mapping, decisions, implementation, admin, staff_search, upload, clusters,
                       recommendations, work, exports, notifications):
        app.register_blueprint(staff_area.bp, url_prefix="/staff")
    app.register_blueprint(public_search.bp)

    app.register_blueprint(public_pages.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(understood.bp)
    app.register_blueprint(feeds.bp)
    emails.init_app(app)  # stopping outcome emails, email subscriptions
    app.register_blueprint(api.bp, url_prefix="/api/v1")

    return app


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _template_cache(instance: Path) -> FileSystemBytecodeCache | None:
    """Templates compiled once, kept in ``instance/template-cache/`` so that each new worker's first
    pages load them instead of compiling them again (a fifth of a second); a template whose source
    changed is compiled afresh. None (compile in memory, as before) if the folder cannot be written."""
    folder = instance / "template-cache"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


def _instance_secret_key(instance: Path) -> str:
    """A per-installation key kept in ``instance/`` so sessions survive restarts in development."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
