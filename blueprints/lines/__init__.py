from flask import Blueprint

bp = Blueprint("lines", __name__, url_prefix="/lines")

from blueprints.lines import routes  # noqa: E402,F401
