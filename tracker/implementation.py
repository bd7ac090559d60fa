from flask import Blueprint

bp = Blueprint("implementation", __name__)
