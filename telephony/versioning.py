"""The version of an account's data: a value that changes whenever a row that a kept page
shows changes (caching.account_fragment), so that a process may serve the page it kept for
as long as the value is the same.

The database keeps it, by triggers on the tracked tables, so that no writer can forget: a
request, the renewal run, a CLI command, raw SQL, another machine.

* SQLite: a row trigger per table and event raises `account.data_version`. SQLite has one
  writer at a time, so this adds no waiting and no lock order to respect.
* PostgreSQL: a statement trigger (transition tables) appends one row per account to
  `account_change`, and the version is that account's (newest id, number of rows). An
  append takes no lock another writer could wait on: raising a counter on the account row
  would make the collection's claim of invoices (which locks invoices, then would lock
  accounts) and a payment (which locks the account, then its invoice) wait on each other
  in a circle. The count makes a change seen even when a transaction that took an older id
  commits after a newer one. `prune()` (the daily run) folds each account's rows into one
  new row, so that the version only ever moves on.

**Keep the triggers when you change a table.** SQLite's batch migrations copy a table and
drop the old one: wrap such a migration of a tracked table (or of `account`, `line`,
`invoice`, which the triggers' bodies name) in `without_triggers(bind)`, which drops every
data-version trigger and makes them again after (tests/test_project.py checks that the
migrated schema has every trigger the models' schema has).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, text

#: How a changed row names the accounts it belongs to: the SQL selecting their ids, for
#: one row (SQLite; `{row}` is NEW or OLD) and for a set of rows (PostgreSQL; `{rows}`: a
#: transition table).
PLAIN = ("SELECT {row}.account_id", "SELECT account_id FROM {rows}")
#: An offer is no account's; the accounts with a line on it show its name and price, and
#: so do those with a line on order (or any task) that names it (`params.offer_id`).
ACCOUNTS_OF_OFFER = (
    "SELECT account_id FROM line WHERE offer_id = {row}.id UNION "
    "SELECT account_id FROM scheduled_task WHERE json_extract(params, '$.offer_id') = {row}.id",
    "SELECT line.account_id FROM line JOIN {rows} ON line.offer_id = {rows}.id UNION "
    "SELECT scheduled_task.account_id FROM scheduled_task JOIN {rows} "
    "ON scheduled_task.params ->> 'offer_id' = {rows}.id::text",
)
#: An invoice's lines are the invoice's account's.
ACCOUNTS_OF_INVOICE_LINE = (
    "SELECT account_id FROM invoice WHERE id = {row}.invoice_id",
    "SELECT invoice.account_id FROM invoice JOIN {rows} ON invoice.id = {rows}.invoice_id",
)


@dataclass(frozen=True)
class Tracked:
    table: str
    accounts: tuple[str, str] = PLAIN


#: What the kept fragments and facts are made of (the lines page's lists and its orders,
#: whose wait on the validation procedure they say; My services' table; the menu's
#: licence test). What caching.account_fragment or account_fact keeps
#: may read only these tables' rows (and the account's own): tests/test_versioning.py
#: checks it.
TRACKED = (
    Tracked("telephony_group"),
    Tracked("line"),
    Tracked("hardware"),
    Tracked("alias_number"),
    Tracked("number_pool"),
    Tracked("scheduled_task"),
    Tracked("offer", ACCOUNTS_OF_OFFER),
    Tracked("licence"),
    Tracked("service"),
    Tracked("invoice"),
    Tracked("invoice_line", ACCOUNTS_OF_INVOICE_LINE),
    Tracked("validation_procedure"),
    Tracked("service_number"),
    Tracked("port_order"),
)

#: SQLite (row triggers).
BUMP = "UPDATE account SET data_version = data_version + 1 WHERE id IN ({accounts})"

#: PostgreSQL: one row per account the statement changed, appended (no lock to wait on).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_change (account_id)
  SELECT DISTINCT a FROM ({accounts}) AS rows_accounts(a) WHERE a IS NOT NULL;
  RETURN NULL;
END $$
"""


#: Each event and the rows it has: the new, the old, or both.
EVENTS = (("INSERT", ("NEW",)), ("UPDATE", ("NEW", "OLD")), ("DELETE", ("OLD",)))


