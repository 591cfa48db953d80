from flask import Blueprint

bp = Blueprint("services", __name__, url_prefix="/services")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.services import routes  # noqa: E402,F401
