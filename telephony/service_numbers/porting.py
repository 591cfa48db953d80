"""Porting numbers in: an order per number type (toll or toll-free) and country, from the
numbers (checked line by line) to the holder's details, the RIO of each French number, the
date, the signed letter of authorization, and the losing carrier's answers.

Rules (REFERENCE.md, "Service numbers and porting"):
- a RIO exists for French geographic and 09 numbers only, and is checked with its number;
  French toll-free (08) numbers and ranges port with the signed mandate instead;
- a Belgian geographic number ports only within its zone: one order, one zone;
- the date: as soon as possible, or a working day of the number's country at least
  PORT_LEAD_DAYS working days away (the `holidays` library);
- the letter of authorization lists every number, is signed, dated within
  PORT_DOCUMENT_MAX_AGE_MONTHS, and uploaded (with a recent bill where the country asks for
  one) before the order is submitted, explicitly;
- a number is in one open order at a time (a partial unique index).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import phonenumbers
from dateutil.easter import easter
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db, rows_changed
from telephony import DomainError, InvalidForm, NotFound, audit, rio, wording
from telephony.dates import add_months, local_today
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AliasNumber,
    Country,
    InventoryState,
    Line,
    LineStatus,
    NumberQuarantine,
    NumberType,
    PortDocument,
    PortEvent,
    PortNumber,
    PortOrder,
    PortStatus,
    ServiceNumber,
    User,
    utcnow,
)
from telephony.procedure.details import check_organisation_id
from telephony.service_numbers import credits, owned, zones
from telephony.service_numbers.inventory import SWISS_ALLOCATED, classify
from telephony.settings import settings
from telephony.sms import queue_sms

#: Numbers one order takes at most (a pasted list or a CSV file).
MAX_NUMBERS = 1000
#: What the customer may still change, and cancel.
EDITABLE = (PortStatus.DRAFT, PortStatus.REJECTED)
CANCELLABLE = (
    PortStatus.DRAFT,
    PortStatus.SUBMITTED,
    PortStatus.PROCESSING,
    PortStatus.CONTACTING_CARRIER,
    PortStatus.DATE_CONFIRMED,
    PortStatus.REJECTED,
)
#: What the losing carrier's answers may move an order to, from where.
MOVES = {
    PortStatus.PROCESSING: (PortStatus.SUBMITTED,),
    PortStatus.CONTACTING_CARRIER: (PortStatus.PROCESSING,),
    PortStatus.DATE_CONFIRMED: (PortStatus.CONTACTING_CARRIER,),
    PortStatus.PENDING: (PortStatus.DATE_CONFIRMED,),
    PortStatus.COMPLETED: (PortStatus.PENDING,),
}
#: A document's first bytes → its type. Anything else is refused.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXECUTABLES = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"PK\x03\x04")


@dataclass(frozen=True)
class Accepted:
    """A number the check keeps: E.164, its type, and the first number of the range it
    was pasted in ("" for a number on its own)."""

    number: str
    kind: NumberType
    range_first: str = ""


@dataclass(frozen=True)
class Checked:
    """The numbers accepted and the lines refused (line, text, reason)."""

    accepted: list[Accepted]
    refused: list[tuple[int, str, object]]
    country: str | None


#: A cell after the first that is a phone number too ("02 555 12 34, 02 555 12 35" pasted
#: on one line), not another column of a CSV file (a name, a date, a customer id).
_MORE = re.compile(r"\+?[\d\s().\-/]{8,}")


def _is_number(cell: str) -> bool:
    """9 digits at least: a Belgian national number has 9, a date 8."""
    return bool(_MORE.fullmatch(cell)) and sum(ch.isdigit() for ch in cell) >= 9


def _lines(text: str) -> list[tuple[int, str]]:
    """The numbers of a pasted list or a CSV file, with their line: the first cell of each
    line (a header line without digits is skipped), and the next cells that are numbers
    too."""
    found = []
    # newline="": a file saved with old Mac line ends (CR alone) reads as lines too.
    rows = csv.reader(io.StringIO(text.replace(";", ","), newline=""))
    for number, row in enumerate(rows, start=1):
        cell = (row[0] if row else "").strip()
        if cell and not (number == 1 and not any(ch.isdigit() for ch in cell)):
            found.append((number, cell[:80]))
        found.extend((number, more.strip()) for more in row[1:] if _is_number(more.strip()))
    return found


def _number(cell: str, region: str) -> tuple[str, str, NumberType] | None:
    try:
        parsed = phonenumbers.parse(cell, region)
    except phonenumbers.NumberParseException:
        return None
    return classify(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


#: What separates the first and the last number of a range: "0478 12 34 00 - 0478 12 34 99",
#: "0478123400–0478123499", "… to …", "… .. …".
RANGE_SEPARATORS = re.compile(r"\s*(?:–|—|-|\.\.|\bto\b|\bà\b|\bau\b|\btot\b|\bbis\b)\s*", re.I)


def _range(cell: str, region: str) -> tuple[str, str] | None:
    """(first, last) in E.164 when the cell is a range of numbers: two valid numbers of
    one length apart. A number written with dashes (04-78-12-34-56) is not a range."""
    for match in RANGE_SEPARATORS.finditer(cell):
        first = _number(cell[: match.start()], region)
        last = _number(cell[match.end() :], region)
        if first and last and len(first[0]) == len(last[0]):
            return first[0], last[0]
    return None


def _expand(
    lines: list[tuple[int, str]], region: str
) -> tuple[list[tuple[int, str, str]], list[tuple[int, str, object]]]:
    """Each line as (line, text, the first number of its range or ""): a range becomes
    its numbers. A range backwards, of another length or of more than MAX_NUMBERS is
    refused on its line."""
    cells: list[tuple[int, str, str]] = []
    refused: list[tuple[int, str, object]] = []
    for line, cell in lines:
        bounds = _range(cell, region)
        if bounds is None:
            cells.append((line, cell, ""))
            continue
        first, last = bounds
        count = int(last[1:]) - int(first[1:]) + 1
        if count < 2:
            refused.append((line, cell, _l("A range goes from its first number up to its last.")))
        elif len(cells) + count > MAX_NUMBERS:
            refused.append(
                (
                    line,
                    cell,
                    _l(
                        "An order takes %(max)s numbers at most: split the list.",
                        max=wording.number(MAX_NUMBERS),
                    ),
                )
            )
        else:
            cells.extend((line, f"+{int(first[1:]) + step}", first) for step in range(count))
    return cells, refused


def precheck(account: Account, text: str, toll_free: bool) -> Checked:
    """Each line normalised to E.164 and classified (a range, its numbers); refused with
    its reason: invalid, of the other type, of another country than the first, twice,
    already being ported, already with us, or a geographic number of another zone than
    the first (a Belgian one ports only within its zone; a French one is used in it)."""
    try:
        lines = _lines(text or "")
    except csv.Error:  # a line longer than the csv module reads (131,072 characters)
        lines = []
    if not lines:
        raise DomainError(_l("Paste the numbers to port, one per line."), "numbers")
    if len(lines) > MAX_NUMBERS:
        raise DomainError(
            _l(
                "An order takes %(max)s numbers at most: split the list.",
                max=wording.number(MAX_NUMBERS),
            ),
            "numbers",
        )
    cells, refused = _expand(lines, account.country.value)
    accepted: list[Accepted] = []
    seen: set[str] = set()
    country = zone = None
    kept: list[tuple[int, str, Accepted]] = []
    for line, cell, range_first in cells:
        found = _number(cell, account.country.value)
        if found is None:
            refused.append(
                (line, cell, _l("Not a valid number of France, Belgium or Switzerland."))
            )
            continue
        number, where, kind = found
        if (kind == NumberType.TOLL_FREE) != toll_free:
            refused.append(
                (
                    line,
                    cell,
                    _l("A toll-free number: it goes in a toll-free order.")
                    if kind == NumberType.TOLL_FREE
                    else _l("Not a toll-free number: it goes in a toll order."),
                )
            )
            continue
        if country is not None and where != country:
            refused.append(
                (line, cell, _l("Another country than the first number's: one order per country."))
            )
            continue
        if number in seen:
            refused.append((line, cell, _l("Twice in the list.")))
            continue
        area = zones.zone_of(number) if kind == NumberType.GEOGRAPHIC else None
        if area and zone is not None and area != zone:
            refused.append(
                (
                    line,
                    cell,
                    _l(
                        "Another zone than the first number's: a Belgian geographic "
                        "number ports only within its zone."
                    )
                    if where == "BE"
                    else _l(
                        "Another zone than the first number's: a geographic number is "
                        "used in its zone, at the holder's address, so one order per zone."
                    ),
                )
            )
            continue
        zone = zone or area
        country = country or where
        seen.add(number)
        kept.append((line, cell, Accepted(number, kind, range_first)))
    numbers = [item.number for _line, _cell, item in kept]
    porting = (
        set(
            db.session.scalars(
                select(PortNumber.number).where(PortNumber.number.in_(numbers), PortNumber.active)
            )
        )
        if numbers
        else set()
    )
    ours: set[str] = set()
    if numbers:
        for model, condition in (
            (Line, Line.status == LineStatus.ACTIVE),
            (AliasNumber, AliasNumber.status == LineStatus.ACTIVE),
        ):
            ours.update(
                db.session.scalars(select(model.number).where(model.number.in_(numbers), condition))
            )
        # A number of the inventory is ours to sell, not to port (taken, held or not); only
        # one ported in once and given back since (available, outside the sale) may come
        # in again.
        ours.update(
            db.session.scalars(
                select(ServiceNumber.number).where(
                    ServiceNumber.number.in_(numbers),
                    ~and_(ServiceNumber.ported, ServiceNumber.state == InventoryState.AVAILABLE),
                )
            )
        )
        # The operator's own blocks, which new lines are given numbers from (whoever had
        # them), and a number taken back from a deleted service, in quarantine.
        ours.update(number for number in numbers if _in_line_blocks(number))
        ours.update(
            db.session.scalars(
                select(NumberQuarantine.number).where(NumberQuarantine.number.in_(numbers))
            )
        )
    for line, cell, item in kept:
        if item.number in porting:
            refused.append((line, cell, _l("Already in a port order.")))
        elif item.number in ours:
            refused.append((line, cell, _l("Already with us.")))
        else:
            accepted.append(item)
    refused.sort(key=lambda item: item[0])
    return Checked(accepted, refused, country)


def _in_line_blocks(number: str) -> bool:
    """Whether an E.164 number is in one of the operator's blocks for new lines."""
    digits = number[1:]
    return any(
        len(digits) == len(first[1:]) and first[1:] <= digits <= last[1:]
        for first, last in settings().new_line_numbers.values()
    )


