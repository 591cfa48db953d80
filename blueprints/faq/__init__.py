from flask import Blueprint

bp = Blueprint("faq", __name__, cli_group="faq")

from blueprints.faq import commands, routes  # noqa: E402,F401
