"""Error pages in the GOV.UK pattern: say what went wrong and what to do next."""
from flask import Flask, render_template


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
