"""Foundation benchmarks on fresh databases: SQLite in a temporary folder, then PostgreSQL
when one answers (BENCH_PG_URL, default the local "bench" database); BENCH_DATABASE_URL
runs them on that database only.

* the "Lines and numbers" page of a 5,000-line account: median time and SQL queries, on the
  first page and on a deep page (paging is done in SQL, so both should match);
* My services of that account grown to 10,000 services: the same two figures; grown to
  100,000, the streamed CSV export of every service (time, peak Python memory);
* the renewal run: 1,000 due tasks carried out, one transaction each;
* the validation procedure PDF against a bare one-page ReportLab document with the same
  embedded font (target: median at most 2x).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, select

from app import create_app
from bench import analyze, median_ms
from extensions import db


def databases(file_name: str) -> list[str]:
    """Where a benchmark runs: SQLite in a temporary folder, then PostgreSQL when one
    answers (BENCH_PG_URL); BENCH_DATABASE_URL: that database only."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return [os.environ["BENCH_DATABASE_URL"]]
    from bench.service_run import _postgres_url

    sqlite = f"sqlite:///{Path(tempfile.mkdtemp()) / file_name}"
    return [url for url in (sqlite, _postgres_url()) if url]


def label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def main() -> None:
    """The foundation figures, on each database."""
    for url in databases("bench.sqlite"):
        foundation(url)


def foundation(url: str) -> None:
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    from telephony.demo import create_demo, create_scale_account
    from telephony.models import Account, Line, User

    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        code = create_scale_account(5000)
        analyze()
        email = db.session.scalar(
            select(User.email)
            .join(Account, Account.id == User.account_id)
            .where(Account.code == code)
        )
    print(f"database: {label(url)}")

    client = app.test_client()
    from tests.conftest import Auth

    assert Auth(client).login(email).status_code == 303
    queries = {"n": 0}

    def count(*_args, **_kwargs):
        queries["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    _page_figures(
        client,
        queries,
        "lines page, 5,000-line account",
        [("page 1", "/lines/"), ("page 100", "/lines/?page=100")],
    )
    bench_services(client, queries)
    # Offer change on 1,000 lines in one request (the "Apply to several lines" form).
    from telephony import offers

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == code))
        chosen = [
            line.id for line in offers.lines_for_choice(account) if line.offer.code == "decouverte"
        ][:1000]
        entreprise = next(o.id for o in offers.catalogue(account) if o.code == "entreprise")
    page = client.get(f"/lines/offer?offer={entreprise}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    queries["n"] = 0
    start = time.perf_counter()
    response = client.post(
        "/lines/offer", data={"offer": entreprise, "lines": chosen, "csrf_token": token}
    )
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 303, response.status_code
    print(
        f"offer change on {len(chosen)} lines in one request: {elapsed:.0f} ms, "
        f"{queries['n']} SQL queries"
    )
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        from telephony.models import ScheduledTask

        db.session.query(ScheduledTask).delete()
        db.session.commit()

    from telephony.billing import run_renewal, schedule, task_action

    @task_action("bench.touch")
    def touch(task, day):
        db.session.get(Line, task.target_id).description = "renewed"

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == code))
        line_ids = db.session.scalars(
            select(Line.id).where(Line.account_id == account.id).limit(1000)
        ).all()
        for line_id in line_ids:
            schedule(
                account=account,
                action="bench.touch",
                target_type="line",
                target_id=line_id,
                execute_on=date(2030, 1, 1),
                actor=None,
            )
        db.session.commit()
        start = time.perf_counter()
        report = run_renewal(date(2030, 1, 1))
        elapsed = time.perf_counter() - start
        print(
            f"renewal run: {len(report.done)} tasks in {elapsed:.2f} s "
            f"({len(report.done) / elapsed:.0f} tasks/s), {len(report.errors)} errors"
        )
        bench_procedure_pdf(app)
        db.session.remove()
        db.drop_all()


def _page_figures(client, queries: dict, title: str, paths) -> None:
    """Each (label, path): made afresh (its lists not kept: median time and SQL queries, the
    same on a deep page as on the first), then as the next request finds it (the lists
    kept by the process while the account's data is the same: caching.account_fragment)."""
    from caching import forget_kept

    for label, path in paths:
        client.get(path)

        def fresh(p=path):
            forget_kept(client.application)
            return client.get(p)

        forget_kept(client.application)
        queries["n"] = 0
        assert client.get(path).status_code == 200
        made = queries["n"]
        queries["n"] = 0
        client.get(path)
        again = queries["n"]
        fresh_ms = median_ms(fresh, 30)
        kept_ms = median_ms(lambda p=path: client.get(p), 30)
        print(
            f"{title}, {label}: made {fresh_ms:.1f} ms, {made} SQL queries; "
            f"kept {kept_ms:.1f} ms, {again} SQL queries"
        )


def _grow_services(client, total: int) -> None:
    """Add alias-number services to the benchmark's account until it has `total`."""
    from decimal import Decimal

    from sqlalchemy import func, insert

    from telephony.models import RenewalMode, Service, User

    with client.application.app_context():
        account_id = db.session.scalar(
            select(User.account_id).where(User.email.like("scale-%")).limit(1)
        )
        have = db.session.scalar(
            select(func.count(Service.id)).where(Service.account_id == account_id)
        )
        rows = [
            {
                "account_id": account_id,
                "name": f"+33975{index:06d}",
                "service_type": "alias_number",
                "renewal_mode": RenewalMode.MANUAL if index % 3 else RenewalMode.AUTOMATIC,
                "period_months": 1,
                "expires_on": date(2030, 1, 1 + index % 28),
                "monthly_price_excl_vat": Decimal("1.00"),
            }
            for index in range(have, total)
        ]
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(Service), rows[start : start + 10_000])
        db.session.commit()
        analyze()