def create(
    account: Account, text: str, toll_free: bool, *, actor: User
) -> tuple[PortOrder, Checked]:
    """A draft order of the numbers the check accepts (refused when it accepts none)."""
    checked = precheck(account, text, toll_free)
    if not checked.accepted or checked.country is None:
        raise DomainError(
            _l("No number of the list can be ported: see why beside each line."), "numbers"
        )
    order = PortOrder(
        account_id=account.id,
        country=Country(checked.country),
        toll_free=toll_free,
        status=PortStatus.DRAFT,
        holder={},
        created_by_id=actor.id,
    )
    db.session.add(order)
    db.session.flush()
    try:
        with db.session.begin_nested():  # another order took one of them meanwhile
            for item in checked.accepted:
                db.session.add(
                    PortNumber(
                        order_id=order.id,
                        number=item.number,
                        number_type=item.kind,
                        range_first=item.range_first,
                    )
                )
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            _l("One of these numbers was just put in another port order."), "numbers"
        ) from None
    _event(order, PortStatus.DRAFT)
    audit.record(
        "port.created",
        account=account,
        actor=actor,
        target_type="port_order",
        target_id=order.id,
        after={"numbers": [item.number for item in checked.accepted], "toll_free": toll_free},
    )
    return order, checked


def get(account: Account, order_id: int) -> PortOrder:
    order = db.session.scalar(
        select(PortOrder).where(PortOrder.id == order_id, PortOrder.account_id == account.id)
    )
    if order is None:
        raise NotFound(_l("This port order does not exist."))
    return order


