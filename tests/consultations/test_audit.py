"""The audit log records the value a change replaced, even when the object was expired by a commit."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROJECT

SCRIPT = """
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consultations import audit
from consultations.models import Base, Consultation
from consultations.workflow import AuditEvent

audit.install()  # in a fresh process, before anything has configured the mappers
engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session:
    consultation = Consultation(title="Hostels", slug="hostels", body="About hostels.")
    session.add(consultation)
    session.commit()
    consultation.title = "Approved premises"
    session.commit()
    event = session.scalars(select(AuditEvent).where(AuditEvent.field == "title")).one()
    print(event.old, "->", event.new)
"""


def test_a_change_after_a_commit_records_the_old_value_when_installed_before_the_mappers_are_configured():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=PROJECT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hostels -> Approved premises"
