"""Command-line actions under `flask`: renew, demo, translate, mail, users, billing,
service-numbers."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext


def register_commands(app) -> None:
    app.cli.add_command(renew)
    app.cli.add_command(demo)
    app.cli.add_command(translate)
    app.cli.add_command(mail)
    app.cli.add_command(sms)
    app.cli.add_command(users)
    app.cli.add_command(billing)
    app.cli.add_command(service_numbers)


@click.command()
@with_appcontext
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Run as of this day (default: today).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes sharing the due tasks (PostgreSQL; SQLite runs one).",
)
def renew(day, workers):
    """Carry out every scheduled task due on or before the day, each exactly once; then
    renew, collect, suspend, delete and remind the services (telephony.services.run).
    Several runs at once (here with --workers, or on several machines) share the tasks."""
    from telephony.billing import run_renewal
    from telephony.payments import configured_provider
    from telephony.services.run import run_services

    run_day = day.date() if day else date.today()
    from extensions import db

    if workers > 1 and db.engine.dialect.name != "postgresql":
        click.echo("SQLite has one writer: the tasks run in one process.")
        workers = 1
    report = run_renewal(run_day, workers=workers)
    click.echo(
        f"renewal {run_day.isoformat()}: {len(report.done)} done, "
        f"{len(report.errors)} error(s), {len(report.skipped)} skipped, "
        f"{len(report.waiting)} waiting"
    )
    for task_id, message in report.waiting:
        click.echo(f"  task {task_id} waits: {message}")
    for task_id, message in report.errors:
        click.echo(f"  task {task_id}: {message}", err=True)
    provider = configured_provider()
    services = run_services(run_day, provider=provider)
    click.echo(services.summary())
    from telephony.invoicing.collection import collect

    click.echo(collect(run_day).summary())
    from documents.invoice import invoice_pdf
    from telephony.invoicing.einvoice import deliver

    delivered = deliver(invoice_pdf, run_day)
    click.echo(
        f"e-invoices: {len(delivered.sent)} handed over, {len(delivered.waiting)} waiting for "
        "the customer's details"
    )
    click.echo(_tidy_service_numbers(run_day))
    from telephony import versioning

    with db.engine.begin() as connection:  # PostgreSQL: each account's changes as one row
        versioning.prune(connection)
    sys.exit(1 if report.errors else 0)


def _tidy_service_numbers(day: date) -> str:
    """Close the holds that ran out; numbers out of quarantine go back to the inventory."""
    from extensions import db
    from telephony.service_numbers.destinations import end_quarantines
    from telephony.service_numbers.reservations import expire

    freed, back = expire(), end_quarantines(day)
    db.session.commit()
    return f"service numbers: {freed} holds ended, {back} out of quarantine"


@click.group(cls=AppGroup)
def billing():
    """Direct-debit collection and the bank's returns."""


@billing.command("collect")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Collect as of this day (default: today).",
)
def collect_command(day):
    """Make the SEPA direct-debit files (pain.008) of the invoices due, each invoice in one
    file only, and write them to COLLECTION_DIR."""
    from telephony.invoicing.collection import collect, collection_dir

    report = collect(day.date() if day else date.today())
    click.echo(report.summary())
    for message_id in report.files:
        click.echo(f"  {collection_dir() / (message_id + '.xml')}")


@billing.command("archives")
@click.option("--limit", default=20, show_default=True, help="Archives to build at most.")
def archives_command(limit):
    """Build the ZIPs of invoices customers asked for (run it every minute or so)."""
    from documents.invoice import invoice_pdf
    from telephony.invoicing.archives import build_queued

    built, failed = build_queued(invoice_pdf, limit=limit)
    click.echo(f"archives: {built} built, {failed} failed")


