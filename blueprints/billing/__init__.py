from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.billing import invoices, routes  # noqa: E402,F401
