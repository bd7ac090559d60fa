"""Start-up: `flask --app tracker --help` against the same command for a one-route Flask app.

Every command (imports, migrations, users) and every worker pays the app's start-up (importing
its modules, building the app); the one-route app is the floor Flask itself sets. Each is
run five times in a fresh process and the median taken. Target: within 3× the minimal app.

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


def _median_seconds(command: list[str], env: dict[str, str], cwd) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``command`` over RUNS fresh processes."""
    import resource

    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    print(f"Start-up: `flask --help`, median of {RUNS} fresh processes")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        Path(tmp, "minimal.py").write_text(MINIMAL, encoding="utf-8")
        env = {**os.environ, "TRACKER_INSTANCE_PATH": tmp, "PYTHONPATH": str(PROJECT)}
        env.pop("DATABASE_URL", None)
        ours, ours_cpu = _median_seconds([sys.executable, "-m", "flask", "--app", "tracker", "--help"], env, PROJECT)
        minimal, minimal_cpu = _median_seconds([sys.executable, "-m", "flask", "--app", "minimal", "--help"],
                                               {**env, "PYTHONPATH": tmp}, tmp)
    ratio = ours / minimal
    print(f"  one-route Flask app  {minimal * 1000:6.0f} ms  (CPU {minimal_cpu * 1000:5.0f} ms)")
    print(f"  tracker              {ours * 1000:6.0f} ms  (CPU {ours_cpu * 1000:5.0f} ms)  {ratio:.1f}× the minimal app "
          f"(CPU {ours_cpu / minimal_cpu:.1f}×), target within {TARGET:.0f}×: {'PASS' if ratio <= TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
