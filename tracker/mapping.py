from flask import Blueprint

bp = Blueprint("mapping", __name__)
