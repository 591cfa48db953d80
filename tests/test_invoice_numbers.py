"""Invoice numbers: one sequence per issuing company and year, without gaps or repeats,
whatever is issued at the same time and whatever is rolled back."""

from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from telephony.invoicing.numbering import CREDIT_NOTE, next_number, next_numbers, take
from telephony.models import Account, Invoice, InvoiceKind, InvoiceSequence, Service
from telephony.services.run import run_services


def _serial(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_numbers_follow_each_other_per_company_kind_and_year(app_ctx):
    first = next_number("FR", 2031)
    assert first == "FR-2031-000001"
    assert next_numbers("FR", 2031, 3) == ["FR-2031-000002", "FR-2031-000003", "FR-2031-000004"]
    assert next_number("BE", 2031) == "BE-2031-000001"
    assert next_number("FR", 2032) == "FR-2032-000001"
    assert next_number("FR", 2031, CREDIT_NOTE) == "FR-CN-2031-000001"
    assert list(take("FR", 2031, 0)) == []


def test_a_rolled_back_issue_gives_its_number_back(app_ctx):
    assert next_number("CH", 2031) == "CH-2031-000001"
    db.session.commit()
    assert next_number("CH", 2031) == "CH-2031-000002"
    db.session.rollback()  # a refused card, a form sent twice: nothing issued
    assert next_number("CH", 2031) == "CH-2031-000002"


def test_the_demo_invoices_are_numbered_in_the_order_they_were_issued(app_ctx):
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.kind == InvoiceKind.INVOICE).order_by(Invoice.id)
    ).all()
    for country in ("FR", "BE", "CH"):
        mine = [i for i in invoices if i.number.startswith(country + "-")]
        assert mine and all(re.fullmatch(rf"{country}-\d{{4}}-\d{{6}}", i.number) for i in mine)
        assert [i.issued_on for i in mine] == sorted(i.issued_on for i in mine)
        assert [_serial(i.number) for i in mine] == list(range(1, len(mine) + 1))


def test_the_renewal_run_continues_each_sequence(app_ctx):
    """The run issues one invoice per account, each the next of its company's sequence for
    the year of the run (a new year starts again at 1)."""
    day = db.session.scalar(select(func.min(Service.expires_on)))  # the demo's renewal day
    before = dict(
        db.session.execute(
            select(InvoiceSequence.series, InvoiceSequence.last).where(
                InvoiceSequence.year == day.year
            )
        ).all()
    )
    run_services(day)
    made = db.session.scalars(select(Invoice.number).where(Invoice.issued_on == day)).all()
    assert sorted(made) == [
        f"{country}-{day.year}-{before.get(country, 0) + 1:06d}" for country in ("BE", "CH", "FR")
    ]


def test_issued_at_once_in_parallel_no_number_is_given_twice_or_skipped(app):
    """Eight issuers at once, every other one rolled back after taking its number: the
    numbers kept are 1..n, each once."""
    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
    kept, errors = [], []
    start = threading.Barrier(8)

    def issue(index: int) -> None:
        with app.app_context():
            try:
                start.wait()
                for attempt in range(3):
                    number = next_number("FR", 2040)
                    if (index + attempt) % 2:
                        db.session.rollback()
                        continue
                    db.session.add(
                        Invoice(
                            account_id=account_id,
                            number=number,
                            kind=InvoiceKind.INVOICE,
                            currency="EUR",
                            vat_rate=Decimal("0.20"),
                            total_excl_vat=Decimal("1.00"),
                            total_vat=Decimal("0.20"),
                            total_incl_vat=Decimal("1.20"),
                            issued_on=date(2040, 1, 1),
                        )
                    )
                    db.session.commit()
                    kept.append(number)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(_serial(n) for n in kept) == list(range(1, len(kept) + 1))
    assert len(kept) == 12
