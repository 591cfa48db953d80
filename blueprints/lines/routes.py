from flask import abort, current_app

from blueprints.common import current_account, page_arg
from blueprints.lines import bp
from htmx import render
from security import customer_required
from telephony import NotFound, inventory


@bp.get("/")
@customer_required
def index():
    account = current_account()
    size = current_app.config["PAGE_SIZE"]
    lines = inventory.lines_page(account, page_arg("page"), size)
    numbers = inventory.numbers_page(account, page_arg("npage"), size)
    pending = inventory.pending_tasks_for(account, "line", [line.id for line in lines.items])
    return render(
        "lines/index.html",
        blocks=("line-list", "number-list"),
        account=account,
        groups=inventory.groups_of(account),
        lines=lines,
        numbers=numbers,
        pending=pending,
    )


@bp.get("/<int:line_id>")
@customer_required
def show(line_id: int):
    account = current_account()
    try:
        line = inventory.get_line(account, line_id)
    except NotFound:
        abort(404)
    pending = inventory.pending_tasks_for(account, "line", [line.id]).get(line.id, [])
    return render("lines/show.html", account=account, line=line, pending=pending)
