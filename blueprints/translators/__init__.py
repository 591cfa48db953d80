from flask import Blueprint

bp = Blueprint("translators", __name__, url_prefix="/translations")

from blueprints.translators import faq, in_context, routes  # noqa: E402,F401
