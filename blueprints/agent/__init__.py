from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent")

from blueprints.agent import routes  # noqa: E402,F401
