"""Error pages. A 500 rolls back the session so nothing half-done is committed later."""

from flask import Response
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from blueprints.common import OPENED_FOR_ANOTHER
from blueprints.errors import bp
from extensions import db
from htmx import render
from telephony import NotFound

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Sign-in needed"), _l("Please sign in to see this page.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address, or it is not yours.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    # An agent's page opened for one customer, sent after acting for another (acting.py).
    409: (_l("Opened for another customer"), OPENED_FOR_ANOTHER),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a minute and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened. It has been logged; please try again later."),
    ),
}


def _page(code: int, detail=None):
    title, text = MESSAGES[code]
    if request_ctx.url_adapter is None:
        # No address could be matched (a Host header no name can be): the page's links
        # cannot be made either, so a line of text rather than a second error.
        return Response(f"{code} {title}\n", status=code, mimetype="text/plain")
    return render("errors/error.html", status=code, code=code, title=title, text=detail or text)


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    return _page(400, _l("Your form has expired or was sent from another page. Please try again."))


for _code in (400, 401, 403, 404, 405, 409):
    bp.app_errorhandler(_code)(lambda error, code=_code: _page(code))


@bp.app_errorhandler(429)
def too_many(error):
    """Refused for now: the page says so, and when to come back where the limit knows
    (`TooManyRequests(retry_after=...)`)."""
    response = _page(429)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


@bp.app_errorhandler(NotFound)
def not_in_scope(_error):
    """The domain found no such object in the account's scope: 404, as for any address."""
    db.session.rollback()
    return _page(404)


@bp.app_errorhandler(500)
def internal_error(_error):
    db.session.rollback()
    return _page(500)
