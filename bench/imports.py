"""Bulk imports of the two real data sets, end to end, against the parse step alone.

For each data set, in one run:

* **parse only**: the file read as a table and every row checked and planned by the
  importer (``open_table`` + ``prepare``), nothing written: the floor an import cannot beat;
* **import**: the real command (``flask --app tracker import-recommendations`` /
  ``import-survey``) into a fresh SQLite database with its search index, as staff run it:
  parse, extract recommendations, store in committed batches, index.

Each runs in its own process so its peak memory (the process's high-water resident set,
``VmHWM``) is its own. Targets on a 2-core machine: the 31,468 UPR rows imported and indexed
in under 2 minutes with peak memory under 500 MB; the 1,216-respondent survey in under 30 s.
The files stay in ../shared/data (never copied into the repository); when one is absent the
benchmark says so and skips it.

    python -m bench.imports
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT.parent / "shared" / "data"
UPR = Path(os.environ.get("UPR_CSV") or DATA / "upr-recommendations.csv")
EU = Path(os.environ.get("EU_SURVEY_CSV") or DATA / "eu-ai-white-paper-consultation-2020.csv")
EU_SLUG = "eu-ai-white-paper-2020"
TARGETS = {"upr": (120.0, 500.0), "survey": (30.0, None)}  # seconds, MB


def parse_only(kind: str, path: Path) -> int:
    """Read and check every row as the import does, writing nothing; returns rows planned."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from consultations.bulk import ImportReport, RowError, open_table
    from consultations.models import Base, Consultation
    from consultations.recommendation_import import Options, RecommendationImporter
    from consultations.references import ReferenceResolver
    from consultations.survey_import import SurveyImporter, propose_mapping
    from consultations import workflow as models  # noqa: F401 (the user table that responses refer to)

    table = open_table(path)
    report = ImportReport()
    if kind == "upr":
        importer = RecommendationImporter(None, table.headers, Options(source=table.name, filename=table.name), report)
    else:
        sample = [row.values for _, row in zip(range(1000), open_table(path).rows) if row.values]
        mapping = propose_mapping(table.headers, sample, [], create_questions=True)
        engine = create_engine("sqlite://")  # empty: the importer finds nothing stored yet
        Base.metadata.create_all(engine)
        importer = SurveyImporter(Session(engine), Consultation(slug=EU_SLUG, questions=[]), mapping,
                                  ReferenceResolver([]), report)
    planned = 0
    for row in table.rows:
        if row.values is None:
            continue
        try:
            importer.prepare(row)
            planned += 1
        except RowError:
            pass
    return planned


def _measure(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds, peak resident MB and output of a child process.

    The peak is the child's own ``VmHWM`` (high-water resident set of the program it runs),
    read every 50 ms until it exits: ``wait4``'s ``ru_maxrss`` would also count the memory of
    this process at the moment it started the child, which after the other benchmarks is
    larger than any import.
    """
    with tempfile.TemporaryFile() as output_file:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output_file, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        output_file.seek(0)
        output = output_file.read().decode(errors="replace")
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}):\n{output[-2000:]}")
    return seconds, peak_kb / 1024, output


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # it has just exited
    return 0


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "tracker", *args]


def bench(kind: str, path: Path, rows: int) -> None:
    label = {"upr": "UPR recommendations", "survey": "EU AI survey"}[kind]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        env = {**os.environ, "TRACKER_INSTANCE_PATH": tmp}
        env.pop("DATABASE_URL", None)
        parse_s, parse_mb, parse_out = _measure([sys.executable, "-m", "bench.imports", "--parse", kind, str(path)], env)
        _measure(_flask("db", "upgrade"), env)
        if kind == "upr":
            command = _flask("import-recommendations", str(path))
        else:
            command = _flask("import-survey", str(path), "--consultation", EU_SLUG, "--create-questions",
                             "--yes", "--title", "White Paper on Artificial Intelligence", "--body", "European Commission")
        import_s, import_mb, output = _measure(command, env)
        rerun_s, _, _ = _measure(command, env)
    timing = next((line.strip() for line in output.splitlines() if line.startswith("Imported ")), "")
    seconds_target, mb_target = TARGETS[kind]
    print(f"  {label}: {rows:,} rows ({path.name})")
    print(f"    parse only   {parse_s:7.1f} s  {rows / parse_s:9,.0f} rows/s  peak {parse_mb:6.0f} MB  "
          f"({parse_out.strip()} rows planned)")
    print(f"    import       {import_s:7.1f} s  {rows / import_s:9,.0f} rows/s  peak {import_mb:6.0f} MB  "
          f"(target < {seconds_target:.0f} s{f', < {mb_target:.0f} MB' if mb_target else ''}: "
          f"{'met' if import_s < seconds_target and (not mb_target or import_mb < mb_target) else 'MISSED'})")
    print(f"      {timing}")
    print(f"    import again {rerun_s:7.1f} s  (every row skipped: already imported)")


def _count_rows(path: Path) -> int:
    from consultations.bulk import open_table

    return open_table(path).count


def main() -> None:
    print("Bulk imports (SQLite, search indexing included; each step in its own process)")
    for kind, path in (("upr", UPR), ("survey", EU)):
        if not path.exists():
            print(f"  {path.name}: absent ({path}); skipped. ../shared/data holds the real data sets.")
            continue
        bench(kind, path, _count_rows(path))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--parse":
        print(parse_only(sys.argv[2], Path(sys.argv[3])))
    else:
        main()
