"""Serve GOV.UK Frontend's assets from the npm package (never copied into the repo), and the
stylesheets we compile from its Sass.

``/assets/<file>`` looks in ``COMPILED_ASSETS_DIR`` (``build/assets``: GOV.UK Frontend compiled
for a service that is not on GOV.UK, see tracker/assets and tracker.web.branding), then in the
package's ``assets/`` folder (images, fonts, manifest), then in the package itself (its compiled
CSS and JavaScript).

``python -m tracker.web.assets`` compiles every ``tracker/assets/*.scss`` not starting with ``_``
with the npm ``sass`` package (package.json) into ``build/assets/<name>.min.css``, when a source
is newer than its output; ``make setup`` and the tests run it, ``--force`` rebuilds.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask import Flask, abort, send_from_directory
from werkzeug.exceptions import NotFound

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCES = PROJECT_ROOT / "tracker" / "assets"
NODE_MODULES = PROJECT_ROOT / "node_modules"
COMPILED = PROJECT_ROOT / "build" / "assets"


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPILED_ASSETS_DIR", str(COMPILED))

    @app.route("/assets/<path:filename>")
    def govuk_assets(filename: str):
        root = app.config["GOVUK_FRONTEND_DIR"]
        for folder in (app.config["COMPILED_ASSETS_DIR"], f"{root}/assets", root):
            try:
                return send_from_directory(folder, filename, max_age=86400)
            except NotFound:
                continue
        abort(404)
    # ``assetPath``, ``serviceName`` and ``brand`` reach templates through tracker.web.templating.


def outputs() -> dict[Path, Path]:
    """Each Sass source and the stylesheet it compiles to."""
    return {source: COMPILED / f"{source.stem}.min.css"
            for source in sorted(SOURCES.glob("*.scss")) if not source.name.startswith("_")}


def build(force: bool = False) -> list[Path]:
    """Compile the stylesheets that are missing or older than their source or GOV.UK Frontend;
    returns those built. Raises ``RuntimeError`` saying what to install if sass is missing."""
    sass = NODE_MODULES / "sass" / "sass.js"
    frontend = NODE_MODULES / "govuk-frontend" / "package.json"
    stale = [
        (source, target) for source, target in outputs().items()
        if force or not target.exists()
        or target.stat().st_mtime < max(source.stat().st_mtime, frontend.stat().st_mtime if frontend.exists() else 0)
    ]
    if not stale:
        return []
    if not sass.exists():
        raise RuntimeError(f"{sass} is missing: run `npm ci` (or `make setup`) to install the npm packages")
    COMPILED.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", str(sass), "--style=compressed", "--no-source-map", f"--load-path={NODE_MODULES}",
         "--quiet-deps", *(f"{source}:{target}" for source, target in stale)],
        capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"sass failed:\n{result.stderr}")
    return [target for _, target in stale]


if __name__ == "__main__":
    for path in build(force="--force" in sys.argv[1:]):
        print(f"built {path.relative_to(PROJECT_ROOT)}")
