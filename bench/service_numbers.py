"""Service numbers: the inventory's search over 1,000,000 numbers, and reserving then
acquiring 100 numbers, in process, on SQLite and then on PostgreSQL (BENCH_DATABASE_URL:
that one only).

Targets (issue 19): search p95 ≤ 50 ms; reserve + acquire 100 numbers ≤ 200 ms.

Run: `python -m bench service-numbers` (also part of `make bench`).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

TOTAL = 1_000_000


def _fill(total: int) -> None:
    """`total` numbers spread over the demo's cities and national and toll-free prefixes,
    consecutive in each (as operators hold them: blocks)."""
    from extensions import db
    from telephony.models import InventoryState, NumberArea, NumberType, ServiceNumber
    from telephony.service_numbers.inventory import CALLING_CODES, DEMO_PREFIXES, NATIONAL_LENGTH

    db.session.execute(ServiceNumber.__table__.delete())
    blocks = [
        (area.country.value, area.area_code, NumberType.GEOGRAPHIC, area.id)
        for area in db.session.scalars(select(NumberArea))
    ]
    blocks += [
        (country, prefix, kind, None)
        for (country, kind), prefixes in DEMO_PREFIXES.items()
        for prefix in prefixes
    ]
    each = total // len(blocks)
    for country, prefix, kind, area_id in blocks:
        width = NATIONAL_LENGTH[country] - len(prefix)
        rows = [
            {
                "number": f"+{CALLING_CODES[country]}{prefix}{n:0{width}d}",
                "country": country,
                "number_type": kind,
                "area_id": area_id,
                "state": InventoryState.AVAILABLE,
                "ported": False,
            }
            for n in range(each)
        ]
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(ServiceNumber), rows[start : start + 20_000])
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()


def _searches():
    from extensions import db
    from telephony.models import NumberArea, NumberType
    from telephony.service_numbers.inventory import Search

    areas = list(db.session.scalars(select(NumberArea)))
    rng = random.Random(5)
    searches = []
    for _ in range(300):
        area = rng.choice(areas)
        country = area.country.value
        kind = rng.random()
        digits = f"{rng.randrange(100):02d}"
        if kind < 0.3:
            searches.append(Search(country, NumberType.GEOGRAPHIC, (area.id,)))
        elif kind < 0.5:
            searches.append(
                Search(country, NumberType.GEOGRAPHIC, (area.id,), contains=digits + "7")
            )
        elif kind < 0.65:
            searches.append(
                Search(
                    country, NumberType.GEOGRAPHIC, (area.id,), starts_with=area.area_code + digits
                )
            )
        elif kind < 0.8:
            region = [a.id for a in areas if a.region == area.region and a.country == area.country]
            searches.append(Search(country, NumberType.GEOGRAPHIC, tuple(region)))
        else:
            searches.append(Search(country, NumberType.NATIONAL, contains=digits))
    return searches


def _measure(url: str) -> None:
    from app import create_app
    from extensions import db
    from telephony.demo import create_demo
    from telephony.models import (
        Account,
        Licence,
        NumberArea,
        NumberType,
        ServiceNumber,
        User,
        utcnow,
    )
    from telephony.service_numbers import inventory, reservations
    from telephony.service_numbers.inventory import Search

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        start = time.perf_counter()
        _fill(TOTAL)
        count = db.session.scalar(select(db.func.count(ServiceNumber.id)))
        took = time.perf_counter() - start
        print(f"{label}: {count:,} numbers in the inventory ({took:.0f} s to load)")
        now = utcnow()
        searches = _searches()
        for search in searches[:20]:
            inventory.find_free(search, 10, now)
        samples = []
        for search in searches:
            begin = time.perf_counter()
            inventory.find_free(search, 10, now)
            samples.append((time.perf_counter() - begin) * 1000)
        samples.sort()
        p95 = samples[int(len(samples) * 0.95)]
        print(
            f"{label}: search, 10 free numbers, {len(samples)} searches: "
            f"p50 {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms (target ≤ 50 ms)"
        )
        # The worst case: digits no number of a whole country's national numbers holds
        # (every entry of the index range is read).
        worst = Search("FR", NumberType.NATIONAL, contains="99999999")
        begin = time.perf_counter()
        assert not inventory.find_free(worst, 10, now)
        print(
            f"{label}: search that matches nothing, every FR national number read: "
            f"{(time.perf_counter() - begin) * 1000:.1f} ms"
        )
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
        db.session.execute(
            Licence.__table__.update().where(Licence.account_id == account.id).values(quantity=5000)
        )
        db.session.commit()
        paris_id = db.session.scalar(select(NumberArea.id).where(NumberArea.city == "Paris"))
        paris = Search("FR", NumberType.GEOGRAPHIC, (paris_id,))
        timings = []
        for _ in range(5):
            begin = time.perf_counter()
            reservation, held = reservations.reserve(account, paris, 100, actor=user)
            ids = [str(n.id) for n in reservations.held_numbers(reservation)]
            reservations.acquire(account, reservation, ids, actor=user)
            db.session.commit()
            timings.append((time.perf_counter() - begin) * 1000)
            assert held == 100
            # Give them back for the next round (the quota counts them).
            db.session.execute(
                db.text(
                    "UPDATE service_number SET state = 'available', account_id = NULL "
                    "WHERE account_id = :a"
                ),
                {"a": account.id},
            )
            db.session.commit()
        print(
            f"{label}: reserve + acquire 100 numbers: median {statistics.median(timings):.0f} ms "
            f"(target ≤ 200 ms)"
        )
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    from bench.service_run import _postgres_url

    if os.environ.get("BENCH_DATABASE_URL"):
        urls = [os.environ["BENCH_DATABASE_URL"]]
    else:
        urls = [f"sqlite:///{Path(tempfile.mkdtemp()) / 'numbers.sqlite'}", _postgres_url()]
    for url in urls:
        if url:
            _measure(url)
