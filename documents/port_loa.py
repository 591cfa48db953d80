"""The letter of authorization of a port order: the holder asks the losing carrier to let
every number of the order go to the operator. Printed in the account's language, every
number listed, with what kind they are, the holder and the date; signed by hand, then
uploaded back (telephony.service_numbers.porting)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from documents.flow import Rows, SignatureBox, Text, TextStyle
from documents.fonts import register_fonts
from documents.layout import CONTENT_WIDTH, build_pdf, country_name
from labels import organisation_id_name
from telephony.models import Account, PortNumber, PortOrder
from telephony.service_numbers.porting import in_order
from templating import day, phone

LABEL_WIDTH = CONTENT_WIDTH * 0.34


def _number_note(number: PortNumber, order: PortOrder) -> str:
    """Beside a number: its RIO, or the range it belongs to and whether all of it leaves."""
    if number.rio:
        return _("RIO %(rio)s", rio=number.rio)
    if number.range_first:
        scope = (order.range_scope or {}).get(number.range_first)
        return (
            _("range from %(first)s, all of it", first=phone(number.range_first))
            if scope == "all"
            else _("range from %(first)s, part of it", first=phone(number.range_first))
            if scope == "part"
            else _("range from %(first)s", first=phone(number.range_first))
        )
    return ""


def loa_pdf(
    order: PortOrder, account: Account, *, operator: Mapping, today, invariant: bool = False
) -> bytes:
    font = register_fonts()
    body = TextStyle(font, 9.5, 12.5)
    styles = {
        "body": body,
        "title": body.but(size=16, leading=20, bold=True, space_after=6),
        "heading": body.but(size=10.5, leading=14, bold=True, space_before=8, space_after=3),
        "label": body.but(size=8.5, leading=11, bold=True),
        "cell": body.but(size=8.5, leading=11),
    }
    locale = account.language
    holder = order.holder or {}
    numbers = in_order(order)
    with force_locale(locale):
        # Translators: title of the letter that lets numbers leave another carrier (PDF).
        title = _("Letter of authorization to port numbers")
        kind = _("Toll-free numbers") if order.toll_free else _("Toll numbers")
        address = ", ".join(
            part
            for part in (
                holder.get("street", ""),
                " ".join(
                    p
                    for p in (
                        holder.get("building", ""),
                        holder.get("floor", ""),
                        holder.get("door", ""),
                    )
                    if p
                ),
                f"{holder.get('postcode', '')} {holder.get('city', '')}".strip(),
                country_name(order.country.value, locale),
            )
            if part
        )
        story: list = [
            Text(title, styles["title"]),
            Text(
                _(
                    "I, the undersigned holder of the numbers below, ask %(carrier)s to port them "
                    "to %(operator)s, and authorize %(operator)s to act for me towards %(carrier)s "
                    "for this purpose.",
                    carrier=order.losing_carrier or "…",
                    operator=operator["name"],
                ),
                styles["body"],
            ),
            Spacer(1, 3 * mm),
            Rows(
                [
                    (_("Holder"), holder.get("name", "")),
                    (
                        str(organisation_id_name(order.country.value)),
                        holder.get("organisation_id", ""),
                    ),
                    (_("Address"), address),
                    (_("Contact person"), holder.get("contact_name", "")),
                    (_("Losing carrier"), order.losing_carrier),
                    (_("Account number at that carrier"), order.carrier_account),
                    (
                        _("Billing telephone number at that carrier"),
                        phone(order.billing_number) if order.billing_number else "",
                    ),
                    (_("Type of numbers"), kind),
                    (
                        _("Port"),
                        _("Full: every number of that account leaves the carrier")
                        if order.full_port
                        else _("Partial: other numbers stay with the carrier"),
                    ),
                    (
                        _("Requested date"),
                        day(order.requested_on, "long", locale=locale)
                        if order.requested_on
                        else _("As soon as possible"),
                    ),
                    (_("Order"), f"{account.code} / {order.id}"),
                ],
                label=styles["label"],
                value=styles["cell"],
                label_width=LABEL_WIDTH,
            ),
            Text(
                _("Numbers (%(count)d)", count=len(numbers)),
                styles["heading"],
            ),
            Rows(
                [(phone(number.number), _number_note(number, order)) for number in numbers],
                label=styles["label"],
                value=styles["cell"],
                label_width=LABEL_WIDTH,
            ),
            Spacer(1, 6 * mm),
            # What to do with the box, and the box, on one page (a long list of numbers
            # left the box alone on the last one).
            KeepTogether(
                [
                    Text(
                        _(
                            "Sign and date this letter, then upload it on the order's page "
                            "within three months of this date: %(date)s.",
                            date=day(today, "long", locale=locale),
                        ),
                        styles["body"],
                    ),
                    Spacer(1, 3 * mm),
                    SignatureBox(
                        _("Place"),
                        _("Date"),
                        _("Signature of the holder"),
                        label=styles["label"],
                    ),
                ]
            ),
        ]
        return build_pdf(
            story,
            font=font,
            operator_name=operator["name"],
            title=title,
            subject=f"{account.code} / {order.id}",
            locale=locale,
            invariant=invariant,
        )
