from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.orders import routes  # noqa: E402,F401
