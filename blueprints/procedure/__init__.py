from flask import Blueprint

bp = Blueprint("procedure", __name__, url_prefix="/procedure")

from blueprints.common import audit_agent_view  # noqa: E402

bp.before_request(audit_agent_view)

from blueprints.procedure import routes  # noqa: E402,F401
