from flask import Blueprint

bp = Blueprint("procedure", __name__, url_prefix="/procedure")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.procedure import routes  # noqa: E402,F401
