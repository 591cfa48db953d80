from flask import current_app, request

from blueprints.agent import bp
from blueprints.common import page_arg
from htmx import render
from security import agent_required
from telephony import directory


@bp.get("/")
@agent_required
def index():
    """Find a caller's account: by account id, name or e-mail."""
    query = request.args.get("q", "")
    results = directory.search_accounts(query, page_arg(), current_app.config["PAGE_SIZE"])
    return render("agent/index.html", blocks=("account-results",), q=query, results=results)