def orders_of(account: Account) -> list[PortOrder]:
    return list(
        db.session.scalars(
            select(PortOrder)
            .where(PortOrder.account_id == account.id)
            .order_by(PortOrder.id.desc())
        )
    )


def needs_rio(number: PortNumber, today: date | None = None) -> bool:
    """French geographic and 09 numbers: checked with their RIO; 08 numbers, and
    direct-dial ranges before 1 July 2027: the signed mandate. From then a range has one
    RIO, its first number's."""
    if not number.number.startswith("+33") or ports_with_mandate(number, today):
        return False
    return not number.range_first or number.number == number.range_first


def ports_with_mandate(number: PortNumber, today: date | None = None) -> bool:
    """French toll-free (08) numbers port with the signed mandate, not a RIO, and so do
    French direct-dial ranges until a RIO becomes mandatory for them (1 July 2027)."""
    if number.number.startswith("+338"):
        return True
    before_2027_rules = (today or date.today()) < settings().port_rules_2027
    return number.number.startswith("+33") and bool(number.range_first) and before_2027_rules


def ranges(order: PortOrder) -> list[tuple[PortNumber, PortNumber, int]]:
    """The ranges of the order: (first number, last number, how many)."""
    found: dict[str, list[PortNumber]] = {}
    for number in order.numbers:
        if number.range_first:
            found.setdefault(number.range_first, []).append(number)
    return [(numbers[0], numbers[-1], len(numbers)) for numbers in found.values()]


def in_order(order: PortOrder) -> list[PortNumber]:
    """The numbers still in the order (not taken out of it)."""
    return [number for number in order.numbers if number.status != PortStatus.CANCELLED]


def public_holidays(country: str, years) -> holidays.HolidayBase:
    """The days off of `country`. Switzerland's national list has four days only; Good
    Friday, Easter and Whit Mondays and St Stephen's Day are off in nearly every canton
    (a port was accepted on them, review)."""
    off = holidays.country_holidays(country, years=years)
    if country == "CH":
        for year in [years] if isinstance(years, int) else years:
            sunday = easter(year)
            off.update(
                {
                    sunday - timedelta(days=2): "Good Friday",
                    sunday + timedelta(days=1): "Easter Monday",
                    sunday + timedelta(days=50): "Whit Monday",
                    date(year, 12, 26): "St Stephen's Day",
                }
            )
    return off


def _working_days_after(country: str, start: date, days: int) -> date:
    off = public_holidays(country, range(start.year, start.year + 2))
    day = start
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            days -= 1
    return day


def earliest_date(order: PortOrder, today: date) -> date:
    """The first day a port may be asked for: the country's lead time in working days
    (in France 7, and 3 from 1 July 2027)."""
    country = order.country.value
    lead = settings().port_lead_days[country]
    if today >= settings().port_rules_2027:
        lead = settings().port_lead_days_2027.get(country, lead)
    return _working_days_after(country, today, lead)


