"""The renewal run for services on 100,000 due services (1,000 accounts of 100 each, half of
them paying by card, half left to pay), on SQLite and, when it answers, PostgreSQL.

Target (issue 17): the run takes at most 60 s on PostgreSQL. `python -m bench services`;
BENCH_PG_URL names the PostgreSQL server (default: the local one, database "bench", created
when missing)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from app import create_app
from extensions import db

ACCOUNTS = 1000
PER_ACCOUNT = 100
DAY = date(2030, 1, 1)


def _postgres_url() -> str | None:
    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = url.rsplit("/", 1)[1]
            if not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - no server: SQLite only
        print(f"service run: PostgreSQL not measured ({error.__class__.__name__})")
        return None
    return url


def _fill() -> None:
    from telephony.models import (
        Account,
        AccountKind,
        Country,
        PaymentMethod,
        RenewalMode,
        Service,
        ServiceState,
        StoredPaymentMethod,
    )

    accounts = [
        {
            "code": f"bench-{index:05d}",
            "name": f"Bench account {index}",
            "kind": AccountKind.COMPANY,
            "country": Country.FR,
            "language": "fr_FR",
            "billing_contact_name": "Bench",
            "billing_email": f"bench{index}@example.com",
        }
        for index in range(ACCOUNTS)
    ]
    ids = db.session.scalars(insert(Account).returning(Account.id), accounts).all()
    db.session.execute(
        insert(StoredPaymentMethod),
        [
            {
                "account_id": account_id,
                "kind": PaymentMethod.CARD,
                "fingerprint": f"bench-{account_id}",
                "token": f"tok_sbx_bench{account_id}_4242",
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": DAY.year + 3,
                "is_default": True,
            }
            for account_id in ids[::2]
        ],
    )
    services = [
        {
            "account_id": account_id,
            "name": f"+3397{account_id:04d}{index:04d}",
            "service_type": "alias_number",
            "state": ServiceState.ACTIVE,
            "renewal_mode": RenewalMode.AUTOMATIC,
            "period_months": 1,
            "expires_on": DAY,
            "monthly_price_excl_vat": Decimal("1.00"),
        }
        for account_id in ids
        for index in range(PER_ACCOUNT)
    ]
    for start in range(0, len(services), 10_000):
        db.session.execute(insert(Service), services[start : start + 10_000])
    db.session.commit()


def measure(url: str, label: str) -> None:
    from telephony.services.run import run_services

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        _fill()
        start = time.perf_counter()
        report = run_services(DAY)
        elapsed = time.perf_counter() - start
        again = run_services(DAY)
        print(
            f"service run, {label}: {report.renewed:,} services renewed on "
            f"{report.invoices:,} invoices ({report.collected} collected, {report.to_pay} to "
            f"pay) in {elapsed:.1f} s ({report.renewed / elapsed:,.0f} services/s; target "
            f"<= 60 s on PostgreSQL); a second run: {again.renewed} renewed"
        )
        db.session.remove()
        db.drop_all()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    measure(f"sqlite:///{tmp / 'services.sqlite'}", "SQLite")
    url = _postgres_url()
    if url:
        measure(url, "PostgreSQL")


if __name__ == "__main__":
    main()
