"""The project's own machinery: migrations match the models, catalogues are sound, demo data."""

import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, select

from extensions import db
from telephony import versioning


def test_migrations_build_the_schema_of_the_models(app_factory):
    app = app_factory()
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == []
        with db.engine.connect() as conn:
            # Triggers are no part of the models' metadata: the data version's are checked
            # by name (a SQLite batch migration of a tracked table would drop them).
            assert versioning.installed(conn) == versioning.expected()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.mark.slow
def test_translation_catalogues_pass_the_check():
    from i18n_tools import check

    result = check(strict=True)
    assert result.problems == []


def test_check_finds_a_broken_placeholder(tmp_path, monkeypatch):
    from i18n_tools import markup, placeholders

    assert placeholders("Page %(number)s of %(pages)s") != placeholders(
        "Page %(nombre)s sur %(pages)s"
    )
    # The conversion counts ("%(num)d" given a string fails at run time), and so does a
    # stray angle bracket (a translation is marked safe: "<img" would be markup).
    assert placeholders("%(name)s (%(code)s)") != placeholders("%(name)d (%(code)s)")
    assert markup("Find an account") != markup("Trouver un compte <img src=x onerror=y ")
    assert markup("A <b>bold</b> word") == markup("Un mot <b>gras</b>")


def test_stats_count_the_base_language_for_regional_locales():
    from i18n_tools import stats

    rows = {row.locale: row for row in stats()}
    assert set(rows) == {"en", "fr_FR", "fr_BE", "fr_CH", "nl_BE", "de_BE", "de_CH", "it_CH"}
    assert all(row.ratio == 1.0 for row in rows.values())
    assert rows["de_CH"].own >= 1  # Swiss spellings


def test_no_compiled_catalogue_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "*.mo"], capture_output=True, text=True, check=True
    ).stdout
    assert tracked == ""


def test_demo_users_exist_with_hashed_passwords(app_ctx):
    from telephony.models import User

    users = {u.email: u for u in db.session.scalars(select(User))}
    for email in [
        "demo-fr@example.com",
        "demo-be@example.com",
        "demo-ch@example.com",
        "agent@example.com",
        "translator@example.com",
    ]:
        assert email in users
        assert users[email].password_hash != "demo"
        assert users[email].check_password("demo")


def test_demo_lines_are_billed_at_their_price_extra_calls_included(app_ctx):
    from telephony.models import Line, Service

    pairs = db.session.execute(
        select(Line, Service).join(
            Service, (Service.target_type == "line") & (Service.target_id == Line.id)
        )
    ).all()
    assert len(pairs) > 5 and any(line.calls_extra for line, _service in pairs)
    for line, service in pairs:
        assert service.monthly_price_excl_vat == line.monthly_price_excl_vat, line.number


def test_demo_is_idempotent_and_scale_creates_lines(runner, app):
    from telephony.models import Line

    assert "already present" in runner.invoke(args=["demo"]).output
    result = runner.invoke(args=["demo", "--scale", "250"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Line)) >= 250


def test_demo_is_refused_in_production(app_factory):
    app = app_factory(DEMO_ALLOWED=False)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "never" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("command", ["check", "stats"])
def test_translate_commands_run(runner, command):
    result = runner.invoke(args=["translate", command])
    assert result.exit_code == 0, result.output


def test_every_audit_action_the_code_records_has_a_label():
    """The agents' timeline names each event; a new action needs its label in labels.py."""
    import re
    from pathlib import Path

    from labels import AUDIT_ACTIONS

    root = Path(__file__).resolve().parent.parent
    recorded = re.compile(r'(?:audit\.record\(\s*|"action":\s*)"([a-z_]+\.[a-z_]+)"')
    actions = {
        action
        for folder in ("telephony", "blueprints")
        for path in (root / folder).rglob("*.py")
        for action in recorded.findall(path.read_text("utf-8"))
    }
    assert len(actions) > 20
    assert actions - set(AUDIT_ACTIONS) == set()


def test_every_plural_marked_in_python_is_extracted():
    """`_ln("one", "many", n)` (lazy_ngettext) is a keyword of the extraction: a message
    marked so is in the template, or it would never be translated (one was found only
    because a template used the same words)."""
    import ast

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    with (root / "translations" / "messages.pot").open("rb") as fh:
        extracted = {message.id for message in read_po(fh)}
    marked = []
    for path in [
        *root.glob("*.py"),
        *root.glob("telephony/**/*.py"),
        *root.glob("blueprints/**/*.py"),
        *root.glob("documents/**/*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("_ln", "lazy_ngettext")
                and len(node.args) >= 2
                and all(isinstance(arg, ast.Constant) for arg in node.args[:2])
            ):
                marked.append((node.args[0].value, node.args[1].value))
    assert marked
    assert [pair for pair in marked if pair not in extracted] == []
