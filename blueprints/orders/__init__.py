from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from blueprints.common import audit_agent_view  # noqa: E402

bp.before_request(audit_agent_view)

from blueprints.orders import routes  # noqa: E402,F401
