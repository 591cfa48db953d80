"""Service numbers: the account's numbers and quota, finding and reserving numbers from the
inventory, acquiring them (seed 003)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from blueprints.common import acting_account, current_account, page_arg, perform
from blueprints.service_numbers import bp
from blueprints.service_numbers.forms import AcquireForm, LicenceForm, ReleaseForm, SearchForm
from htmx import render
from i18n import territory_name
from labels import LICENCE_KINDS, NUMBER_TYPES
from security import account_required, agent_required
from telephony.models import Account, NumberType, ReservationStatus, utcnow
from telephony.service_numbers import inventory, licences, owned, reservations
from telephony.service_numbers.inventory import Search


def _no_licence(account: Account):
    """What the pages say to an account without a telephony licence (403)."""
    return render("service_numbers/no_licence.html", status=403, account=account)


@bp.get("/")
@account_required
def index():
    account = current_account()
    if not licences.has_licence(account):
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
    )


def _acting_reason() -> str:
    from blueprints.common import action_reason

    return action_reason()


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
    search = _search_choices(form, account)
    allowed, left = licences.quota(account)
    reserving = request.method == "POST" and request.form.get("action") != "update"
    if reserving and form.validate_on_submit():
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
    return render(
        "service_numbers/new.html",
        blocks=("number-search",),
        status=422 if reserving else 200,
        account=account,
        form=form,
        allowed=allowed,
        left=left,
        hold_minutes=reservations.hold_minutes(),
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
    if request.method == "POST":
        if held.status == ReservationStatus.ACQUIRED:
            # The same form sent again (a double click): it is done already.
            return redirect(url_for("service_numbers.index"), 303)
        if form.validate_on_submit():
            done = perform(
                lambda: reservations.acquire(
                    account, held, form.numbers.data, actor=current_user, now=now
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
        form.numbers.data = [str(number.id) for number in numbers]
    return render(
        "service_numbers/reservation.html",
        status=422 if form.errors else 200,
        account=account,
        reservation=held,
        live=reservations.is_live(held, now),
        acquired=held.status == ReservationStatus.ACQUIRED,
        numbers=numbers,
        form=form,
        release_form=ReleaseForm(),
        seconds_left=max(0, int((reservations.aware(held.expires_at) - now).total_seconds())),
    )


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
