"""Serve GOV.UK Frontend's compiled assets from the npm package (never copied into the repo)."""
from flask import Flask, abort, send_from_directory
from werkzeug.exceptions import NotFound


def init_app(app: Flask) -> None:
    @app.route("/assets/<path:filename>")
    def govuk_assets(filename: str):
        root = app.config["GOVUK_FRONTEND_DIR"]
        for folder in (f"{root}/assets", root):
            try:
                return send_from_directory(folder, filename, max_age=86400)
            except NotFound:
                continue
        abort(404)
    # ``assetPath`` and ``serviceName`` reach templates through tracker.web.templating.
