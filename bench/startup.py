"""Start-up: the CLI and a worker's first request, against the same for a one-route Flask app.

Every command (imports, migrations, users) and every worker pays the app's start-up (importing
its modules, building the app); the one-route app is the floor Flask itself sets. Two figures:

- the CLI: `flask --app tracker --help` (which builds the app to list its commands);
- a worker's first request: a fresh process that builds the app and answers GET /consultations/
  (the public list, so the first database connection and query count) with Flask's test client,
  against the one-route app answering GET /. The server around them (gunicorn) costs both the same.

Each is run five times in a fresh process and the median taken. Both run from cached bytecode,
as a deployed app does: the processes share a bytecode cache in a temporary folder, filled by one
untimed run first (otherwise an environment with PYTHONDONTWRITEBYTECODE would time compiling
our sources); that run also fills the app's compiled-template cache (instance/template-cache/), as
a deployment's first worker does. A third figure is the floor under ours: importing SQLAlchemy's
ORM and the models, which any start-up of ours needs, and nothing else. Target: within 3× the minimal app, in CPU time (on a shared machine the wall time
also counts waiting for other processes; it is printed beside).

    python -m bench.startup
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
RUNS = 5
TARGET = 3.0
MINIMAL = '''from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "ok"
'''
# What every start-up of ours needs before any module of the app: SQLAlchemy's ORM and the models.
FLOOR = "import flask_sqlalchemy, flask_wtf, consultations.models"
FIRST_REQUEST = '''import sys
{load}
response = app.test_client().get("{path}")
if response.status_code != 200:
    sys.exit(f"GET {path} answered {{response.status_code}}")
'''


def _median_seconds(command: list[str], env: dict[str, str], cwd) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``command`` over RUNS fresh processes, after one untimed run."""
    import resource

    def run():
        done = subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
        if done.returncode:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")

    run()  # fills the bytecode cache
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run()
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return statistics.median(walls), statistics.median(cpus)


def _compare(title: str, ours: tuple[list[str], dict, Path], minimal: tuple[list[str], dict, Path]) -> float:
    """Print both and the ratio; return the minimal app's CPU seconds."""
    ours_wall, ours_cpu = _median_seconds(*ours)
    minimal_wall, minimal_cpu = _median_seconds(*minimal)
    ratio = ours_cpu / minimal_cpu
    print(title)
    print(f"    one-route Flask app  {minimal_wall * 1000:6.0f} ms  (CPU {minimal_cpu * 1000:5.0f} ms)")
    print(f"    tracker              {ours_wall * 1000:6.0f} ms  (CPU {ours_cpu * 1000:5.0f} ms)  CPU {ratio:.1f}× the "
          f"minimal app (wall {ours_wall / minimal_wall:.1f}×), target within {TARGET:.0f}×: "
          f"{'PASS' if ratio <= TARGET else 'MISS'}")
    return minimal_cpu


def main() -> None:
    print(f"Start-up, median of {RUNS} fresh processes from cached bytecode")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        Path(tmp, "minimal.py").write_text(MINIMAL, encoding="utf-8")
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")}
        env.update(TRACKER_INSTANCE_PATH=tmp, TRACKER_PUBLIC_URL="http://localhost", PYTHONPATH=str(PROJECT),
                   PYTHONPYCACHEPREFIX=str(Path(tmp, "bytecode")))
        minimal_env = {**env, "PYTHONPATH": tmp}
        flask = [sys.executable, "-m", "flask"]
        subprocess.run([*flask, "--app", "tracker", "db", "upgrade"], env=env, cwd=PROJECT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        minimal_cpu = _compare("  The CLI: `flask --help`",
                 ([*flask, "--app", "tracker", "--help"], env, PROJECT),
                 ([*flask, "--app", "minimal", "--help"], minimal_env, Path(tmp)))
        ours_request = FIRST_REQUEST.format(load="from tracker import create_app\napp = create_app()",
                                            path="/consultations/")
        minimal_request = FIRST_REQUEST.format(load="from minimal import app", path="/")
        _compare("  A worker's first request: start, build the app, answer one page",
                 ([sys.executable, "-c", ours_request], env, PROJECT),
                 ([sys.executable, "-c", minimal_request], minimal_env, Path(tmp)))
        floor_wall, floor_cpu = _median_seconds([sys.executable, "-c", FLOOR], env, PROJECT)
        print(f"  The floor under both, importing only {FLOOR[len('import '):]}: {floor_wall * 1000:.0f} ms "
              f"(CPU {floor_cpu * 1000:.0f} ms), CPU {floor_cpu / minimal_cpu:.1f}× the minimal app's `flask --help`")


if __name__ == "__main__":
    main()
