from flask import Blueprint

bp = Blueprint("lines", __name__, url_prefix="/lines")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.lines import lines, new_lines, numbers, requests  # noqa: E402,F401
