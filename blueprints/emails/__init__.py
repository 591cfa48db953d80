from flask import Blueprint

bp = Blueprint("emails", __name__, url_prefix="/emails")

from blueprints.common import audit_agent_view  # noqa: E402

bp.before_request(audit_agent_view)

from blueprints.emails import routes  # noqa: E402,F401
