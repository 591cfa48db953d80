"""My services: the table of every service and how it renews (seed 004), filtered, sorted,
searched and paged in SQL."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from extensions import db
from telephony import lifecycle
from telephony.models import Line, RenewalMode, Service, User
from telephony.services.listing import Filters, list_services
from tests.factories import demo_account

TODAY = date(2026, 12, 2)


def _names(page) -> list[str]:
    return [row.service.name for row in page.items]


def _statuses(page) -> dict[str, str]:
    return {row.service.name: row.renewal for row in page.items}


def test_each_service_says_how_it_renews_and_when(app_ctx):
    page = list_services(demo_account(), Filters(), 1, 100, TODAY)
    statuses = _statuses(page)
    assert statuses["+33972100001 – Accueil"] == "automatic"
    assert statuses["+33972100102"] == "manual"  # yearly, by hand
    assert statuses["+33972100101"] == "invoice_to_pay"
    fax = next(row for row in page.items if row.service.service_type == "fax_line")
    assert fax.renewal == "manual" and fax.effect_on == fax.service.expires_on
    due = next(row for row in page.items if row.renewal == "invoice_to_pay")
    assert due.effect_on is None  # immediately
    assert page.items[0] is due  # by date of effect: what is due now comes first


def test_a_termination_requested_on_the_line_page_shows_here_with_its_date(app_ctx):
    account = demo_account()
    line = db.session.get(Line, 4)
    user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
    task = lifecycle.request_termination(account, line, "moving", None, actor=user)
    db.session.commit()
    page = list_services(account, Filters(renewal="termination_requested"), 1, 100, TODAY)
    assert [row.service.target_id for row in page.items] == [line.id]
    assert page.items[0].effect_on == task.execute_on


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(type="alias_number"), {"+33972100100", "+33972100101", "+33972100102"}),
        (Filters(renewal="manual", type="alias_number"), {"+33972100102"}),
        (Filters(q="accueil"), {"+33972100001 – Accueil"}),  # any case
        (Filters(q="09 72 10 00 01"), {"+33972100001 – Accueil"}),  # a number as people type it
        (Filters(q="+33 1 84 80 00 10"), {"+33 1 84 80 00 10 – +33 1 84 80 00 19"}),
        (Filters(q="100%_"), set()),  # LIKE's signs are only characters
    ],
)
def test_filters_and_search(app_ctx, filters, expected):
    assert set(_names(list_services(demo_account(), filters, 1, 100, TODAY))) == expected


def test_expiry_filters(app_ctx):
    account = demo_account()
    everything = list_services(account, Filters(), 1, 100, TODAY)
    # Every monthly service expires on 1 January: within a month, not within a week.
    month = set(_names(list_services(account, Filters(expiry="month"), 1, 100, TODAY)))
    week = set(_names(list_services(account, Filters(expiry="week"), 1, 100, TODAY)))
    assert "+33972100001 – Accueil" in month and "+33972100102" not in month and not week
    renewed = set(_names(list_services(account, Filters(expiry="renewed_month"), 1, 100, TODAY)))
    assert renewed and renewed < set(_names(everything))
    assert "+33972100102" not in renewed  # renewed seven months ago


@pytest.mark.parametrize("sort", ["name", "type", "state", "renewal", "frequency", "effect"])
def test_every_column_sorts_both_ways(app_ctx, sort):
    account = demo_account()
    up = _names(list_services(account, Filters(sort=sort), 1, 100, TODAY))
    down = _names(list_services(account, Filters(sort=sort, desc=True), 1, 100, TODAY))
    assert sorted(up) == sorted(down) and len(up) > 10
    assert up == list(reversed(down))  # ties broken the same way, both ways
    if sort == "name":
        assert up == sorted(up)


def test_odd_query_strings_fall_back_to_the_defaults():
    filters = Filters.from_args(
        {"type": "'; drop", "state": "x" * 10_000, "sort": "id", "dir": "up", "q": "a\x00b\r\n"}
    )
    assert filters == Filters(q="ab")
    assert Filters.from_args({"q": "9" * 10_000}).q == "9" * 100


def test_paging_costs_the_same_queries_on_the_first_and_the_last_page(app, count_queries):
    with app.app_context():
        account = demo_account()
        db.session.execute(
            insert(Service),
            [
                dict(
                    account_id=account.id,
                    name=f"Extra {n:04d}",
                    service_type="alias_number",
                    renewal_mode=RenewalMode.AUTOMATIC,
                    period_months=1,
                    expires_on=date(2027, 1, 1),
                    monthly_price_excl_vat=Decimal("1.00"),
                )
                for n in range(300)
            ],
        )
        db.session.commit()
    client = app.test_client()
    from tests.conftest import Auth

    Auth(client).login()
    client.get("/services/")
    counts = []
    for page in (1, 7):
        with count_queries() as counter:
            response = client.get(f"/services/?page={page}&sort=name")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_the_page_without_javascript_and_the_table_alone_for_htmx(signed_in):
    client = signed_in("fr")
    page = client.get("/services/?lang=en&renewal=manual&sort=name&dir=desc")
    html = page.text
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert "My services" in html and "Manual renewal" in html
    assert 'aria-sort="descending"' in html
    # Numbers as people read them, never cut in two at the end of a line.
    assert "+33\u00a09\u00a072\u00a010\u00a001\u00a002" in html
    assert "Automatic renewal ×" not in html and "Remove all filters" in html  # one chip
    assert "+33 9 72 10 00 01 – Accueil" not in html  # filtered out
    block = client.get(
        "/services/?renewal=manual", headers={"HX-Request": "true", "HX-Target": "services-table"}
    ).text
    assert block.lstrip().startswith("<span hx-swap-oob") and "<html" not in block
    assert 'id="services-table"' in block


def test_the_menu_offers_my_services_and_agents_see_them_for_the_customer(signed_in, client):
    html = signed_in("fr").get("/lines/?lang=en").text
    assert 'href="/services/"' in html and "My services" in html


def test_another_account_sees_only_its_own(signed_in):
    html = signed_in("be").get("/services/?lang=en").text
    assert "+3223001100" not in html or "+32 2 300 11 00" in html
    assert "Accueil" not in html and "+33 9 72" not in html


@pytest.mark.parametrize(
    "query", ["?page=99999999999", "?q=%0d%0aa", "?sort=name&dir=desc&page=-1", "?type=x" * 50]
)
def test_no_query_string_breaks_the_page(signed_in, query):
    client = signed_in("fr")
    assert client.get("/services/" + query).status_code == 200
    # A NUL byte is refused before any view (security.py), never a 500.
    assert client.get("/services/?q=%00").status_code == 400


def _csv(client, query=""):

    response = client.get("/services/export.csv" + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    return response, response.get_data(as_text=True)


def test_the_csv_export_reads_back_in_the_locales_dialect(signed_in, app):
    import csv
    import io

    client = signed_in("fr")
    client.get("/services/?lang=fr_FR")
    response, text = _csv(client, "?renewal=manual&sort=name")
    assert text.startswith("\ufeff") and "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:4] == ["Nom", "Type", "État", "Renouvellement"]
    assert len(table) == 3  # the header and the two manual services
    fax = next(row for row in table if "Fax" in row[0])
    assert fax[0] == "'+33 9 72 10 00 20 – Fax commandes"  # a leading + neutralised
    assert fax[6] == "2027-01-01" and fax[5] == "01/01/2027"  # the locale's and ISO
    assert fax[9] == "4,99" and fax[10] == "4.99" and fax[11] == "EUR"


def test_the_english_export_uses_commas_and_no_bom(signed_in):
    import csv
    import io

    client = signed_in("fr")
    client.get("/services/?lang=en")
    _response, text = _csv(client)
    assert not text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "Name" and len(table) > 10


@pytest.mark.parametrize("path", ["/services/export.csv", "/billing/invoices/export.csv"])
@pytest.mark.parametrize("who", ["customer, record due for its refresh", "agent acting"])
def test_the_exports_stream_whole_after_the_view_has_returned(app, client, signed_in, who, path):
    """The lines go out after the view has returned and its database session is gone: they
    used the user and the account it had loaded. An agent acting (whose language reads the
    user's account) and a customer whose session record was refreshed on the way out (a
    rollback first: they were expired) got a 500, or in production a cut-off file."""
    import csv
    import io
    from datetime import timedelta

    from server_sessions import REFRESH_EVERY
    from telephony.models import WebSession
    from tests.factories import act_for_fr

    if who == "agent acting":
        act_for_fr(client, signed_in)
    else:
        client = signed_in("fr")
        assert client.get(path).status_code == 200
        with app.app_context():  # the record is now due for its refresh
            for record in db.session.scalars(select(WebSession)):
                record.expires_at -= timedelta(seconds=REFRESH_EVERY + 1)
            db.session.commit()
    response = client.get(path)
    assert response.status_code == 200 and response.is_streamed
    text = response.get_data(as_text=True)
    separator = ";" if text.startswith("\ufeff") else ","
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=separator))
    assert len(table) > 2 and all(len(row) == len(table[0]) for row in table)


def test_exported_cells_that_look_like_formulas_are_neutralised():
    from blueprints.services.export import neutralise

    for value in ("=1+1", "+33", "-2+3", "-A1", "-1e3", "-2)", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    assert neutralise("Accueil") == "Accueil" and neutralise(None) == ""
    # A negative amount (a credit note's) stays a number, as each locale writes it.
    for value in ("-14.40", "-1,234.50", "-1\u202f234,50", "-1’234.50", "-2"):
        assert neutralise(value) == value


def test_a_number_range_row_leads_to_its_numbers_page_and_terminates_there(signed_in):
    page = signed_in("fr").get("/services/?lang=en&type=number_pool").text
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    first = re.search(r'href="/lines/numbers/(\d+)"', row).group(1)
    assert f'href="/lines/numbers/{first}/terminate"' in row and ">Terminate<" in row


def test_every_sortable_column_has_its_label_and_the_filters_sort_without_the_headers(signed_in):
    """On a phone the table's headers are hidden: the filters' "Sort by" sorts too."""
    from labels import SERVICE_SORTS
    from telephony.services import listing

    assert tuple(SERVICE_SORTS) == listing.SORTS
    client = signed_in("fr")
    page = client.get("/services/?sort=name&dir=desc&lang=en").text
    assert '<option value="name" selected>Name</option>' in page
    assert '<option value="desc" selected>Descending</option>' in page
    # A header's sort link (htmx, the table alone): the filters' fields follow, out of band.
    table = client.get(
        "/services/?sort=type&lang=en",
        headers={"HX-Request": "true", "HX-Target": "services-table"},
    ).text
    assert '<div id="services-sort-field" hx-swap-oob="true">' in table
    assert '<option value="type" selected>Type</option>' in table
    # The live region says the new order, not only the count (which a sort leaves as is).
    assert re.search(r"#announcer\">\d+ services, sorted by Type, ascending</span>", table)


def _without_tokens(page):
    return re.sub(r'(csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", page)


def test_the_table_shows_a_change_made_by_any_writer(signed_in, app, count_queries):
    """The table is kept while the account's data version stays the same; the database
    raises it whatever changes a service or an invoice (here plain SQL, as the renewal run
    on another machine would)."""
    client = signed_in("fr")
    with count_queries() as made:
        first = client.get("/services/?lang=en&q=Accueil").text
    assert "Every 3 months" not in first
    with count_queries() as kept:
        again = client.get("/services/?lang=en&q=Accueil").text
    # Kept: fewer queries, the same page but for the CSRF tokens, which carry the second
    # they were signed in (two requests may straddle a second).
    assert kept.count < made.count
    assert _without_tokens(again) == _without_tokens(first)
    with app.app_context():
        db.session.execute(
            update(Service)
            .where(Service.account_id == demo_account().id, Service.name.contains("Accueil"))
            .values(period_months=3)
        )
        db.session.commit()
    assert "Every 3 months" in client.get("/services/?lang=en&q=Accueil").text