HOLDER_FIELDS = (
    "name",
    "organisation_id",
    "contact_name",
    "contact_mobile",
    "contact_email",
    "street",
    "building",
    "floor",
    "door",
    "postcode",
    "city",
)
REQUIRED = {
    "name": _l("Enter the holder's name or company name."),
    "contact_name": _l("Enter the name of the contact person."),
    "street": _l("Enter the street and number."),
    "postcode": _l("Enter the postcode."),
    "city": _l("Enter the city."),
    "losing_carrier": _l("Enter the carrier the numbers leave."),
    "carrier_account": _l("Enter the account number at that carrier."),
}


#: The longest text of a field (the others: 120 characters).
LONGEST = {"losing_carrier": 100, "carrier_account": 60, "postcode": 10}
#: A postcode's digits in each country where numbers are ported.
POSTCODE_DIGITS = {"FR": 5, "BE": 4, "CH": 4}


def is_editable(order: PortOrder) -> bool:
    """Being prepared, or rejected and waiting for corrections (a Belgian rejection closes
    the order instead: a copy is made as a new one)."""
    return order.status in EDITABLE and not is_closed(order)


def is_closed(order: PortOrder) -> bool:
    return order.status == PortStatus.REJECTED and order.country == Country.BE


def _billing_number(
    order: PortOrder, numbers: list[PortNumber], scope: str, raw: object
) -> tuple[str, object]:
    """The billing telephone number in E.164, checked against the port's scope: in a full
    port every number of the account leaves, this one too, so it is one of the order's; in a
    partial port it stays with the carrier, so it is not."""
    text = " ".join(str(raw or "").split())[:40]
    if not text:
        return "", _l("Enter the number the carrier bills the account under.")
    try:
        parsed = phonenumbers.parse(text, order.country.value)
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        return "", _l("Enter a valid telephone number, e.g. as on the carrier's bill.")
    billing = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    leaving = {number.number for number in numbers}
    if scope == "full" and billing not in leaving:
        return billing, _l(
            "In a full port every number leaves the carrier, the billing number too: it must "
            "be one of this order's numbers. If it stays, the port is partial."
        )
    if scope == "partial" and billing in leaving:
        return billing, _l(
            "In a partial port the billing number stays with the carrier: it cannot be one of "
            "the numbers that leave. Ask the carrier to bill another number first, or port "
            "them all."
        )
    return billing, None


def save_details(account: Account, order: PortOrder, raw, *, actor: User, today: date) -> PortOrder:
    """The holder, the carrier, full or partial port, the date and each French number's
    RIO, all checked at once; nothing is saved while one is wrong."""
    if not is_editable(order):
        raise DomainError(_l("This order can no longer be changed."))
    errors: dict[str, object] = {}
    texts = {
        key: " ".join(str(raw.get(key) or "").split())
        for key in (*HOLDER_FIELDS, "losing_carrier", "carrier_account")
    }
    for key, message in REQUIRED.items():
        if not texts[key]:
            errors[key] = message
    for key, text in texts.items():  # said, never cut short
        longest = LONGEST.get(key, 120)
        if len(text) > longest:
            errors[key] = _l("Write at most %(max)d characters.", max=longest)
    digits = POSTCODE_DIGITS[order.country.value]
    postcode = texts["postcode"] = texts["postcode"].replace(" ", "")  # "75 001" is 75001
    if postcode and not errors.get("postcode"):
        if not (len(postcode) == digits and postcode.isascii() and postcode.isdigit()):
            errors["postcode"] = _l("Enter a postcode of %(num)d digits.", num=digits)
    if texts["organisation_id"]:
        value, problem = check_organisation_id(order.country.value, texts["organisation_id"])
        if problem:
            errors["organisation_id"] = problem
        else:
            texts["organisation_id"] = value
    try:
        mobile = phonenumbers.parse(texts["contact_mobile"], order.country.value)
        mobile_ok = phonenumbers.is_valid_number(mobile) and phonenumbers.number_type(mobile) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    except phonenumbers.NumberParseException:
        mobile_ok = False
    if not mobile_ok:
        errors["contact_mobile"] = _l("Enter a mobile number: a rejection is sent there by SMS.")
    else:
        texts["contact_mobile"] = phonenumbers.format_number(
            mobile, phonenumbers.PhoneNumberFormat.E164
        )
    email = texts["contact_email"]
    if not email or "@" not in email or " " in email or len(email) > 120:
        errors["contact_email"] = _l("Enter the contact's e-mail address.")
    scope = str(raw.get("scope") or "")
    if scope not in ("full", "partial"):
        errors["scope"] = _l("Say whether every number of the line leaves that carrier.")
    numbers = in_order(order)
    range_scope = {}
    for start, _last, _count in ranges(order):
        choice = str(raw.get(f"range-{start.id}") or "")
        if choice not in ("all", "part"):
            errors[f"range-{start.id}"] = _l("Say whether all of the range leaves, or part of it.")
        range_scope[start.number] = choice
    if scope == "full" and "part" in range_scope.values():
        errors["scope"] = _l(
            "Part of a range stays with the carrier: the port is partial, not full."
        )
    billing, problem = _billing_number(order, numbers, scope, raw.get("billing_number"))
    if problem:
        errors["billing_number"] = problem
    elif not errors.get("postcode"):
        zone = zones.outside_zone(
            order.country.value, [number.number for number in numbers], texts["postcode"]
        )
        if zone:
            errors["postcode"] = _l(
                "This address is outside the zone of the numbers (%(zone)s): a geographic "
                "number is used at an address in its zone.",
                zone=f"0{zone}",
            )
    when = str(raw.get("when") or "")
    requested = None
    if when == "date":
        try:
            requested = date.fromisoformat(str(raw.get("requested_on") or ""))
        except ValueError:
            errors["requested_on"] = _l("Enter the date as YYYY-MM-DD.")
        else:
            first = earliest_date(order, today)
            off = public_holidays(order.country.value, requested.year)
            if requested < today:
                errors["requested_on"] = _l("This date is past.")
            elif requested < first:
                errors["requested_on"] = _l(
                    "The earliest date is %(date)s.", date=wording.long_date(first)
                )
            elif requested.weekday() >= 5 or requested in off:
                errors["requested_on"] = _l(
                    "Choose a working day: this one is a weekend or a public holiday."
                )
    elif when != "asap":
        errors["when"] = _l("Choose as soon as possible, or a date.")
    rios = {}
    for number in numbers:
        if not needs_rio(number, today):
            continue
        value = "".join(str(raw.get(f"rio-{number.id}") or "").split()).upper()
        if not value:
            errors[f"rio-{number.id}"] = _l(
                "Enter the RIO of this number: call 3179 from the line to get it."
            )
        elif not rio.is_valid(value, number.number):
            errors[f"rio-{number.id}"] = _l(
                "This RIO does not match this number: call 3179 from the line to get it."
            )
        elif not value[2].isalpha() or value[2] in "EP":
            # Its third character is the customer's quality: E or P is a mobile's, and
            # these are fixed numbers (a mobile's RIO was taken, review).
            errors[f"rio-{number.id}"] = _l(
                "This is the RIO of a mobile line: enter this fixed number's, by calling "
                "3179 from the line."
            )
        rios[number.id] = value
    if errors:
        raise InvalidForm(errors)
    printed = _letter_says(order)
    order.holder = {key: texts[key] for key in HOLDER_FIELDS}
    order.losing_carrier, order.carrier_account = texts["losing_carrier"], texts["carrier_account"]
    order.full_port = scope == "full"
    order.billing_number, order.range_scope = billing, range_scope
    order.requested_on = requested
    for number in order.numbers:
        if number.id in rios:
            number.rio = rios[number.id]
    letter = documents(order).get("loa")
    if letter is not None and order.details_saved and _letter_says(order) != printed:
        # The signed letter names what just changed: it no longer stands for this order (a
        # corrected holder went again with the letter the carrier had rejected, review).
        db.session.delete(letter)
    order.details_saved = True
    audit.record(
        "port.details_saved",
        account=account,
        actor=actor,
        target_type="port_order",
        target_id=order.id,
        after={
            "holder": order.holder["name"],
            "date": requested.isoformat() if requested else "asap",
        },
    )
    return order


