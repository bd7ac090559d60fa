"""Time to clean, extract and ingest the Clinks response (the demo's canonical input).

Extraction is measured on its own (clean + extract + resolve references against both
demo frameworks) and end to end through ``ingest_document`` into a fresh SQLite file,
each repeated, reporting the median and the 95th percentile.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from consultations.cleaning import clean_text
from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.extract import extract_recommendations
from consultations.frameworks import import_framework, load_framework_file
from consultations.ingest import ingest_document
from consultations.references import ReferenceResolver

DEMO = Path(__file__).resolve().parent.parent / "tracker" / "demo_data"
CLINKS = DEMO / "responses" / "clinks-2019.txt"
FRAMEWORKS = sorted((DEMO / "frameworks").glob("*.yaml"))
EXTRACT_RUNS = 50
INGEST_RUNS = 20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{name:<44} p50 {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 0.95):7.1f} ms   (n={len(ms)})")


def bench_extract() -> None:
    raw = CLINKS.read_text(encoding="utf-8")
    items = [item for path in FRAMEWORKS for item in load_framework_file(path).items]
    resolver = ReferenceResolver(items)
    timings, found = [], []
    for _ in range(EXTRACT_RUNS):
        start = time.perf_counter()
        found = extract_recommendations(clean_text(raw), resolver=resolver)
        timings.append(time.perf_counter() - start)
    report(f"extract Clinks ({len(raw):,} chars, {len(found)} recs)", timings)


def bench_ingest() -> None:
    from tracker import create_app
    from tracker.db import db

    data = CLINKS.read_bytes()
    timings = []
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                          "SEARCH_INDEX_DIR": f"{folder}/index"})
        with app.app_context():
            db.create_all()
            for path in FRAMEWORKS:
                import_framework(db.session, load_framework_file(path))
            consultation_data = load_consultation_file(DEMO / "consultation-probation-inspection-2019.yaml")
            db.session.commit()
            for run in range(INGEST_RUNS):
                consultation_data["slug"] = f"bench-{run}"
                upsert_consultation(db.session, consultation_data)
                db.session.commit()
                start = time.perf_counter()
                ingest_document(
                    db.session,
                    consultation_slug=f"bench-{run}",
                    filename="clinks-2019.txt",
                    data=data,
                    respondent_name="Clinks",
                )
                db.session.commit()
                timings.append(time.perf_counter() - start)
            db.session.remove()
            db.engine.dispose()
    report("ingest Clinks into SQLite (read..commit)", timings)


def main() -> None:
    print("Extraction and ingestion of the Clinks response")
    bench_extract()
    bench_ingest()


if __name__ == "__main__":
    main()
