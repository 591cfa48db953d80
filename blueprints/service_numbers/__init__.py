from flask import Blueprint

bp = Blueprint("service_numbers", __name__, url_prefix="/service-numbers")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.service_numbers import porting, routes  # noqa: E402,F401