def _letter_says(order: PortOrder) -> tuple:
    """Who and what the signed letter of authorisation names (the date asked for aside:
    moved to a later day, the same holder's letter still stands, if recent enough)."""
    return (
        dict(order.holder or {}),
        order.losing_carrier,
        order.carrier_account,
        order.full_port,
        order.billing_number,
        dict(order.range_scope or {}),
        sorted((number.number, number.rio or "") for number in order.numbers),
    )


def documents(order: PortOrder) -> dict[str, PortDocument]:
    return {
        doc.kind: doc
        for doc in db.session.scalars(select(PortDocument).where(PortDocument.order_id == order.id))
    }


#: The documents of an order, by kind: the signed letter, a recent bill, and for a Swiss
#: toll-free number the regulator's proof that it was allocated to the holder.
DOCUMENT_KINDS = ("loa", "bill", "allocation")


def allocation_required(order: PortOrder) -> bool:
    """Swiss toll-free and special numbers (0800, 084x, 090x) are allocated by the
    regulator to their holder: porting one needs the proof of that allocation (a 0848
    number, filed as national, went without, review)."""
    if order.country != Country.CH:
        return False
    return order.toll_free or any(
        number.number.startswith(SWISS_ALLOCATED) for number in in_order(order)
    )


def document_kinds(order: PortOrder) -> tuple[str, ...]:
    """The documents this order asks for, the letter first."""
    return tuple(
        kind
        for kind, wanted in (
            ("loa", True),
            ("bill", bill_required(order)),
            ("allocation", allocation_required(order)),
        )
        if wanted
    )


def bill_required(order: PortOrder) -> bool:
    return settings().port_bill_required[order.country.value]


