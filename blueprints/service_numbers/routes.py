"""Service numbers: the account's numbers and quota, finding and reserving numbers from the
inventory, acquiring them (seed 003)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from blueprints.common import acting_account, current_account, page_arg, perform
from blueprints.service_numbers import bp
from blueprints.service_numbers.forms import (
    AcquireForm,
    AssignForm,
    AutoRechargeForm,
    BuyCreditsForm,
    DestinationForm,
    ExtendHoldForm,
    LicenceForm,
    MoreNumbersForm,
    ReleaseForm,
    ReleaseNumberForm,
    SearchForm,
)
from extensions import db
from htmx import render
from i18n import territory_name
from labels import DESTINATION_KINDS, LICENCE_KINDS, NUMBER_TYPES, SVA_CATEGORIES
from security import account_required, agent_required
from telephony import payment_methods
from telephony.dates import local_today
from telephony.models import Account, CreditWallet, NumberType, ReservationStatus, utcnow
from telephony.payments import configured_provider
from telephony.service_numbers import (
    credits,
    destinations,
    inventory,
    licences,
    owned,
    reservations,
    sva,
)
from telephony.service_numbers.inventory import Search
from telephony.services import paying
from templating import clock, phone


def _no_licence(account: Account):
    """What the pages say to an account without a telephony licence (403)."""
    return render("service_numbers/no_licence.html", status=403, account=account)


@bp.get("/")
@account_required
def index():
    account = current_account()
    if not licences.may_follow(account):
        return _no_licence(account)
    allowed, left = licences.quota(account)
    form = LicenceForm()
    form.kind.choices = [SelectChoice(k, label) for k, label in LICENCE_KINDS.items()]
    return render(
        "service_numbers/index.html",
        blocks=("service-number-list",),
        account=account,
        numbers=owned.numbers_page(account, page_arg(), current_app.config["PAGE_SIZE"]),
        counts=licences.counts(account),
        allowed=allowed,
        left=left,
        held=reservations.open_reservation(account, utcnow()),
        places=destinations.destinations_of(account),
        balance=credits.balance(account),
        licence_form=form if acting_account() is not None else None,
        capacity=owned.capacity,
        rio_of=lambda number: owned.rio_of(account, number, current_app.config["OPERATOR"]),
    )


@bp.route("/licences", methods=["GET", "POST"])
@agent_required
def licences_page():
    """Agents, for the customer they act for: set how many licences of a kind it holds."""
    account = current_account()
    form = LicenceForm()
    form.kind.choices = [SelectChoice(k, label) for k, label in LICENCE_KINDS.items()]
    if form.validate_on_submit():
        done = perform(
            lambda: licences.set_licences(
                account,
                form.kind.data,
                form.quantity.data,
                actor=current_user,
                reason=_acting_reason(),
            ),
            form,
            "quantity",
        )
        if done:
            flash(_("The licences are saved."), "success")
            return redirect(url_for("service_numbers.index"), 303)
    return render(
        "service_numbers/licences.html",
        status=422 if form.errors else 200,
        account=account,
        form=form,
        counts=licences.counts(account),
        asked=licences.open_request(account),
    )


def _acting_reason() -> str:
    from blueprints.common import action_reason

    return action_reason()


#: What a search asked for that the country chosen does not have (the lists were updated).
NOT_IN_COUNTRY = {
    "number_type": _l("This type of number is not sold in this country."),
    "region": _l("Choose a region of this country from the list."),
    "city": _l("Choose a city of this region from the list."),
}


def _search_choices(form: SearchForm, account: Account) -> Search | None:
    """Fill the lists, each narrowed by the one before; the search they make (None when
    the country or type is not one we sell)."""
    countries = [SelectChoice(code, territory_name(code)) for code in ("FR", "BE", "CH")]
    form.country.choices = countries
    country = (
        form.country.data
        if form.country.data in {c.value for c in countries}
        else account.country.value
    )
    form.country.data = country
    sold = inventory.types_sold(country)
    form.number_type.choices = [SelectChoice(kind.value, NUMBER_TYPES[kind.value]) for kind in sold]
    if form.number_type.data not in {kind.value for kind in sold}:
        form.number_type.data = NumberType.GEOGRAPHIC.value
    regions = inventory.regions(country)
    form.region.choices = [SelectChoice("", _("Any region"))] + [
        SelectChoice(name, name) for name in regions
    ]
    if form.region.data not in regions:
        form.region.data = ""
    cities = inventory.cities(country, form.region.data) if form.region.data else []
    form.city.choices = [SelectChoice("", _("Any city"))] + [
        SelectChoice(str(area.id), area.city) for area in cities
    ]
    if form.city.data not in {str(area.id) for area in cities}:
        form.city.data = ""
    kind = NumberType(form.number_type.data)
    area_ids: tuple[int, ...]
    if kind == NumberType.GEOGRAPHIC:
        if form.city.data:
            area_ids = (int(form.city.data),)
        elif form.region.data:
            area_ids = tuple(area.id for area in cities)
        else:
            area_ids = ()
    else:
        area_ids = ()
    digits = "".join((form.digits.data or "").split())
    if not digits.isascii() or not digits.isdigit():
        digits = ""
    return Search(
        country=country,
        number_type=kind,
        area_ids=area_ids,
        starts_with=digits if form.match.data != "contains" else "",
        contains=digits if form.match.data == "contains" else "",
    )


@bp.route("/new", methods=["GET", "POST"])
@account_required
def new():
    """Choose where and what, then Reserve: the numbers are held for a few minutes. The
    lists narrow each other through the query string (a GET: the page without JavaScript,
    the form alone with htmx)."""
    account = current_account()
    if not licences.has_licence(account):
        return _no_licence(account)
    now = utcnow()
    form = SearchForm() if request.method == "POST" else SearchForm(formdata=request.args or None)
    asked = {field.name: field.data for field in (form.number_type, form.region, form.city)}
    search = _search_choices(form, account)
    allowed, left = licences.quota(account)
    reserving = request.method == "POST" and request.form.get("action") != "update"
    # The lists narrow each other, and a choice the country no longer has is replaced (to
    # update them); but numbers are reserved only for what was asked.
    replaced = [
        field
        for field in (form.number_type, form.region, form.city)
        if reserving and asked[field.name] and asked[field.name] != field.data
    ]
    if reserving and form.validate_on_submit() and not replaced:
        done = perform(
            lambda: reservations.reserve(
                account, search, int(form.quantity.data), actor=current_user, now=now
            ),
            form,
            "quantity",
        )
        if done:
            reservation, held = done.value
            asked = int(form.quantity.data)
            if held < asked:
                flash(
                    ngettext(
                        "Only %(num)d number matched your search: it is held for you.",
                        "Only %(num)d numbers matched your search: they are held for you.",
                        held,
                    ),
                    "warning",
                )
            return redirect(
                url_for("service_numbers.reservation", reservation_id=reservation.id), 303
            )
    for field in replaced:
        field.errors = [*field.errors, NOT_IN_COUNTRY[field.name]]
    return render(
        "service_numbers/new.html",
        blocks=("number-places",),
        status=422 if reserving else 200,
        account=account,
        form=form,
        allowed=allowed,
        left=left,
        hold_minutes=reservations.hold_minutes(),
        toll_free_sold=NumberType.TOLL_FREE in inventory.types_sold(search.country),
        show_area=search.number_type == NumberType.GEOGRAPHIC,
        balance=credits.balance(account),
        held=reservations.open_reservation(account, now),
    )


@bp.route("/reservations/<int:reservation_id>", methods=["GET", "POST"])
@account_required
def reservation(reservation_id: int):
    """The numbers held: pick some or all and Acquire numbers, before the hold ends."""
    account = current_account()
    held = reservations.get(account, reservation_id)
    now = utcnow()
    form = AcquireForm()
    numbers = reservations.held_numbers(held) if reservations.is_live(held, now) else []
    form.numbers.choices = [SelectChoice(str(number.id), number.number) for number in numbers]
    form.category.choices = [SelectChoice("", _("Choose"))] + [
        SelectChoice(code, SVA_CATEGORIES[code]) for code in sva.CATEGORIES
    ]
    if request.method == "POST":
        if held.status == ReservationStatus.ACQUIRED:
            # The same form sent again (a double click): it is done already.
            return redirect(url_for("service_numbers.index"), 303)
        if form.validate_on_submit():
            entry = {
                "publisher": form.publisher.data,
                "service": form.service.data,
                "category": form.category.data,
            }
            done = perform(
                lambda: reservations.acquire(
                    account, held, form.numbers.data, actor=current_user, now=now, entry=entry
                ),
                form,
                "numbers",
            )
            if done:
                flash(
                    ngettext(
                        "%(num)d service number is yours.",
                        "%(num)d service numbers are yours.",
                        len(done.value),
                    ),
                    "success",
                )
                return redirect(url_for("service_numbers.index"), 303)
    elif numbers:
        # All of them, unless each is one service of its own (a French toll-free number).
        chosen = numbers[:1] if any(sva.needs_entry(number) for number in numbers) else numbers
        form.numbers.data = [str(number.id) for number in chosen]
    return render(
        "service_numbers/reservation.html",
        status=422 if form.errors else 200,
        account=account,
        reservation=held,
        live=reservations.is_live(held, now),
        acquired=held.status == ReservationStatus.ACQUIRED,
        numbers=numbers,
        prices={number.id: owned.monthly_price(account, number) for number in numbers},
        form=form,
        release_form=ReleaseForm(),
        needs_entry=any(sva.needs_entry(number) for number in numbers),
        seconds_left=max(0, int((reservations.aware(held.expires_at) - now).total_seconds())),
        can_extend=reservations.can_extend(held, now),
        hold_minutes=reservations.hold_minutes(),
    )


@bp.post("/reservations/<int:reservation_id>/extend")
@account_required
def extend_hold(reservation_id: int):
    """Keep the held numbers longer, before the hold ends (a form, so without JavaScript
    too); back to the reservation, its countdown started afresh."""
    account = current_account()
    held = reservations.get(account, reservation_id)
    if ExtendHoldForm().validate_on_submit():
        done = perform(lambda: reservations.extend(account, held, actor=current_user))
        if done:
            flash(
                _("The numbers are held for you until %(time)s.", time=clock(done.value)), "success"
            )
    return redirect(url_for("service_numbers.reservation", reservation_id=held.id), 303)


@bp.post("/reservations/<int:reservation_id>/release")
@account_required
def release(reservation_id: int):
    account = current_account()
    held = reservations.get(account, reservation_id)
    form = ReleaseForm()
    if form.validate_on_submit() and perform(
        lambda: reservations.release(account, held, actor=current_user)
    ):
        flash(_("The numbers are back in the inventory."), "success")
    return redirect(url_for("service_numbers.new"), 303)


# --- Where the numbers ring -----------------------------------------------------------------


@bp.route("/destinations/new", methods=["GET", "POST"])
@account_required
def new_destination():
    """A conference bridge, an auto attendant or a call queue (with the lines it rings)."""
    account = current_account()
    if not licences.has_licence(account):
        return _no_licence(account)
    form = DestinationForm()
    form.kind.choices = [SelectChoice(k, label) for k, label in DESTINATION_KINDS.items()]
    lines = destinations.active_lines(account)
    form.lines.choices = [SelectChoice(str(line.id), line.number) for line in lines]
    if form.validate_on_submit():
        done = perform(
            lambda: destinations.create(
                account, form.kind.data, form.name.data, form.lines.data or [], actor=current_user
            ),
            form,
            "name",
        )
        if done:
            flash(_("%(name)s is created.", name=done.value.name), "success")
            return redirect(url_for("service_numbers.index"), 303)
    return render(
        "service_numbers/destination.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        form=form,
        lines=lines,
    )


@bp.route("/<int:number_id>/assign", methods=["GET", "POST"])
@account_required
def assign(number_id: int):
    account = current_account()
    number = destinations.get_number(account, number_id)
    places = destinations.destinations_of(account)
    form = AssignForm()
    form.destination.choices = [SelectChoice("", _("Nowhere for now"))] + [
        SelectChoice(str(place.id), place.name) for place in places
    ]
    if request.method == "POST":
        if form.validate_on_submit() and perform(
            lambda: destinations.assign(
                account, number, form.destination.data or "", actor=current_user
            ),
            form,
            "destination",
        ):
            flash(_("Where %(number)s rings is saved.", number=phone(number.number)), "success")
            return redirect(url_for("service_numbers.index"), 303)
    else:
        form.destination.data = str(number.destination_id or "")
    return render(
        "service_numbers/assign.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        number=number,
        places=places,
        form=form,
    )


@bp.route("/<int:number_id>/release", methods=["GET", "POST"])
@account_required
def release_number(number_id: int):
    """Release a number assigned to nothing: it waits in quarantine, its service ends."""
    account = current_account()
    number = destinations.get_number(account, number_id)
    form = ReleaseNumberForm()
    today = local_today(account.timezone)
    if form.validate_on_submit():
        done = perform(
            lambda: destinations.release(account, number, actor=current_user, today=today),
            form,
        )
        if done:
            flash(_("%(number)s is released.", number=phone(number.number)), "success")
            return redirect(url_for("service_numbers.index"), 303)
    return render(
        "service_numbers/release.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        number=number,
        form=form,
        quarantine_until=destinations.quarantine_end(today),
    )


# --- Communication credits ------------------------------------------------------------------


@bp.route("/credits", methods=["GET", "POST"])
@account_required
def credits_page():
    """The balance, the rates, the movements, and buying credits (paid at once)."""
    account = current_account()
    if not licences.may_follow(account):
        return _no_licence(account)
    today = local_today(account.timezone)
    methods = paying.usable_methods(account, today)
    form = BuyCreditsForm()
    form.amount.choices = [SelectChoice(str(a), str(a)) for a in credits.amounts(account)]
    form.method.choices = [SelectChoice(str(m.id), str(m.id)) for m in methods]
    if form.validate_on_submit():
        done = perform(
            lambda: credits.buy(
                account,
                form.amount.data,
                paying.get_method(account, form.method.data),
                token=form.token.data or "",
                actor=current_user,
                provider=configured_provider(),
                today=today,
            ),
            form,
            "amount",
        )
        if done or isinstance(done.error, paying.AlreadyDone):
            flash(_("The credits are bought."), "success")
            return redirect(url_for("service_numbers.credits_page"), 303)
    elif request.method != "POST":
        form.token.data = paying.new_token()
        form.amount.data = str(credits.amounts(account)[1])
        default = next((m for m in methods if m.is_default), None)
        form.method.data = str(default.id) if default else ""
    return render(
        "service_numbers/credits.html",
        blocks=("credit-movements",),
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        form=form,
        methods=methods,
        balance=credits.balance(account),
        wallet=db.session.get(CreditWallet, account.id),
        rates=credits.rates(account),
        movements=credits.movements(account, page_arg(), current_app.config["PAGE_SIZE"]),
    )


@bp.route("/credits/auto-recharge", methods=["GET", "POST"])
@account_required
def auto_recharge():
    account = current_account()
    if not licences.may_follow(account):
        return _no_licence(account)
    form = AutoRechargeForm()
    if form.validate_on_submit():
        done = perform(
            lambda: credits.configure(
                account,
                bool(form.auto_recharge.data),
                form.threshold.data,
                form.recharge_amount.data,
                actor=current_user,
            ),
            form,
            "threshold",
        )
        if done:
            flash(_("The automatic recharge is saved."), "success")
            return redirect(url_for("service_numbers.credits_page"), 303)
    elif request.method != "POST":
        wallet = db.session.get(CreditWallet, account.id) or CreditWallet()
        form.auto_recharge.data = bool(wallet.auto_recharge)
        form.threshold.data = f"{wallet.threshold if wallet.threshold is not None else 10:.2f}"
        amount = wallet.recharge_amount if wallet.recharge_amount is not None else 50
        form.recharge_amount.data = f"{amount:.2f}"
    return render(
        "service_numbers/auto_recharge.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        form=form,
        has_method=payment_methods.default_method(account) is not None,
    )


@bp.route("/more", methods=["GET", "POST"])
@account_required
def ask_for_more():
    """More numbers than the licences allow: a request to support (agents see it)."""
    account = current_account()
    if not licences.has_licence(account):
        return _no_licence(account)
    form = MoreNumbersForm()
    if form.validate_on_submit():
        done = perform(
            lambda: licences.ask_for_more(
                account, form.quantity.data, form.message.data, actor=current_user
            ),
            form,
            "quantity",
        )
        if done:
            flash(_("Your request is sent: support will get back to you."), "success")
            return redirect(url_for("service_numbers.index"), 303)
    elif request.method != "POST":
        asked = licences.open_request(account)
        if asked is not None:
            form.quantity.data, form.message.data = str(asked.quantity), asked.message
    allowed, left = licences.quota(account)
    return render(
        "service_numbers/more.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        form=form,
        allowed=allowed,
        left=left,
        asked=licences.open_request(account),
    )
