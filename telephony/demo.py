"""Demo data of the embedded site (never in production): an invented operator's catalogue,
the demo users every guide names (demo-fr, demo-be, demo-ch, agent and translator
@example.com, password demo), and a large account for benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from extensions import db
from telephony.accounts import new_account_code
from telephony.dates import add_months, first_of_next_month
from telephony.invoicing.numbering import next_number
from telephony.models import (
    Account,
    AccountKind,
    AliasConfig,
    AliasNumber,
    Country,
    Hardware,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Licence,
    LicenceKind,
    Line,
    LineKind,
    NumberPool,
    Offer,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RenewalMode,
    Role,
    Service,
    StoredPaymentMethod,
    TelephonyGroup,
    User,
)
from telephony.service_numbers.inventory import demo_inventory
from telephony.settings import settings

DEMO_PASSWORD = "demo"

#: code, name, line kind, level, basic calls, max calls, price FR/BE (EUR), price CH (CHF)
CATALOGUE = [
    ("decouverte", "Découverte", LineKind.SIP, 1, 1, 1, "2.99", "3.50"),
    ("entreprise", "Entreprise", LineKind.SIP, 2, 1, 99, "9.99", "11.00"),
    ("trunk", "Trunk", LineKind.TRUNK, 1, 4, 200, "14.99", "16.00"),
    ("fax", "Fax", LineKind.FAX, 1, 1, 1, "4.99", "5.50"),
]


def ensure_catalogue() -> dict[tuple[str, str], Offer]:
    offers = {(o.country.value, o.code): o for o in db.session.scalars(select(Offer))}
    for country in Country:
        for code, name, kind, level, basic, maximum, eur, chf in CATALOGUE:
            if (country.value, code) in offers:
                continue
            offer = Offer(
                code=code,
                country=country,
                name=name,
                line_kind=kind,
                level=level,
                basic_calls=basic,
                max_calls=maximum,
                price_excl_vat=Decimal(chf if country == Country.CH else eur),
                currency=settings().currencies[country.value],
            )
            db.session.add(offer)
            offers[(country.value, code)] = offer
    db.session.flush()
    return offers


def _user(email: str, role: Role, name: str, account: Account | None = None) -> User:
    # Customers have chosen their account's language in their profile.
    user = User(
        email=email,
        role=role,
        name=name,
        account=account,
        locale=account.language if account else None,
    )
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user


def _service(
    account: Account,
    name: str,
    service_type: str,
    target_type: str,
    target_id: int,
    price: Decimal,
    expires: date,
    mode=RenewalMode.AUTOMATIC,
    period=1,
) -> None:
    db.session.add(
        Service(
            account_id=account.id,
            name=name,
            service_type=service_type,
            target_type=target_type,
            target_id=target_id,
            renewal_mode=mode,
            period_months=period,
            renewed_on=add_months(expires, -period),
            expires_on=expires,
            monthly_price_excl_vat=price,
        )
    )


def _vary_renewals(account: Account, renewal: date, today: date) -> None:
    """The French company's services renew in every way My services shows: the fax line
    by hand, one number yearly by hand, one number whose renewal invoice is due, and the
    trunk under a 12-month commitment."""
    db.session.flush()
    services = {
        service.name: service
        for service in db.session.scalars(select(Service).where(Service.account_id == account.id))
    }
    fax = next(s for s in services.values() if s.service_type == "fax_line")
    fax.renewal_mode = RenewalMode.MANUAL
    yearly = services["+33972100102"]
    yearly.renewal_mode, yearly.period_months = RenewalMode.MANUAL, 12
    yearly.expires_on = add_months(renewal, 5)
    yearly.renewed_on = add_months(yearly.expires_on, -12)
    trunk = next(s for s in services.values() if s.service_type == "trunk")
    trunk.committed_until = add_months(renewal, 11)  # a 12-month commitment
    due = services["+33972100101"]
    invoice = Invoice(
        account_id=account.id,
        number=next_number(account.country.value, today.year),
        kind=InvoiceKind.INVOICE,
        issued_on=today,
        due_on=renewal,  # the next month's, to pay before it starts
        on_paid={"action": "service_paid"},  # telephony.services.paying
        currency="EUR",
        vat_rate=Decimal("0.20"),
        total_excl_vat=due.monthly_price_excl_vat,
        total_vat=(due.monthly_price_excl_vat * Decimal("0.20")).quantize(Decimal("0.01")),
        total_incl_vat=(due.monthly_price_excl_vat * Decimal("1.20")).quantize(Decimal("0.01")),
    )
    invoice.lines.append(
        InvoiceLine(
            service_id=due.id,
            description=due.name,
            quantity=1,
            unit_price_excl_vat=due.monthly_price_excl_vat,
            total_excl_vat=due.monthly_price_excl_vat,
            period_start=due.expires_on,
            period_end=add_months(due.expires_on, 1),
        )
    )
    # Renewed as the run renews: the period invoiced is the service's (paying the invoice
    # does not move the expiry again, and the next run does not bill that month twice).
    due.renewed_on, due.expires_on = due.expires_on, add_months(due.expires_on, 1)
    db.session.add(invoice)
    db.session.flush()
    # The renewal run tried it already: the card was declined, so it waits to be paid.
    db.session.add(
        Payment(
            account_id=account.id,
            invoice_id=invoice.id,
            provider="sandbox",
            method=PaymentMethod.CARD,
            amount=invoice.total_incl_vat,
            currency=invoice.currency,
            status=PaymentStatus.FAILED,
            provider_reference="sbx_demo_declined",
            failure_reason="card_declined",
        )
    )


def _invoice_history(account: Account, today: date, months: int = 3) -> None:
    """The account's invoices of the last `months` months, each issued on the first of its
    month for every service, and paid: numbered in the order of issue, oldest first."""
    db.session.flush()
    services = db.session.scalars(
        select(Service).where(Service.account_id == account.id).order_by(Service.id)
    ).all()
    for back in range(months, 0, -1):
        start = add_months(date(today.year, today.month, 1), -back)
        lines = [
            InvoiceLine(
                service_id=service.id,
                description=service.name,
                quantity=1,
                unit_price_excl_vat=service.monthly_price_excl_vat,
                total_excl_vat=service.monthly_price_excl_vat,
                period_start=start,
                period_end=add_months(start, 1),
            )
            for service in services
        ]
        excl = sum((line.total_excl_vat for line in lines), Decimal("0.00"))
        vat = (excl * account.vat_rate).quantize(Decimal("0.01"))
        db.session.add(
            Invoice(
                account_id=account.id,
                number=next_number(account.country.value, start.year),
                kind=InvoiceKind.INVOICE,
                status=InvoiceStatus.PAID,
                currency=account.currency,
                vat_rate=account.vat_rate,
                total_excl_vat=excl,
                total_vat=vat,
                total_incl_vat=excl + vat,
                on_paid={"action": "service_paid"},
                issued_on=start,
                due_on=start + timedelta(days=settings().service_payment_days),
                paid_at=datetime.combine(start + timedelta(days=2), time(9), tzinfo=UTC),
                lines=lines,
            )
        )


def _cards(account: Account, today: date) -> None:
    """The French company pays by card: a Visa by default, and a Mastercard that expires at
    the end of this month (flagged on the payment methods page). Tokens as the sandbox
    provider gives them."""
    for brand, last4, month, year, default in [
        ("visa", "4242", today.month, today.year + 3, True),
        ("mastercard", "4444", today.month, today.year, False),
    ]:
        db.session.add(
            StoredPaymentMethod(
                account_id=account.id,
                kind=PaymentMethod.CARD,
                fingerprint=f"demo-{account.id}-{last4}",
                token=f"tok_sbx_demo{account.id}{last4}_{last4}",
                brand=brand,
                last4=last4,
                exp_month=month,
                exp_year=year,
                is_default=default,
            )
        )


def create_demo(today: date | None = None) -> bool:
    """Create the demo users and data. Returns False when they already exist."""
    if db.session.scalar(select(User.id).where(User.email == "demo-fr@example.com")):
        return False
    today = today or date.today()
    renewal = first_of_next_month(today)
    offers = ensure_catalogue()

    # France: a company with every kind of line and a pool of ten alias numbers.
    fr = Account(
        code="vt10001-f",
        name="Boulangerie Dupré & Fils SARL",
        kind=AccountKind.COMPANY,
        country=Country.FR,
        language="fr_FR",
        billing_contact_name="Camille Dupré",
        billing_email="compta@dupre.example",
    )
    db.session.add(fr)
    db.session.flush()
    _user("demo-fr@example.com", Role.CUSTOMER, "Camille Dupré", fr)
    group = TelephonyGroup(account_id=fr.id, code="vt10001-f-1", description="Siège Lyon")
    db.session.add(group)
    db.session.flush()
    fr_lines = [
        ("+33972100001", LineKind.SIP, "entreprise", "Accueil", 4, 10),
        ("+33972100002", LineKind.SIP, "entreprise", "Direction", 2, 10),
        ("+33972100003", LineKind.SIP, "decouverte", "Atelier", 1, 1),
        ("+33972100004", LineKind.SIP, "decouverte", "Livraisons", 1, 1),
        ("+33972100005", LineKind.SIP, "entreprise", "Comptabilité", 1, 10),
        ("+33972100010", LineKind.TRUNK, "trunk", "Standard IPBX", 8, 30),
        ("+33972100020", LineKind.FAX, "fax", "Fax commandes", 1, 1),
    ]
    for index, (number, kind, offer_code, description, calls, maximum) in enumerate(fr_lines):
        offer = offers[("FR", offer_code)]
        line = Line(
            account_id=fr.id,
            group_id=group.id,
            number=number,
            kind=kind,
            description=description,
            offer_id=offer.id,
            calls_current=calls,
            calls_max=maximum,
        )
        db.session.add(line)
        db.session.flush()
        if index in (0, 2):
            db.session.add(
                Hardware(
                    account_id=fr.id,
                    line_id=line.id,
                    kind="plug_and_phone",
                    model="Cisco SPA504G",
                    serial=f"PNP-FR-{index:04d}",
                )
            )
        if kind == LineKind.FAX:
            db.session.add(
                Hardware(
                    account_id=fr.id,
                    line_id=line.id,
                    kind="plug_and_fax",
                    model="Grandstream HT802",
                    serial="PNF-FR-0001",
                )
            )
        service_type = {
            LineKind.SIP: "sip_line",
            LineKind.TRUNK: "trunk",
            LineKind.FAX: "fax_line",
        }[kind]
        _service(
            fr,
            f"{number} – {description}",
            service_type,
            "line",
            line.id,
            line.monthly_price_excl_vat,
            renewal,
        )
    for number, config in [
        ("+33972100100", AliasConfig.REDIRECT),
        ("+33972100101", AliasConfig.QUEUE),
        ("+33972100102", AliasConfig.IVR),
    ]:
        alias = AliasNumber(
            account_id=fr.id,
            group_id=group.id,
            number=number,
            config_kind=config,
            description="Numéro alias",
        )
        db.session.add(alias)
        db.session.flush()
        _service(fr, number, "alias_number", "alias_number", alias.id, Decimal("1.00"), renewal)
    pool = NumberPool(account_id=fr.id, group_id=group.id, first_number="+33184800010", size=10)
    db.session.add(pool)
    db.session.flush()
    for offset in range(10):
        number = f"+3318480{10 + offset:04d}"
        alias = AliasNumber(
            account_id=fr.id,
            group_id=group.id,
            number=number,
            pool_id=pool.id,
            config_kind=AliasConfig.CONFERENCE if offset == 0 else AliasConfig.NONE,
            description="Tranche SDA",
        )
        db.session.add(alias)
    _service(
        fr,
        "+33 1 84 80 00 10 – +33 1 84 80 00 19",
        "number_pool",
        "number_pool",
        pool.id,
        Decimal("5.00"),
        renewal,
        RenewalMode.AUTOMATIC,
        12,
    )
    _invoice_history(fr, today)
    _vary_renewals(fr, renewal, today)
    _cards(fr, today)

    # Belgium: a Dutch-speaking association.
    be = Account(
        code="vt20002-b",
        name="Vzw De Groene Fiets",
        kind=AccountKind.ASSOCIATION,
        country=Country.BE,
        language="nl_BE",
        billing_contact_name="Lotte Peeters",
        billing_email="penning@groenefiets.example",
    )
    db.session.add(be)
    db.session.flush()
    _user("demo-be@example.com", Role.CUSTOMER, "Lotte Peeters", be)
    be_group = TelephonyGroup(account_id=be.id, code="vt20002-b-1", description="Secretariaat")
    db.session.add(be_group)
    db.session.flush()
    for number, offer_code, description in [
        ("+3223001001", "entreprise", "Onthaal"),
        ("+3223001002", "decouverte", "Werkplaats"),
    ]:
        offer = offers[("BE", offer_code)]
        line = Line(
            account_id=be.id,
            group_id=be_group.id,
            number=number,
            kind=LineKind.SIP,
            description=description,
            offer_id=offer.id,
            calls_current=1,
            calls_max=offer.max_calls if offer_code == "entreprise" else 1,
        )
        db.session.add(line)
        db.session.flush()
        _service(
            be,
            f"{number} – {description}",
            "sip_line",
            "line",
            line.id,
            line.monthly_price_excl_vat,
            renewal,
        )
    alias = AliasNumber(
        account_id=be.id,
        group_id=be_group.id,
        number="+3223001100",
        config_kind=AliasConfig.VOICEMAIL,
        description="Infolijn",
    )
    db.session.add(alias)
    db.session.flush()
    _service(
        be,
        "+3223001100",
        "alias_number",
        "alias_number",
        alias.id,
        Decimal("1.00"),
        renewal,
        RenewalMode.MANUAL,
        1,
    )

    # Switzerland: an Italian-speaking individual billed in CHF.
    ch = Account(
        code="vt30003-s",
        name="Lucia Bernasconi",
        kind=AccountKind.INDIVIDUAL,
        country=Country.CH,
        language="it_CH",
        billing_contact_name="Lucia Bernasconi",
        billing_email="lucia@bernasconi.example",
    )
    db.session.add(ch)
    db.session.flush()
    _user("demo-ch@example.com", Role.CUSTOMER, "Lucia Bernasconi", ch)
    ch_group = TelephonyGroup(account_id=ch.id, code="vt30003-s-1", description="Casa")
    db.session.add(ch_group)
    db.session.flush()
    offer = offers[("CH", "entreprise")]
    line = Line(
        account_id=ch.id,
        group_id=ch_group.id,
        number="+41912001001",
        kind=LineKind.SIP,
        description="Studio",
        offer_id=offer.id,
        calls_current=2,
        calls_max=10,
    )
    db.session.add(line)
    db.session.flush()
    _service(
        ch,
        "+41912001001 – Studio",
        "sip_line",
        "line",
        line.id,
        line.monthly_price_excl_vat,  # its extra call included
        renewal,
        RenewalMode.AUTOMATIC,
        3,
    )

    _invoice_history(be, today)
    _invoice_history(ch, today)

    # Service numbers: licences for each demo account, and an inventory to choose from.
    for account, licence_kind, quantity in [
        (fr, LicenceKind.PHONE_SYSTEM, 12),
        (fr, LicenceKind.AUDIO_CONFERENCING, 3),
        (be, LicenceKind.PHONE_SYSTEM, 4),
        (ch, LicenceKind.AUDIO_CONFERENCING, 2),
    ]:
        db.session.add(Licence(account_id=account.id, kind=licence_kind, quantity=quantity))
    demo_inventory()

    _user("agent@example.com", Role.AGENT, "Sam Agent")
    _user("translator@example.com", Role.TRANSLATOR, "Tess Translator")
    db.session.commit()
    return True


def create_scale_account(lines: int) -> str:
    """A large French account for benchmarks: `lines` lines, a fifth as many alias numbers,
    a service for each, inserted in bulk."""
    offers = ensure_catalogue()
    code = new_account_code()
    while db.session.scalar(select(Account.id).where(Account.code == code)):
        code = new_account_code()
    rng = random.Random(code)  # numbers differ between scale accounts
    account = Account(
        code=code,
        name=f"Scale test {lines}",
        kind=AccountKind.COMPANY,
        country=Country.FR,
        language="fr_FR",
        billing_email=f"{code}@example.com",
    )
    db.session.add(account)
    db.session.flush()
    user = User(
        email=f"scale-{code}@example.com", role=Role.CUSTOMER, name="Scale", account=account
    )
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    groups = []
    for index in range(max(1, lines // 500)):
        group = TelephonyGroup(account_id=account.id, code=f"{code}-{index + 1}")
        db.session.add(group)
        groups.append(group)
    db.session.flush()
    base = rng.randrange(80_000_000, 99_999_999 - 2 * lines)  # +339 8xxxxxxx / 9xxxxxxx
    line_rows = []
    for index in range(lines):
        offer = offers[("FR", "entreprise" if index % 3 else "decouverte")]
        line_rows.append(
            dict(
                account_id=account.id,
                group_id=groups[index % len(groups)].id,
                number=f"+339{base + index:08d}",
                kind=LineKind.SIP,
                description=f"Line {index + 1}",
                offer_id=offer.id,
                calls_current=1,
                calls_max=offer.max_calls,
                calls_to_remove=0,
                status="active",
            )
        )
    db.session.execute(insert(Line), line_rows)
    alias_rows = [
        dict(
            account_id=account.id,
            group_id=groups[0].id,
            number=f"+339{base + lines + index:08d}",
            description="",
            config_kind=AliasConfig.REDIRECT,
            status="active",
        )
        for index in range(lines // 5)
    ]
    if alias_rows:
        db.session.execute(insert(AliasNumber), alias_rows)
    renewal = first_of_next_month(date.today())
    line_ids = db.session.scalars(select(Line.id).where(Line.account_id == account.id)).all()
    db.session.execute(
        insert(Service),
        [
            dict(
                account_id=account.id,
                name=f"SIP line {line_id}",
                service_type="sip_line",
                target_type="line",
                target_id=line_id,
                state="active",
                renewal_mode="automatic",
                period_months=rng.choice([1, 3, 6, 12]),
                expires_on=renewal,
                monthly_price_excl_vat=Decimal("9.99"),
            )
            for line_id in line_ids
        ],
    )
    db.session.commit()
    return code