def upload(
    account: Account,
    order: PortOrder,
    kind: str,
    filename: str,
    data: bytes,
    signed_on: str,
    *,
    actor: User,
    today: date,
) -> PortDocument:
    """Keep the signed letter (`loa`) or a recent bill (`bill`): a PDF or an image, not too
    big, dated within the settings' maximum age. A new one replaces the old."""
    if not is_editable(order):
        raise DomainError(_l("This order can no longer be changed."))
    if kind not in document_kinds(order):
        raise DomainError(_l("Choose which document this is."), "kind")
    if not data:
        raise DomainError(_l("Choose the file to upload."), "document")
    if len(data) > settings().port_document_max_bytes:
        raise DomainError(
            _l(
                "The file is too big: %(max)s MB at most.",
                max=settings().port_document_max_bytes // 1024 // 1024,
            ),
            "document",
        )
    if data.startswith(EXECUTABLES):
        raise DomainError(
            _l("This file is a program, not a document: upload a PDF or an image."), "document"
        )
    content_type = next((kind_ for sig, kind_ in SIGNATURES.items() if data.startswith(sig)), None)
    if content_type is None:
        raise DomainError(_l("Upload a PDF, a PNG or a JPEG file."), "document")
    try:
        signed = date.fromisoformat(str(signed_on or ""))
    except ValueError:
        raise DomainError(
            _l("Enter the date on the document as YYYY-MM-DD."), "signed_on"
        ) from None
    if signed > today:
        raise DomainError(_l("This date is still to come."), "signed_on")
    months = settings().port_document_max_age_months
    if add_months(signed, months) < today:
        raise DomainError(
            _ln(
                "The document must be dated within the last %(num)d month.",
                "The document must be dated within the last %(num)d months.",
                months,
            ),
            "signed_on",
        )
    known = documents(order).get(kind)
    if known is None:
        known = PortDocument(order_id=order.id, kind=kind)
        db.session.add(known)
    name = "".join(ch for ch in (filename or "document") if ch.isprintable() and ch not in '/\\"')[
        -100:
    ]
    known.filename, known.content_type, known.size = name or "document", content_type, len(data)
    known.signed_on, known.data, known.uploaded_at = signed, data, utcnow()
    audit.record(
        "port.document_uploaded",
        account=account,
        actor=actor,
        target_type="port_order",
        target_id=order.id,
        after={"kind": kind, "size": len(data), "type": content_type},
    )
    return known


def missing(order: PortOrder) -> list[object]:
    """What the order lacks before it may be submitted."""
    gaps: list[object] = []
    if not order.details_saved:
        gaps.append(
            _l("the holder's details, the date and the RIOs")
            if order.country.value == "FR"  # (the RIO is French)
            else _l("the holder's details and the date")
        )
    have = documents(order)
    if "loa" not in have:
        gaps.append(_l("the signed letter of authorization"))
    if bill_required(order) and "bill" not in have:
        gaps.append(_l("a recent bill"))
    if allocation_required(order) and "allocation" not in have:
        gaps.append(_l("the proof that the regulator allocated the numbers to the holder"))
    return gaps


def _check_still_valid(order: PortOrder, today: date) -> None:
    first = earliest_date(order, today)
    if order.requested_on is not None and order.requested_on < first:
        raise DomainError(
            _l(
                "The date asked for can no longer be kept: change it in the holder's details "
                "(the earliest is %(date)s).",
                date=wording.long_date(first),
            )
        )
    months = settings().port_document_max_age_months
    if any(
        add_months(document.signed_on, months) < today for document in documents(order).values()
    ):
        raise DomainError(
            _ln(
                "A document is more than %(num)d month old: upload a recent one.",
                "A document is more than %(num)d months old: upload a recent one.",
                months,
            )
        )


def _event(order: PortOrder, status: PortStatus, note: str = "") -> None:
    db.session.add(PortEvent(order_id=order.id, status=status, note=note[:300]))


