"""The version of an account's data: `account.data_version`, a number the database itself
raises whenever a row that a kept page shows changes (caching.account_fragment).

The database does it, by triggers on the tracked tables, so that no writer can forget: a
request, the renewal run, a CLI command, raw SQL, another machine. A page made from the
account's rows is then the same page for as long as the version is the same, and a process
can keep it (and serve it again) after reading nothing but the account row it loads anyway.

* SQLite: a row trigger per table and event (`UPDATE account ... WHERE id = NEW.account_id`).
* PostgreSQL: statement triggers with transition tables, so that a statement touching 5,000
  lines raises each account once, and only the first time in a transaction (a
  transaction-local setting remembers it); the accounts are taken in the order of their
  ids, so that two statements touching the same accounts never wait on each other in a
  circle.

Every writer of an account's rows already holds that account's row lock (telephony.locking),
so the bump adds no new waiting; a writer that doesn't, waits here as it would there.

**Keep the triggers when you change a table.** SQLite's batch migrations copy a table and
drop the old one, and its triggers with it: a migration that alters a tracked table on
SQLite calls `create_triggers` again for it (tests/test_project.py checks that the migrated
schema has every trigger the models' schema has).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, text

#: How a changed row names the accounts it belongs to: the SQL selecting their ids,
#: for one row (`{row}` is NEW or OLD) and for a set of rows (`{rows}`: a transition table).
PLAIN = ("SELECT {row}.account_id", "SELECT account_id FROM {rows}")
#: An offer is no account's; the accounts with a line on it show its name and price.
ACCOUNTS_OF_OFFER = (
    "SELECT account_id FROM line WHERE offer_id = {row}.id",
    "SELECT line.account_id FROM line JOIN {rows} ON line.offer_id = {rows}.id",
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
)

#: SQLite (row triggers).
BUMP = "UPDATE account SET data_version = data_version + 1 WHERE id IN ({accounts})"

#: Once per transaction and account (a transaction-local setting says it was done): a row
#: updated again and again in one transaction (the renewal run's) grows a chain of
#: versions that each next update walks. In the order of the accounts' ids.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed bigint;
BEGIN
  FOR changed IN SELECT DISTINCT a FROM ({accounts}) AS rows_accounts(a) WHERE a IS NOT NULL
                 ORDER BY a LOOP
    IF current_setting('versioning.account_' || changed, true) IS DISTINCT FROM 'raised' THEN
      UPDATE account SET data_version = data_version + 1 WHERE id = changed;
      PERFORM set_config('versioning.account_' || changed, 'raised', true);
    END IF;
  END LOOP;
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
