"""Error pages in the GOV.UK pattern: say what went wrong and what to do next."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.db import db


def init_app(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error):
        if request.path.startswith("/api/"):
            # A URL that matches no API route, such as an id too large to be one (tracker.web.ids):
            # the API answers in JSON, as its own 404s do.
            return jsonify(error=f"There is no {request.path}; see /api/v1/ for what there is."), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def form_expired(error):
        return render_template("errors/form_expired.html"), 400

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def saved_at_the_same_time(error):
        # Two saves raced past the version check or a uniqueness check (same email, slug or
        # number at the same moment); the later one lost and nothing of it was kept.
        db.session.rollback()
        return render_template("errors/conflict.html"), 409

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