def submit(account: Account, order: PortOrder, *, actor: User, today: date | None = None) -> bool:
    """Send the order to be processed, once (a conditional UPDATE). False: it was already.
    What was checked when saved is checked again, as of `today`: a draft kept for weeks,
    or one sent again after a rejection, may hold a date now past and an old letter."""
    if is_closed(order):
        raise DomainError(_l("This order is closed: make a copy of it as a new order."))
    if is_editable(order):
        gaps = missing(order)
        if gaps:
            raise DomainError(_l("Before submitting, add: %(what)s.", what=wording.listing(gaps)))
        _check_still_valid(order, today or local_today(account.timezone))
    if order.toll_free and credits.balance(account) <= 0:
        # As for a toll-free number acquired: its calls are paid by the holder's credits,
        # and a ported one could take none (a port went through at 0, review).
        raise DomainError(
            _l("Toll-free numbers are paid by communication credits: buy some first.")
        )
    sent = rows_changed(
        update(PortOrder)
        .where(PortOrder.id == order.id, PortOrder.status.in_(EDITABLE))
        .values(status=PortStatus.SUBMITTED, submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not sent:
        return False
    db.session.execute(  # a resubmission: the carrier's earlier reasons are answered
        update(PortNumber)
        .where(PortNumber.order_id == order.id, PortNumber.status != PortStatus.CANCELLED)
        .values(rejection="", status=PortStatus.SUBMITTED)
    )
    _event(order, PortStatus.SUBMITTED)
    audit.record(
        "port.submitted", account=account, actor=actor, target_type="port_order", target_id=order.id
    )
    db.session.refresh(order)
    return True


def cancel(account: Account, order: PortOrder, *, actor: User, today: date | None = None) -> bool:
    """Cancel, until the cut-off (24 hours before the confirmed date, in the account's time
    zone; pending: never): the numbers are free for another order."""
    if is_closed(order):
        return False
    today = today or local_today(account.timezone)
    done = rows_changed(
        update(PortOrder)
        .where(
            PortOrder.id == order.id,
            PortOrder.status.in_(CANCELLABLE),
            or_(PortOrder.confirmed_on.is_(None), PortOrder.confirmed_on > cut_off_day(today)),
        )
        .values(status=PortStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if not done:
        if order.status == PortStatus.CANCELLED:
            return False
        raise DomainError(
            _l("Inside the cut-off before the date, the order can no longer be cancelled.")
        )
    db.session.execute(
        update(PortNumber)
        .where(PortNumber.order_id == order.id)
        .values(active=False, status=PortStatus.CANCELLED)
    )
    _event(order, PortStatus.CANCELLED)
    audit.record(
        "port.cancelled", account=account, actor=actor, target_type="port_order", target_id=order.id
    )
    db.session.refresh(order)
    return True


def cut_off_day(today: date) -> date:
    """The last confirmed date an order may no longer be cancelled for, today: 24 hours
    before a date's first moment is the day before it began."""
    return today + timedelta(days=1)


def is_cancellable(order: PortOrder, today: date) -> bool:
    return (
        order.status in CANCELLABLE
        and not is_closed(order)
        and (order.confirmed_on is None or order.confirmed_on > cut_off_day(today))
    )


def advance(
    order: PortOrder, status: PortStatus, *, on: date | None = None, today: date
) -> PortOrder:
    """The losing carrier's answer (the operator's command): the next status, once. A
    confirmed date and the completion are e-mailed; completed, the numbers are the
    account's service numbers (ported: outside the quota), each a monthly service."""
    allowed = MOVES.get(status)
    if allowed is None:
        raise DomainError(f"{status.value}: not a status the carrier's answers move an order to")
    if status == PortStatus.DATE_CONFIRMED and on is None:
        raise DomainError("a confirmed date is needed (--date)")
    if on is not None and status == PortStatus.DATE_CONFIRMED:
        # A date the customer is told: a working day to come (a typo gave a Sunday, or a
        # past day, and the e-mail said it, review).
        off = public_holidays(order.country.value, on.year)
        if on < today or on.weekday() >= 5 or on in off:
            raise DomainError(f"{on.isoformat()}: a confirmed date is a working day to come")
    moved = rows_changed(
        update(PortOrder)
        .where(PortOrder.id == order.id, PortOrder.status.in_(allowed))
        .values(
            status=status,
            **({"confirmed_on": on} if on and status == PortStatus.DATE_CONFIRMED else {}),
        )
        .execution_options(synchronize_session=False)
    )
    if not moved:
        raise DomainError(
            f"order {order.id} is {order.status.value}: it cannot become {status.value}"
        )
    db.session.execute(
        update(PortNumber)
        .where(PortNumber.order_id == order.id, PortNumber.status != PortStatus.CANCELLED)
        .values(status=status)
    )
    db.session.refresh(order)
    account = db.session.get_one(Account, order.account_id)
    _event(order, status, on.isoformat() if on else "")
    if status == PortStatus.DATE_CONFIRMED:
        queue_email(account, "port_date_confirmed", order=order, count=len(in_order(order)))
    if status == PortStatus.COMPLETED:
        _bring_in(account, order, today)
        queue_email(account, "port_completed", order=order, count=len(in_order(order)))
    audit.record(
        "port." + status.value,
        account=account,
        actor=None,
        target_type="port_order",
        target_id=order.id,
    )
    return order


def _bring_in(account: Account, order: PortOrder, today: date) -> None:
    """The order's numbers become the account's service numbers (one query for the ones
    the inventory knows), each a monthly service."""
    ported = in_order(order)
    known = {
        number.number: number
        for number in db.session.scalars(
            select(ServiceNumber).where(ServiceNumber.number.in_([p.number for p in ported]))
        )
    }
    # A number the inventory holds comes in only if it was ported in once and given back
    # (the check refused the others; the operator may have stocked one since): claimed by
    # a conditional UPDATE, never taken from whoever holds it now.
    claimed = rows_changed(
        update(ServiceNumber)
        .where(
            ServiceNumber.id.in_([number.id for number in known.values()]),
            ServiceNumber.ported,
            ServiceNumber.state == InventoryState.AVAILABLE,
        )
        .values(state=InventoryState.TAKEN, account_id=account.id)
        .execution_options(synchronize_session=False)
    )
    if claimed != len(known):
        db.session.expire_all()
        held = sorted(
            db.session.scalars(
                select(ServiceNumber.number).where(
                    ServiceNumber.number.in_(list(known)),
                    ServiceNumber.account_id.is_distinct_from(account.id),
                )
            )
        )
        raise DomainError(
            f"order {order.id}: {', '.join(held)} in the inventory, not ours to bring in: "
            "reject these numbers (--reason NUMBER=REASON)"
        )
    now = utcnow()
    numbers = []
    for item in ported:
        number = known.get(item.number)
        if number is None:
            number = ServiceNumber(
                number=item.number, country=order.country, number_type=item.number_type
            )
            db.session.add(number)
        number.state, number.account_id, number.ported = InventoryState.TAKEN, account.id, True
        number.acquired_at, number.reservation_id, number.held_until = now, None, None
        item.active = False
        numbers.append(number)
    db.session.flush()
    owned.add_services(account, numbers, today)


#: What the losing carrier may reject an order from.
REJECTABLE = (
    PortStatus.SUBMITTED,
    PortStatus.PROCESSING,
    PortStatus.CONTACTING_CARRIER,
    PortStatus.DATE_CONFIRMED,
    PortStatus.PENDING,  # (a refusal on the day itself)
)


def reject(order: PortOrder, reasons: dict[str, str], *, note: str = "", today: date) -> PortOrder:
    """The losing carrier rejects the order, with a reason per number (`reasons`: E.164 →
    reason) or for the whole order (`note`). The contact gets an SMS, the account an e-mail
    with the reasons; the customer corrects and submits again, except in Belgium, where the
    order closes (its numbers free for a copy of it)."""
    unknown = set(reasons) - {number.number for number in in_order(order)}
    if unknown:
        raise DomainError(f"not numbers of order {order.id}: {', '.join(sorted(unknown))}")
    if not reasons and not note:
        raise DomainError("say why: a reason per number, or for the whole order")
    moved = rows_changed(
        update(PortOrder)
        .where(PortOrder.id == order.id, PortOrder.status.in_(REJECTABLE))
        .values(status=PortStatus.REJECTED, confirmed_on=None)  # (a new date comes after)
        .execution_options(synchronize_session=False)
    )
    if not moved:
        raise DomainError(f"order {order.id} is {order.status.value}: it cannot be rejected")
    db.session.refresh(order)
    for number in in_order(order):
        number.rejection = (reasons.get(number.number) or note)[:300]
        if number.rejection:
            number.status = PortStatus.REJECTED
    if is_closed(order):
        db.session.execute(
            update(PortNumber).where(PortNumber.order_id == order.id).values(active=False)
        )
    _event(order, PortStatus.REJECTED, note)
    account = db.session.get_one(Account, order.account_id)
    mobile = (order.holder or {}).get("contact_mobile")
    if mobile:
        with force_locale(account.language):
            body = gettext(
                "%(operator)s: your port order %(id)s was rejected. The reason is in the "
                "e-mail we sent you and on the order's page.",
                operator=current_app.config["OPERATOR"]["name"],
                id=order.id,
            )
        queue_sms(account, mobile, body)
    queue_email(account, "port_rejected", order=order, closed=is_closed(order))
    audit.record(
        "port.rejected",
        account=account,
        actor=None,
        target_type="port_order",
        target_id=order.id,
        after={"reasons": reasons, "note": note},
    )
    return order


def copy(account: Account, order: PortOrder, *, actor: User) -> PortOrder:
    """A closed (Belgian) rejected order made again as a new one: the same numbers and
    holder, to correct and submit."""
    if not is_closed(order):
        raise DomainError(_l("Only a closed order is copied."))
    new = PortOrder(
        account_id=account.id,
        country=order.country,
        toll_free=order.toll_free,
        status=PortStatus.DRAFT,
        holder=dict(order.holder or {}),
        losing_carrier=order.losing_carrier,
        carrier_account=order.carrier_account,
        full_port=order.full_port,
        billing_number=order.billing_number,
        range_scope=dict(order.range_scope or {}),
        created_by_id=actor.id,
    )
    db.session.add(new)
    db.session.flush()
    try:
        with db.session.begin_nested():
            for number in in_order(order):
                db.session.add(
                    PortNumber(
                        order_id=new.id,
                        number=number.number,
                        number_type=number.number_type,
                        range_first=number.range_first,
                    )
                )
            db.session.flush()
    except IntegrityError:
        raise DomainError(_l("One of these numbers was just put in another port order.")) from None
    _event(new, PortStatus.DRAFT, f"#{order.id}")
    audit.record(
        "port.created",
        account=account,
        actor=actor,
        target_type="port_order",
        target_id=new.id,
        after={"copy_of": order.id},
    )
    return new


def remove_number(account: Account, order: PortOrder, number_id: int, *, actor: User) -> bool:
    """Take one number out of an order being prepared or corrected (the carrier rejected
    it, say, as not theirs): it is free for another order. The order keeps one number at
    least; taking out the billing number asks for the details again. False: it was out."""
    if not is_editable(order):
        raise DomainError(_l("This order can no longer be changed."))
    number = next((n for n in order.numbers if n.id == number_id), None)
    if number is None:
        raise NotFound(_l("This number is not in the order."))
    if number.status != PortStatus.CANCELLED and len(in_order(order)) < 2:
        raise DomainError(_l("An order keeps one number at least: cancel the order instead."))
    done = rows_changed(
        update(PortNumber)
        .where(
            PortNumber.id == number.id,
            PortNumber.order_id == order.id,
            PortNumber.status != PortStatus.CANCELLED,
        )
        .values(status=PortStatus.CANCELLED, active=False, rejection="")
        .execution_options(synchronize_session=False)
    )
    if not done:
        return False
    if number.number == order.billing_number:
        order.details_saved = False
    _event(order, PortStatus.CANCELLED, number.number)
    audit.record(
        "port.number_removed",
        account=account,
        actor=actor,
        target_type="port_order",
        target_id=order.id,
        before={"number": number.number},
    )
    db.session.refresh(number)
    return True
