"""The ``flask --app tracker ...`` commands: one module per command group, registered by ``init_app``."""
from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.commands import backup, consultations, demo, duplicates, frameworks, imports, jobs, notify, responses, retention, users

    app.cli.add_command(frameworks.frameworks_cli)
    app.cli.add_command(consultations.consultations_cli)
    app.cli.add_command(responses.extract_command)
    app.cli.add_command(responses.ingest_command)
    app.cli.add_command(demo.demo_cli)
    app.cli.add_command(imports.import_survey_command)
    app.cli.add_command(imports.import_recommendations_command)
    app.cli.add_command(duplicates.duplicates_cli)
    app.cli.add_command(users.users_cli)
    app.cli.add_command(jobs.jobs_cli)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(notify.notify_cli)
    app.cli.add_command(retention.retention_cli)