def trigger_name(tracked: Tracked, event_name: str) -> str:
    return f"{tracked.table}_data_version_{event_name.lower()}"


def trigger_names(tracked: Tracked) -> list[str]:
    return [trigger_name(tracked, event_name) for event_name, _rows in EVENTS]


def _sqlite(tracked: Tracked) -> list[str]:
    one, _many = tracked.accounts
    statements = []
    for event_name, rows in EVENTS:
        name = trigger_name(tracked, event_name)
        bumps = " ".join(BUMP.format(accounts=one.format(row=row)) + ";" for row in rows)
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event_name} ON {tracked.table} "
            f"FOR EACH ROW BEGIN {bumps} END"
        )
    return statements


def _postgresql(tracked: Tracked) -> list[str]:
    _one, many = tracked.accounts
    statements = []
    for event_name, rows in EVENTS:
        name = trigger_name(tracked, event_name)
        relations = {row: f"{row.lower()}_rows" for row in rows}
        accounts = " UNION ".join(many.format(rows=relation) for relation in relations.values())
        statements.append(PG_FUNCTION.format(name=name, accounts=accounts))
        referencing = " ".join(f"{row} TABLE AS {relation}" for row, relation in relations.items())
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {tracked.table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event_name} ON {tracked.table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


def statements(dialect: str, tables: tuple[str, ...] | None = None) -> list[str]:
    """The SQL that (re)creates the triggers of `tables` (all tracked ones by default)."""
    make = _postgresql if dialect == "postgresql" else _sqlite
    return [
        sql
        for tracked in TRACKED
        if tables is None or tracked.table in tables
        for sql in make(tracked)
    ]


def create_triggers(connection, tables: tuple[str, ...] | None = None) -> None:
    for sql in statements(connection.dialect.name, tables):
        connection.execute(text(sql))


@contextmanager
def without_triggers(connection):
    """SQLite batch migrations: drop every data-version trigger, then make them again."""
    for name in installed(connection):
        if connection.dialect.name == "postgresql":
            continue  # ALTER TABLE keeps them there
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    yield
    create_triggers(connection)


def current(account) -> tuple[int, int]:
    """The version of `account`'s data now (PostgreSQL: one query; SQLite: the account's
    counter, already loaded)."""
    from extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return (account.data_version, 0)
    newest, count = db.session.execute(
        text("SELECT max(id), count(*) FROM account_change WHERE account_id = :id"),
        {"id": account.id},
    ).one()
    return (newest or 0, count)


def version_columns(dialect: str, account_id):
    """The two columns of `current()` for the account whose id is the SQL expression
    `account_id`, to read in a query that selects from `account` too (the server
    session's: see server_sessions._load_statement). SQLite's version is the account
    row's own."""
    from sqlalchemy import func, literal, select

    from telephony.models import Account, AccountChange

    if dialect != "postgresql":
        return Account.data_version.label("version_id"), literal(0).label("version_count")
    mine = AccountChange.account_id == account_id
    return (
        select(func.max(AccountChange.id)).where(mine).scalar_subquery().label("version_id"),
        select(func.count()).where(mine).scalar_subquery().label("version_count"),
    )


def prune(connection) -> int:
    """PostgreSQL: each account's change rows folded into one new row (its id the newest,
    so that no version seen before comes back). Returns how many accounts were folded."""
    if connection.dialect.name != "postgresql":
        return 0
    gone = connection.execute(
        text(
            "WITH gone AS (DELETE FROM account_change WHERE account_id IN ("
            " SELECT account_id FROM account_change GROUP BY account_id HAVING count(*) > 1)"
            " RETURNING account_id) "
            "INSERT INTO account_change (account_id) SELECT DISTINCT account_id FROM gone "
            "RETURNING account_id"
        )
    ).all()
    return len(gone)


def installed(connection) -> set[str]:
    """The names of the data-version triggers the database has."""
    if connection.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return {row[0] for row in connection.execute(text(query)) if "_data_version_" in row[0]}


def expected() -> set[str]:
    return {name for tracked in TRACKED for name in trigger_names(tracked)}


def listen(metadata) -> None:
    """`metadata.create_all()` (tests, `flask demo` on a new database) makes the triggers too."""

    @event.listens_for(metadata, "after_create")
    def _after_create(_target, connection, **_kw):
        create_triggers(connection)