def bench_services(client, queries: dict) -> None:
    """My services of a 10,000-service account: the table (first and deep page: the same
    SQL queries); then, grown to 100,000 services, the CSV export of every one, streamed
    (time, peak Python memory; target <= 30 MB)."""
    import tracemalloc

    _grow_services(client, 10_000)
    _page_figures(
        client,
        queries,
        "My services, 10,000-service account",
        [("page 1", "/services/"), ("page 100, sorted by name", "/services/?page=100&sort=name")],
    )
    _grow_services(client, 100_000)
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get("/services/export.csv")
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"My services CSV export: {lines - 1:,} services, {size / 1e6:.1f} MB in {elapsed:.2f} s, "
        f"peak Python memory {peak / 1e6:.1f} MB (target <= 30 MB)"
    )


def phone_search() -> None:
    """The agent console's caller search by phone number among 100,000+ numbers, on each
    database."""
    for url in databases("phones.sqlite"):
        _phone_search(url)


def _phone_search(url: str) -> None:
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    import random

    from telephony import directory
    from telephony.demo import create_demo, create_scale_account
    from telephony.models import AliasNumber, Line

    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        create_scale_account(84_000)  # 84,000 lines and 16,800 alias numbers
        db.session.commit()
        analyze()
        numbers = db.session.scalars(select(Line.number)).all()
        numbers += db.session.scalars(select(AliasNumber.number)).all()
        rng = random.Random(7)
        typed = [
            rng.choice(
                [
                    "0" + n[3:],  # national: 0972100003
                    "00" + n[1:],  # international prefix: 0033972100003
                    f"{n[:3]} {n[3]} {n[4:6]} {n[6:8]} {n[8:10]} {n[10:]}",  # +33 9 72 10 00 03
                    ".".join(("0" + n[3:])[i : i + 2] for i in range(0, 10, 2)),
                ]
            )
            for n in rng.sample(numbers, 300)
        ]
        for query in typed[:20]:  # warm up
            directory.search_accounts(query, 1, 50)
        samples = []
        for query in typed:
            start = time.perf_counter()
            page = directory.search_accounts(query, 1, 50)
            samples.append((time.perf_counter() - start) * 1000)
            assert page.total == 1, (query, page.total)
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(
            f"caller search by phone among {len(numbers):,} numbers, {label(url)}: "
            f"median {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms"
        )
        db.session.remove()
        db.drop_all()


def bench_procedure_pdf(app, runs: int = 60) -> None:
    """Median time of the procedure PDF and of a bare one-page document, same run, same font."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from documents.fonts import register_fonts
    from documents.mandate import procedure_pdf
    from telephony import procedure as procedures
    from telephony.models import Account

    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    procedure = procedures.submit(
        account,
        {
            "holder_name": "Łukasz Źródło",
            "holder_street": "3 place Bellecour",
            "holder_postcode": "69002",
            "holder_city": "Lyon",
            "holder_country": "FR",
            "iban": "FR1420041010050500013M02606",
            "bic": "",
            "currency": "EUR",
            "customer_kind": "company",
            "organisation_id": "732829320",
            "document_locale": "fr_FR",
        },
        actor=None,
    )
    db.session.commit()
    font = register_fonts()
    style = ParagraphStyle("bare", fontName=font, fontSize=10)

    def bare() -> bytes:
        buffer = BytesIO()
        SimpleDocTemplate(buffer, pagesize=A4).build([Paragraph("Łukasz Źródło", style)])
        return buffer.getvalue()

    operator = app.config["OPERATOR"]
    bare()
    procedure_pdf(procedure, account, operator=operator)  # warm-up: fonts, catalogues
    # One after the other, run after run, so that a slower moment of the machine weighs on
    # both alike.
    bare_samples, pdf_samples = [], []
    for _ in range(runs):
        bare_samples.append(median_ms(bare, 1))
        pdf_samples.append(
            median_ms(lambda: procedure_pdf(procedure, account, operator=operator), 1)
        )
    bare_ms, pdf_ms = statistics.median(bare_samples), statistics.median(pdf_samples)
    print(
        f"procedure PDF: median {pdf_ms:.1f} ms; bare one-page document, same font: "
        f"{bare_ms:.1f} ms; ratio {pdf_ms / bare_ms:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    import sys

    # `python -m bench` runs everything; `python -m bench foundation` only the figures above
    # (lines, My services, offer change, renewal, procedure PDF, caller search); `python -m
    # bench faq` only the FAQ search,
    # `python -m bench services` only the renewal run for services (SQLite and PostgreSQL);
    # `python -m bench http [word...]` the pages through HTTP (those whose name has a word).
    only = sys.argv[1:]
    if not only or only == ["foundation"]:
        main()
        phone_search()
    if not only or only == ["faq"]:
        from bench import faq

        faq.main()
    if not only or only == ["services"]:
        from bench import service_run

        service_run.main()
    if only[:1] == ["http"]:  # (not part of `make bench`: `make bench-http`)
        from bench import http

        http.main(only[1:])  # `python -m bench http lines`: the pages whose name says "lines"
    if not only or only == ["service-numbers"]:
        from bench import service_numbers

        service_numbers.main()
    if not only or only == ["renewal"]:
        from bench import renewal

        renewal.main()
    if not only or only == ["invoices"]:
        from bench import invoicing

        invoicing.main()
    if not only or only == ["translations"]:
        from bench import translations

        translations.main()