@billing.command("returns")
@click.argument("report_file", type=click.File("rb"))
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
def returns_command(report_file, day):
    """Read the bank's status report (pain.002): each returned debit puts its invoice back
    to pay and tells the customer (once, however often the file is read)."""
    from lxml.etree import XMLSyntaxError

    from telephony.invoicing.collection import record_returns

    try:
        report = record_returns(report_file.read(), day.date() if day else date.today())
    except XMLSyntaxError as error:
        raise click.ClickException(f"not a readable XML status report: {error}") from None
    click.echo(
        f"returns: {len(report.returned)} put back to pay, {len(report.already)} already "
        f"recorded, {len(report.unknown)} unknown"
    )
    for end_to_end_id in report.unknown:
        click.echo(f"  unknown debit {end_to_end_id}", err=True)


@click.command()
@with_appcontext
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=None,
    help="Also create a large account with this many lines (benchmarks).",
)
def demo(scale):
    """Create the demo operator's users and data (embedded demo only)."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException("Demo data is never created in production.")
    from telephony import demo as demo_data

    created = demo_data.create_demo()
    click.echo("demo data created" if created else "demo data already present")
    if scale:
        code = demo_data.create_scale_account(scale)
        click.echo(f"scale account {code} created with {scale} lines")


@click.group(cls=AppGroup)
def translate():
    """Translator workflow: extract, update, compile, check, stats."""


@translate.command()
def extract():
    """Collect the translatable messages into translations/messages.pot."""
    from i18n_tools import POT
    from i18n_tools import extract as do_extract

    do_extract()
    click.echo(f"wrote {POT}")


@translate.command()
def update():
    """Extract, then merge the new messages into every catalogue."""
    from i18n_tools import extract as do_extract
    from i18n_tools import update as do_update

    do_extract()
    for line in do_update():
        click.echo(line)


@translate.command(name="compile")
def compile_():
    """Compile the .po catalogues to .mo (done at setup; .mo files are never committed)."""
    from i18n_tools import compile_all

    click.echo("compiled: " + ", ".join(compile_all()))


@translate.command()
@click.option("--lenient", is_flag=True, help="Do not report untranslated messages.")
def check(lenient):
    """Placeholders and tags consistent, nothing fuzzy, .pot fresh, everything translated."""
    from i18n_tools import check as do_check

    result = do_check(strict=not lenient)
    for problem in result.problems:
        click.echo(problem)
    if not result.ok:
        raise click.ClickException(f"{len(result.problems)} problem(s)")
    click.echo("translations OK")


@translate.command()
@click.option("--missing", is_flag=True, help="List the untranslated messages too.")
def stats(missing):
    """Completeness per locale (regional locales count what their base language has)."""
    from i18n_tools import stats as do_stats

    for row in do_stats():
        click.echo(
            f"{row.locale:6} {row.translated:5}/{row.total:<5} {row.ratio:6.1%}"
            f"  ({row.own} regional)"
        )
        if missing:
            for msgid in row.missing:
                click.echo(f"         - {msgid}")
    from telephony.faq.content import completeness

    click.echo("FAQ questions written in the locale (or its base language):")
    for locale, (written, total) in completeness().items():
        click.echo(f"{locale:6} {written:5}/{total:<5}")


@click.group(cls=AppGroup)
def mail():
    """Service e-mail queue."""


@mail.command()
@click.option("--limit", default=100, show_default=True)
def send(limit):
    """Send the queued service e-mails through SMTP (retries failures later)."""
    from telephony.mail import send_queued

    try:
        sent, failed = send_queued(limit)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{sent} sent, {failed} failed")


@click.group(cls=AppGroup)
def sms():
    """Text message queue."""


@sms.command("send")
@click.option("--limit", default=100, show_default=True)
def send_sms(limit):
    """Send the queued text messages through SMS_PROVIDER (retries failures later)."""
    from telephony.sms import send_queued

    sent, failed = send_queued(limit)
    click.echo(f"{sent} sent, {failed} failed")


@click.group(cls=AppGroup)
def users():
    """Users: end their sessions, set a password, remove one."""


def _user(email):
    from sqlalchemy import func, select

    from extensions import db
    from telephony.accounts import normalize_email
    from telephony.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no user with the e-mail address {email}")
    return user


@users.command("sign-out")
@click.argument("email")
def sign_out(email):
    """End every session of the user at once."""
    from extensions import db
    from telephony.accounts import end_sessions

    end_sessions(_user(email))
    db.session.commit()
    click.echo(f"every session of {email} is ended")


@users.command("password")
@click.argument("email")
@click.password_option()
def password(email, password):
    """Set a new password; the user's sessions end."""
    from extensions import db
    from telephony.accounts import change_password

    change_password(_user(email), password)
    db.session.commit()
    click.echo(f"the password of {email} is changed and its sessions are ended")


