"""The main navigation. An entry shows once its blueprint is registered, so the menu
never links to a page the site does not have yet."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from telephony.models import Role

#: (endpoint, label, roles that see it)
ENTRIES = [
    ("lines.index", _l("Lines and numbers"), {Role.CUSTOMER}),
    ("services.index", _l("My services"), {Role.CUSTOMER}),
    ("service_numbers.index", _l("Service numbers"), {Role.CUSTOMER}),
    ("billing.invoices", _l("Invoices"), {Role.CUSTOMER}),
    ("billing.payment_methods_page", _l("Payment methods"), {Role.CUSTOMER}),
    ("procedure.index", _l("Validation procedure"), {Role.CUSTOMER}),
    ("emails.index", _l("Service e-mails"), {Role.CUSTOMER}),
    ("faq.index", _l("FAQ"), None),
    ("agent.index", _l("Agent console"), {Role.AGENT, Role.ADMIN}),
    ("translators.index", _l("Translations"), {Role.TRANSLATOR, Role.ADMIN}),
]


def _may_follow(account) -> bool:
    from caching import account_fact
    from telephony.service_numbers.licences import may_follow

    # On every page: asked once per version of the account's data (licences, numbers and
    # port orders are tracked). Without a licence, an account holding numbers or following
    # a port order still uses those pages: the menu leads there as long as they answer.
    return account_fact(account, "may_follow_service_numbers", lambda: may_follow(account))


#: Entries offered only to some accounts: endpoint → test of the account.
OFFERED_TO = {"service_numbers.index": _may_follow}

#: Pages below an entry that is not their blueprint's first one.
_AREA = {
    "billing.add_card": "billing.payment_methods_page",
    "billing.remove": "billing.payment_methods_page",
}


def navigation_context() -> dict:
    import acting

    user = current_user._get_current_object()  # (each read through the proxy costs)
    role = user.role if user.is_authenticated else None
    account = acting.account() if role in (Role.AGENT, Role.ADMIN) else None
    # A translator previewing a demo customer's pages (read only) sees their menu.
    preview = acting.preview_account() if role == Role.TRANSLATOR else None
    account = account or preview
    visible = []
    for endpoint, label, roles in ENTRIES:
        if endpoint not in current_app.view_functions:
            continue
        # An agent acting for a customer sees the customer's menu too.
        if roles is not None and role not in roles and not (account and Role.CUSTOMER in roles):
            continue
        offered = OFFERED_TO.get(endpoint)
        if offered is not None:
            customer = account or (user.account if role == Role.CUSTOMER else None)
            if customer is None or not offered(customer):
                continue
        visible.append((endpoint, label))
    # The current entry: the one for this very page, else the first of its blueprint.
    current = next(
        (e for e, _label in visible if e in (request.endpoint, _AREA.get(request.endpoint or ""))),
        None,
    ) or next((e for e, _label in visible if e.split(".")[0] == request.blueprint), None)
    # aria-current: "page" on the page itself; "true" on its area's entry from a page below
    # it (the breadcrumb then says "page").
    items = [
        (
            endpoint,
            label,
            ("page" if endpoint == request.endpoint else "true") if endpoint == current else None,
        )
        for endpoint, label in visible
    ]
    return {
        "nav_items": items,
        "acting_account": account if preview is None else None,
        "preview_account": preview,
        "acting_reason": acting.reason(),
        # "customer": the pages in the customer's language; "agent": in the agent's own.
        "acting_locale_mode": acting.locale_mode(),
    }
