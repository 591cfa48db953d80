from flask import redirect, url_for
from flask_login import current_user

from blueprints.main import bp
from telephony.models import Role

HOME = {
    Role.CUSTOMER: "lines.index",
    Role.AGENT: "agent.index",
    Role.TRANSLATOR: "translators.index",
    Role.ADMIN: "agent.index",
}


@bp.get("/")
def index():
    """Signed out: the sign-in page. Signed in: the home page of one's role."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
