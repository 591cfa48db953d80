from flask import Blueprint

bp = Blueprint("lines", __name__, url_prefix="/lines")

from blueprints.common import audit_agent_view  # noqa: E402

bp.before_request(audit_agent_view)

from blueprints.lines import routes  # noqa: E402,F401
