from flask import Blueprint

bp = Blueprint("emails", __name__, url_prefix="/emails")

from blueprints.common import customer_blueprint_hooks  # noqa: E402

customer_blueprint_hooks(bp)

from blueprints.emails import routes  # noqa: E402,F401