@users.command("disable")
@click.argument("email")
def disable(email):
    """Remove a user (e.g. an agent who left): no more sign-in, every session ends."""
    from extensions import db
    from telephony.accounts import disable as disable_user

    disable_user(_user(email))
    db.session.commit()
    click.echo(f"{email} is disabled and its sessions are ended")


@click.group(cls=AppGroup, name="service-numbers")
def service_numbers():
    """The inventory of service numbers: import ranges, end the holds that ran out."""


@service_numbers.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig"))
def import_numbers(source):
    """Add the numbers of a CSV file (columns number, region, city) to the inventory. Each
    is checked with phonenumbers; a wrong line is reported and left out."""
    from extensions import db
    from telephony.service_numbers.inventory import import_csv

    report = import_csv(source.read())
    db.session.commit()
    for line, problem in report.refused:
        click.echo(f"line {line}: {problem}")
    click.echo(f"{report.added} numbers added, {len(report.refused)} lines refused")


@service_numbers.command("usage")
@click.argument("account_code")
@click.argument("cost")
@click.option("--report", "report_id", required=True, help="The call platform's report id.")
def usage(account_code, cost, report_id):
    """Take what the calls to an account's toll-free numbers cost from its communication
    credits (as the call platform reports it; the same report twice is taken once)."""
    from decimal import Decimal, InvalidOperation

    from sqlalchemy import select

    from extensions import db
    from telephony import DomainError
    from telephony.dates import local_today
    from telephony.models import Account
    from telephony.payments import configured_provider
    from telephony.service_numbers.credits import report_token, use

    account = db.session.scalar(select(Account).where(Account.code == account_code))
    if account is None:
        raise click.ClickException(f"no account {account_code}")
    try:
        amount = Decimal(cost)
    except InvalidOperation:
        raise click.ClickException(f"not an amount: {cost}") from None
    if not amount.is_finite():
        raise click.ClickException(f"not an amount: {cost}")
    provider = configured_provider()
    try:
        balance = use(
            account,
            amount,
            provider=provider,
            today=local_today(account.timezone),
            token=report_token(report_id),
        )
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{account.code}: balance {balance} {account.currency}")


@service_numbers.command("port")
@click.argument("order_id", type=int)
@click.argument(
    "status",
    type=click.Choice(
        ["processing", "contacting_carrier", "date_confirmed", "pending", "completed", "rejected"]
    ),
)
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--reason", "reasons", multiple=True, help="rejected: NUMBER=REASON, or REASON")
def port(order_id, status, on, reasons):
    """Move a port order along, as the losing carrier's answers would (the date for
    date_confirmed; for rejected, a reason per number or for the order)."""
    from extensions import db
    from telephony import DomainError
    from telephony.dates import local_today
    from telephony.models import Account, PortOrder, PortStatus
    from telephony.service_numbers.porting import advance, reject

    order = db.session.get(PortOrder, order_id)
    if order is None:
        raise click.ClickException(f"no port order {order_id}")
    account = db.session.get(Account, order.account_id)
    today = local_today(account.timezone)
    try:
        if status == "rejected":
            per_number = dict(r.split("=", 1) for r in reasons if r.startswith("+") and "=" in r)
            note = " ".join(r for r in reasons if not (r.startswith("+") and "=" in r))
            reject(order, per_number, note=note, today=today)
        else:
            advance(order, PortStatus(status), on=on.date() if on else None, today=today)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"port order {order_id}: {status}")


@service_numbers.command("tidy")
def tidy():
    """Close the reservations whose hold has ended (their numbers were free already) and
    give back the numbers whose quarantine is over (`flask renew` does it too)."""
    click.echo(_tidy_service_numbers(date.today()))
