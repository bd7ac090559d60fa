"""Time to clean, extract and ingest the Clinks response (the demo's canonical input), and how
extraction scales with the size of a response.

Extraction is measured on its own (clean + extract + resolve references against both
demo frameworks) and end to end through ``ingest_document`` into a fresh SQLite file,
each repeated, reporting the median and the 95th percentile.

Scaling: generated responses of 26 KB, 256 KB, 1 MB and 4 MB (``tests/documents.py``: many
distinct recommendations, many repeats, long unpunctuated paragraphs, a huge line, deep lists),
cleaned and extracted by the code as it is ("after") and by the code of ``BASELINE``, the last
commit before extraction was made near-linear (issue 11), read from git into a temporary folder
and run in a child process ("before"). The old code is stopped at ``BEFORE_LIMIT`` seconds,
gunicorn's worker timeout, and larger sizes are then not tried.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from consultations.cleaning import clean_text
from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.extract import extract_recommendations
from consultations.frameworks import import_framework, load_framework_file
from consultations.ingest import ingest_document
from consultations.references import ReferenceResolver

PROJECT = Path(__file__).resolve().parent.parent
DEMO = PROJECT / "tracker" / "demo_data"
CLINKS = DEMO / "responses" / "clinks-2019.txt"
FRAMEWORKS = sorted((DEMO / "frameworks").glob("*.yaml"))
EXTRACT_RUNS = 50
INGEST_RUNS = 20
SIZES = {"26 KB": 26 * 1024, "256 KB": 256 * 1024, "1 MB": 1024 * 1024, "4 MB": 4 * 1024 * 1024}
BASELINE = "c980c50"  # quadratic repeat merging, quadratic sentence and reference scans
BASELINE_MODULES = ("__init__", "cleaning", "extract", "references")
BEFORE_LIMIT = 30.0


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


def time_extraction(size: int, clean=clean_text, extract=extract_recommendations, resolver_class=ReferenceResolver):
    """Seconds to clean and extract a generated response of ``size`` characters, and what was found."""
    from tests.documents import RESPONDENT, generated_response

    raw = generated_response(size, summary=False)  # no summary list: every "should" is a candidate
    resolver = resolver_class([item for path in FRAMEWORKS for item in load_framework_file(path).items])
    start = time.perf_counter()
    found = extract(clean(raw), resolver=resolver, self_names=[RESPONDENT])
    return time.perf_counter() - start, len(found)


def baseline_folder(folder: Path) -> Path | None:
    """The extraction modules of ``BASELINE`` as the package ``baseline_consultations`` in ``folder``
    (None when git or the commit is not there, as in a copy without history)."""
    package = folder / "baseline_consultations"
    package.mkdir()
    for name in BASELINE_MODULES:
        shown = subprocess.run(["git", "show", f"{BASELINE}:consultations/{name}.py"], cwd=PROJECT,
                               capture_output=True)
        if shown.returncode:
            return None
        (package / f"{name}.py").write_bytes(shown.stdout)
    return folder


def time_before(folder: Path, size: int) -> tuple[float, int] | None:
    """``time_extraction`` with the baseline's code, in a child stopped at BEFORE_LIMIT (then None)."""
    code = (f"import json, sys; sys.path[:0] = [{str(folder)!r}, {str(PROJECT)!r}]\n"
            "from baseline_consultations import cleaning, extract, references\n"
            "from bench.extraction import time_extraction\n"
            f"print(json.dumps(time_extraction({size}, cleaning.clean_text, extract.extract_recommendations, "
            "references.ReferenceResolver)))")
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True,
                              timeout=BEFORE_LIMIT, check=True, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    except subprocess.TimeoutExpired:
        return None
    seconds, found = json.loads(done.stdout)
    return seconds, found


def bench_scaling() -> None:
    print(f"Clean + extract generated responses: before ({BASELINE}) and after")
    with tempfile.TemporaryDirectory() as folder:
        baseline = baseline_folder(Path(folder))
        stopped = baseline is None
        for label, size in SIZES.items():
            runs = [time_extraction(size) for _ in range(3 if size <= 1024 * 1024 else 1)]
            after, found = statistics.median(seconds for seconds, _ in runs), runs[0][1]
            if baseline is None:
                before = "not measured (no git history)"
            elif stopped:
                before = f"> {BEFORE_LIMIT:.0f} s (not run: a smaller one went past it)"
            else:
                timed = time_before(baseline, size)
                stopped = timed is None
                before = (f"> {BEFORE_LIMIT:.0f} s (stopped)" if timed is None
                          else f"{timed[0]:7.3f} s" + ("" if timed[1] == found else f" (found {timed[1]}!)"))
            print(f"  {label:>6}  {found:6,} recommendations   after {after:7.3f} s   before {before}")


def main() -> None:
    print("Extraction and ingestion of the Clinks response")
    bench_extract()
    bench_ingest()
    print()
    bench_scaling()


if __name__ == "__main__":
    main()
