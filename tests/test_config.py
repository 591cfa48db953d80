import pytest

from app import create_app
from config import ConfigurationError


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_database_url(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app()


def test_production_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_ENV", "production")
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db/telephony")
    app = create_app()
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db/telephony"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False


def test_demo_generates_a_random_secret_per_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "demo")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = create_app({"APP_ENV": "demo"})
    assert len(first.config["SECRET_KEY"]) >= 40
    assert create_app({"APP_ENV": "demo"}).config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging-typo")
    with pytest.raises(ConfigurationError, match="staging-typo"):
        create_app()


def test_invalid_creditor_identifier_is_refused(tmp_path):
    from config import OPERATOR

    operator = dict(OPERATOR, creditor_ids={"FR": "FR00ZZZ123456"})
    with pytest.raises(ConfigurationError, match="creditor"):
        create_app(
            {
                "APP_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "OPERATOR": operator,
            }
        )


def test_a_belgian_creditor_identifier_carries_the_enterprise_number(tmp_path):
    from config import OPERATOR

    # Valid check digits, but not the operator's enterprise number (0598.765.459).
    operator = dict(OPERATOR, creditor_ids={"BE": "BE89ZZZ0598765432"})
    with pytest.raises(ConfigurationError, match="enterprise number"):
        create_app(
            {
                "APP_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "OPERATOR": operator,
            }
        )


def test_operator_texts_can_be_overridden_one_by_one(app_factory):
    app = app_factory(OPERATOR_NAME="Acme Telecom", OPERATOR_SUPPORT_EMAIL="help@acme.example")
    assert app.config["OPERATOR"]["name"] == "Acme Telecom"
    assert app.config["OPERATOR"]["support_email"] == "help@acme.example"
    assert app.config["OPERATOR"]["creditor_ids"]["FR"] == "FR87ZZZ938471"
    from config import OPERATOR

    assert OPERATOR["name"] == "Velora Telecom"  # the module's own block is left alone


def test_the_domain_follows_the_apps_settings(app_factory):
    """VAT rates, prices and delays come from the app's configuration (telephony.settings),
    not from constants the domain imports: a deployment overrides them by name."""
    from decimal import Decimal

    from telephony.money import price_for
    from telephony.settings import settings

    rates = {"FR": Decimal("0.055"), "BE": Decimal("0.21"), "CH": Decimal("0.081")}
    app = app_factory(VAT_RATES=rates, PORT_LEAD_DAYS={"FR": 3})
    with app.app_context():
        assert price_for(Decimal("100"), "FR").vat == Decimal("5.50")
        assert settings().port_lead_days["FR"] == 3
        with pytest.raises(TypeError):
            settings().vat_rates["FR"] = Decimal("0")  # read-only for every request
    assert price_for(Decimal("100"), "FR").vat == Decimal("20.00")  # outside an app: defaults


def test_the_domain_does_not_import_the_configuration():
    import pathlib
    import re

    root = pathlib.Path(__file__).parent.parent / "telephony"
    importing = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "settings.py"
        and re.search(r"^\s*(from config import|import config\b)", path.read_text(), re.M)
    ]
    assert importing == []
