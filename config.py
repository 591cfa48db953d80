"""Configuration: one base class read from the environment, one class per way of running.

`APP_ENV` (or the older `FLASK_ENV`) chooses the class:

* ``demo`` (default): the embedded site of the Quick start. SQLite in the instance folder, a
  random secret generated once and kept in the instance folder, demo data allowed.
* ``production``: everything that matters comes from the environment; a missing `SECRET_KEY`
  or `DATABASE_URL` stops start-up with a message saying what to set.
* ``testing``: used by the test suite.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

#: The invented operator of the demo. A real deployment replaces this block in its own
#: config object, or overrides its single texts (name, website, support_email,
#: terms_reference, terms_url, ch_payee_id...) with `OPERATOR_<KEY>` settings or
#: environment variables, e.g. OPERATOR_NAME="Acme Telecom" (see `operator_overrides`).
OPERATOR = {
    "name": "Velora Telecom",
    "website": "https://velora.example",
    "support_email": "support@velora.example",
    "addresses": {
        "FR": ["Velora Telecom SAS", "12 rue des Standards", "69003 Lyon", "France"],
        "BE": ["Velora Telecom SRL", "Rue du Commutateur 4", "1000 Bruxelles", "Belgique"],
        "CH": ["Velora Telecom Sàrl", "Chemin des Lignes 9", "1003 Lausanne", "Suisse"],
    },
    # Legal identifiers per country, printed on purchase orders: the registration (RCS and
    # SIREN in France, enterprise number in Belgium, UID in Switzerland) and the VAT number.
    "legal_ids": {
        "FR": {"registration": "RCS Lyon 912 345 675", "vat": "FR65912345675"},
        "BE": {"registration": "0598.765.459", "vat": "BE0598765459"},
        # Swiss VAT numbers end with MWST, TVA or IVA: the document's language adds it.
        "CH": {"registration": "CHE-114.223.452", "vat": "CHE-114.223.452"},
    },
    # SEPA creditor identifiers (checked with stdnum.eu.at_02 at start-up).
    "creditor_ids": {
        "FR": "FR87ZZZ938471",
        "BE": "BE39ZZZ0598765459",  # in Belgium: the enterprise number
        "CH": "CH13ZZZ00000012345",
    },
    # Where supporting documents of the validation procedure go.
    "procedure_postal_address": {
        "FR": ["Velora Telecom – Procédures", "BP 4021", "69003 Lyon Cedex", "France"],
    },
    "procedure_emails": {
        "BE": "procedure-be@velora.example",
        "CH": "procedure-ch@velora.example",
    },
    # Swiss CHF direct debit scheme: "lsv" (LSV+) or "bdd" (Business Direct Debit).
    "ch_debit_scheme": "lsv",
    "ch_payee_id": "VLR1A",
    # What French law asks an invoice to state about the issuing company (legal form,
    # share capital), by country.
    "company_forms": {
        "FR": {"legal_form": "SAS", "share_capital": "50000.00 EUR"},
        "BE": {"legal_form": "SRL", "share_capital": ""},
        "CH": {"legal_form": "Sàrl", "share_capital": "20000.00 CHF"},
    },
    # Where customers pay by transfer, by country (checked with schwifty at start-up). The
    # Swiss one is a QR-IBAN: its QR-bills carry a 27-digit QR reference.
    "bank_accounts": {
        "FR": {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
        "BE": {"iban": "BE68539007547034", "bic": "GKCCBEBB"},
        "CH": {"iban": "CH4431999123000889012", "bic": ""},
    },
    # The operator's RIO prefix for its French numbers (operator code and quality letter;
    # the contract reference comes from the account): printed on French invoices.
    "rio_operator": "VL",
    "rio_quality": "F",
    # The general terms of sale that purchase orders refer to.
    "terms_reference": "VT-CGV-2026-01",
    "terms_url": "https://velora.example/terms",
}

#: VAT rates by country, as decimals.
VAT_RATES = {"FR": Decimal("0.20"), "BE": Decimal("0.21"), "CH": Decimal("0.081")}
CURRENCIES = {"FR": "EUR", "BE": "EUR", "CH": "CHF"}
TIMEZONES = {"FR": "Europe/Paris", "BE": "Europe/Brussels", "CH": "Europe/Zurich"}

#: Monthly price excl. VAT of one extra simultaneous call, in the country's currency.
EXTRA_CALL_PRICE = Decimal("1.00")
#: Monthly price excl. VAT of an alias number, in the country's currency.
ALIAS_NUMBER_PRICE = Decimal("1.00")
#: Days the customer has to send back hardware of a terminated or converted line.
HARDWARE_RETURN_DAYS = 15
#: Where the numbers of newly ordered lines come from, by country: the first and last E.164
#: number of the operator's block (same length). A number once used is never given again.
NEW_LINE_NUMBERS = {
    "FR": ("+33972300000", "+33972399999"),
    "BE": ("+3223009000", "+3223009999"),
    "CH": ("+41912009000", "+41912009999"),
}


#: How each kind of service may renew: the automatic periods (in months) it allows, and
#: whether the customer may renew it by hand instead. Lines and trunks renew automatically
#: only; numbers and fax lines may also be renewed by hand (My services).
SERVICE_RENEWAL = {
    "sip_line": {"periods": (1, 3, 6, 12), "manual": False},
    "trunk": {"periods": (1, 3, 6, 12), "manual": False},
    "fax_line": {"periods": (1, 3, 6, 12), "manual": True},
    "alias_number": {"periods": (1, 3, 6, 12), "manual": True},
    "number_pool": {"periods": (1, 3, 6, 12), "manual": True},
    "service_number": {"periods": (1, 3, 6, 12), "manual": True},
}
#: The renewal run and services: a manual service's holder is reminded this many days
#: before its expiry (the largest first); an automatic service whose renewal invoice is
#: still unpaid this many days after it was issued is suspended; a manual service not
#: renewed is suspended at its expiry and deleted this many days later; a deleted number
#: is given to nobody else for this many days.
SERVICE_REMINDER_DAYS = (40, 15)
SERVICE_PAYMENT_DAYS = 15
SERVICE_DELETE_AFTER_DAYS = 30
NUMBER_QUARANTINE_DAYS = 90

#: Service numbers (seed 003). The quota: from this many licences (phone system and
#: conferencing together), this many numbers from the inventory; ported numbers don't count.
SERVICE_NUMBER_QUOTA = (
    (1, 5),
    (26, 10),
    (50, 20),
    (100, 30),
    (150, 40),
    (200, 65),
    (500, 90),
    (750, 110),
    (1000, 125),
)
#: How long numbers stay held for the customer who reserved them.
SERVICE_NUMBER_HOLD_MINUTES = 10
#: A released service number waits this many months before the inventory offers it again.
SERVICE_NUMBER_QUARANTINE_MONTHS = 3
#: The number types the operator sells from its inventory in each country (Swiss toll-free
#: numbers are allocated by the regulator to their holder: they come by porting only).
SERVICE_NUMBER_TYPES = {
    "FR": ("geographic", "national", "toll_free"),
    "BE": ("geographic", "national", "toll_free"),
    "CH": ("geographic", "national"),
}
#: Porting numbers in: the working days between today and the earliest date one may ask
#: for, per country; the largest document accepted; how recent a signed letter or a bill
#: must be; which countries ask for a recent bill beside the letter of authorization.
PORT_LEAD_DAYS = {"FR": 7, "BE": 1, "CH": 5}
#: The French rules of 1 July 2027: business fixed-number ports in 3 working days at most,
#: and a RIO for direct-dial ranges too (before: the signed mandate alone).
PORT_RULES_2027 = date(2027, 7, 1)
PORT_LEAD_DAYS_2027 = {"FR": 3}
PORT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
#: (In calendar months, as the letter says "within three months": 90 days refused one
#: signed on 1 May and uploaded on 31 July.)
PORT_DOCUMENT_MAX_AGE_MONTHS = 3
PORT_BILL_REQUIRED = {"FR": False, "BE": True, "CH": True}
#: Communication credits (toll-free numbers): the amounts offered, per currency, and what a
#: minute of a call to a toll-free number costs its holder, per country and calling network.
CREDIT_AMOUNTS = {"EUR": (20, 50, 100, 200), "CHF": (20, 50, 100, 200)}
TOLL_FREE_RATES = {
    "FR": {"fixed": Decimal("0.020"), "mobile": Decimal("0.050")},
    "BE": {"fixed": Decimal("0.025"), "mobile": Decimal("0.060")},
    "CH": {"fixed": Decimal("0.030"), "mobile": Decimal("0.080")},
}
#: Simultaneous calls a service number carries, per type.
SERVICE_NUMBER_CAPACITY = {"geographic": 100, "national": 100, "toll_free": 200}
#: Monthly price excl. VAT of a service number, per country and type (the country's currency).
SERVICE_NUMBER_PRICES = {
    "FR": {
        "geographic": Decimal("3.00"),
        "national": Decimal("3.00"),
        "toll_free": Decimal("9.00"),
    },
    "BE": {
        "geographic": Decimal("3.00"),
        "national": Decimal("3.00"),
        "toll_free": Decimal("9.00"),
    },
    # (Swiss toll-free numbers come by porting; a Swiss account may also take a French or
    # Belgian one: every type sold anywhere has a price in every country's table.)
    "CH": {
        "geographic": Decimal("3.50"),
        "national": Decimal("3.50"),
        "toll_free": Decimal("9.50"),
    },
}
#: A card is flagged as about to expire this many months before the end of its last month.
CARD_EXPIRY_WARNING_MONTHS = 1
#: SEPA direct debits: an invoice due within this many days goes into the next file, to be
#: collected on its due date (at the earliest this many days after the file is made).
COLLECTION_LEAD_DAYS = 1


class Config:
    APP_ENV = "demo"
    # The operator's settings the domain follows (telephony.settings): the defaults above,
    # each overridable by a deployment's config object.
    VAT_RATES = VAT_RATES
    CURRENCIES = CURRENCIES
    TIMEZONES = TIMEZONES
    EXTRA_CALL_PRICE = EXTRA_CALL_PRICE
    ALIAS_NUMBER_PRICE = ALIAS_NUMBER_PRICE
    HARDWARE_RETURN_DAYS = HARDWARE_RETURN_DAYS
    NEW_LINE_NUMBERS = NEW_LINE_NUMBERS
    SERVICE_RENEWAL = SERVICE_RENEWAL
    SERVICE_REMINDER_DAYS = SERVICE_REMINDER_DAYS
    SERVICE_PAYMENT_DAYS = SERVICE_PAYMENT_DAYS
    SERVICE_DELETE_AFTER_DAYS = SERVICE_DELETE_AFTER_DAYS
    NUMBER_QUARANTINE_DAYS = NUMBER_QUARANTINE_DAYS
    SERVICE_NUMBER_QUOTA = SERVICE_NUMBER_QUOTA
    SERVICE_NUMBER_HOLD_MINUTES = SERVICE_NUMBER_HOLD_MINUTES
    SERVICE_NUMBER_QUARANTINE_MONTHS = SERVICE_NUMBER_QUARANTINE_MONTHS
    SERVICE_NUMBER_TYPES = SERVICE_NUMBER_TYPES
    SERVICE_NUMBER_CAPACITY = SERVICE_NUMBER_CAPACITY
    SERVICE_NUMBER_PRICES = SERVICE_NUMBER_PRICES
    PORT_LEAD_DAYS = PORT_LEAD_DAYS
    PORT_RULES_2027 = PORT_RULES_2027
    PORT_LEAD_DAYS_2027 = PORT_LEAD_DAYS_2027
    PORT_DOCUMENT_MAX_BYTES = PORT_DOCUMENT_MAX_BYTES
    PORT_DOCUMENT_MAX_AGE_MONTHS = PORT_DOCUMENT_MAX_AGE_MONTHS
    PORT_BILL_REQUIRED = PORT_BILL_REQUIRED
    CREDIT_AMOUNTS = CREDIT_AMOUNTS
    TOLL_FREE_RATES = TOLL_FREE_RATES
    CARD_EXPIRY_WARNING_MONTHS = CARD_EXPIRY_WARNING_MONTHS
    COLLECTION_LEAD_DAYS = COLLECTION_LEAD_DAYS

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: No pre-ping: a pooled PostgreSQL connection is checked only when it may have gone
    #: stale (database.py), idle in the pool this long (seconds) or spoken to meanwhile.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_IDLE_SECONDS = 10
    SQLALCHEMY_RECORD_QUERIES = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: A signed-in session unused this long (seconds) ends (server_sessions.py).
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    #: Where signed-in sessions are kept: Redis at this URL, else the database.
    SESSION_REDIS_URL: str | None = None
    #: Strict-Transport-Security max-age in seconds (0: not sent). Production: one year.
    HSTS_SECONDS = 0
    #: An agent's session ends after this many seconds without a request.
    AGENT_IDLE_TIMEOUT = 15 * 60
    #: ... and a dialog warns this many seconds before, with a way to stay signed in.
    AGENT_IDLE_WARNING = 2 * 60
    #: Signing in again within this many seconds of the timeout goes back to where the
    #: agent was, acting for the same customer, with the unsent form filled in (idle.py).
    AGENT_RESUME_WINDOW = 8 * 3600
    #: ...and acting for the same customer again, without a new reason, within this many
    #: (the call it began for may still be going on; hours later, it is another one).
    AGENT_RESUME_ACTING_WINDOW = 15 * 60
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Rate limits (Flask-Limiter); Redis in production through REDIS_URL.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    #: Failed sign-ins allowed per client address (an office behind one address shares
    #: it), and per e-mail address tried; successful sign-ins never count.
    LOGIN_RATE_LIMIT = "30 per minute;200 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per minute;30 per hour"
    #: Refused card payments or card additions allowed per account and per client address
    #: (a stolen card is tried against a shop's form); a card accepted never counts.
    CARD_ACCOUNT_RATE_LIMIT = "5 per 10 minutes;20 per day"
    CARD_RATE_LIMIT = "20 per 10 minutes;60 per day"
    #: Changes of an account's billing contact (each e-mails the new address).
    CONTACT_CHANGE_RATE_LIMIT = "5 per day"
    #: FAQ searches per client address (each new query runs the search engine and takes
    #: a place in the public pages kept): a person types far fewer.
    FAQ_SEARCH_RATE_LIMIT = "120 per minute"
    RATELIMIT_HEADERS_ENABLED = True

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"

    # Outgoing mail: the service e-mail queue is sent through this SMTP server.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    MAIL_FROM = "no-reply@velora.example"
    # Text messages (telephony.sms): "sandbox" records them; "http" posts them to a JSON API.
    SMS_PROVIDER = "sandbox"
    SMS_API_URL: str | None = None
    SMS_API_TOKEN: str | None = None
    SMS_SENDER = "Velora"

    PAYMENT_PROVIDER = "sandbox"
    #: PDFs with fixed dates and ids, the same bytes each time (tests compare them).
    PDF_INVARIANT = False
    PAGE_SIZE = 50
    #: The largest request body: uploads (a port order's documents) stay well below it.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: FAQ searches whose results each process keeps (0: none), until the content changes.
    FAQ_RESULTS_CACHE = 1024
    DEMO_ALLOWED = True
    OPERATOR = OPERATOR
    #: Where the direct-debit files (pain.008) are written for the bank: a folder a transfer
    #: job picks them up from. Empty: the instance folder's `collections`.
    COLLECTION_DIR = ""
    #: Where the structured e-invoices (Factur-X PDFs, Peppol UBL) are written for the
    #: connector to the accredited e-invoicing platform. Empty: the instance folder's
    #: `einvoices`.
    EINVOICE_DIR = ""
    # Behind a TLS-terminating proxy: how many hops of X-Forwarded-* to trust (0: none).
    # The client's address (sign-in limits, audit) comes from there: the app server must
    # then be reachable only through those proxies (bind it to 127.0.0.1 or a socket).
    PROXY_FIX = 0
    #: The customer area's address as customers reach it (e.g. https://my.velora.example):
    #: service e-mails link to the page they are about. Empty: no link.
    SITE_URL = ""
    #: The translators' workspace (/translations/<locale>/) edits the catalogues in the
    #: browser and every worker reloads them when they change. Off in production, where the
    #: translations are what was compiled at deploy time; on in the demo and on a
    #: translators' staging instance (TRANSLATION_EDITOR=1).
    TRANSLATION_EDITOR = False
    #: The catalogues' folder (empty: the project's `translations`).
    TRANSLATIONS_DIR = ""


class DemoConfig(Config):
    APP_ENV = "demo"
    TRANSLATION_EDITOR = True
    SITE_URL = "http://127.0.0.1:5000"


class ProductionConfig(Config):
    APP_ENV = "production"
    DEMO_ALLOWED = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PROXY_FIX = 1
    HSTS_SECONDS = 365 * 24 * 3600


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI: str | None = None  # the test fixtures set it
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SMTP_HOST = None
    PDF_INVARIANT = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method, not a password
    SITE_URL = "https://my.velora.example"


#: Environment variables read at start-up (not at import), and the setting each fills.
#: Environment variable → (setting, how its text becomes the setting's value).
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "REDIS_URL": ("RATELIMIT_STORAGE_URI", str),
    "SMTP_HOST": ("SMTP_HOST", str),
    "SMTP_PORT": ("SMTP_PORT", int),
    "SMTP_USERNAME": ("SMTP_USERNAME", str),
    "SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "SMTP_STARTTLS": ("SMTP_STARTTLS", lambda v: v == "1"),
    "MAIL_FROM": ("MAIL_FROM", str),
    "SMS_PROVIDER": ("SMS_PROVIDER", str),
    "SMS_API_URL": ("SMS_API_URL", str),
    "SMS_API_TOKEN": ("SMS_API_TOKEN", str),
    "SMS_SENDER": ("SMS_SENDER", str),
    "PROXY_FIX": ("PROXY_FIX", lambda v: int(v) if v.isdigit() else 0),
    "HSTS_SECONDS": ("HSTS_SECONDS", int),
    "SESSION_REDIS_URL": ("SESSION_REDIS_URL", str),
    "SITE_URL": ("SITE_URL", str),
    "AGENT_IDLE_TIMEOUT": ("AGENT_IDLE_TIMEOUT", int),
    "DATABASE_PING_IDLE_SECONDS": ("DATABASE_PING_IDLE_SECONDS", float),
    "AGENT_IDLE_WARNING": ("AGENT_IDLE_WARNING", int),
    "TRANSLATION_EDITOR": ("TRANSLATION_EDITOR", lambda v: v == "1"),
    "TRANSLATIONS_DIR": ("TRANSLATIONS_DIR", str),
    "FAQ_CONTENT_DIR": ("FAQ_CONTENT_DIR", str),
    "FAQ_SEARCH_RATE_LIMIT": ("FAQ_SEARCH_RATE_LIMIT", str),
}


def load_environment(cfg) -> None:
    """Copy the environment variables above into the Flask config (not under testing)."""
    if cfg.get("TESTING"):
        return
    for var, (key, cast) in ENVIRONMENT.items():
        value = os.environ.get(var)
        if value:
            cfg[key] = cast(value)
    # Redis, when there is one, also keeps the sessions (unless told otherwise).
    if os.environ.get("REDIS_URL") and not os.environ.get("SESSION_REDIS_URL"):
        cfg["SESSION_REDIS_URL"] = os.environ["REDIS_URL"]
    if cfg["SQLALCHEMY_DATABASE_URI"] and cfg["SQLALCHEMY_DATABASE_URI"].startswith(
        "postgresql://"
    ):
        # psycopg 3 is the installed driver.
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )


CONFIGS = {"demo": DemoConfig, "production": ProductionConfig, "testing": TestingConfig}


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration cannot run safely."""


def environment_name() -> str:
    name = os.environ.get("APP_ENV") or os.environ.get("FLASK_ENV") or "demo"
    if name not in CONFIGS:
        raise ConfigurationError(f"APP_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}.")
    return name


def operator_overrides(cfg) -> None:
    """`OPERATOR_<KEY>` (a setting, or an environment variable outside tests) replaces the
    text `OPERATOR[<key>]`; the nested entries (addresses, creditor ids) need a config
    object of their own."""
    operator = dict(cfg["OPERATOR"])
    for key, value in operator.items():
        name = "OPERATOR_" + key.upper()
        override = cfg.get(name) or (None if cfg.get("TESTING") else os.environ.get(name))
        if override is not None and isinstance(value, str):
            operator[key] = str(override)
    cfg["OPERATOR"] = operator


def finalize(app) -> None:
    """Fill the values that depend on the instance folder and refuse unsafe settings."""
    cfg = app.config
    operator_overrides(cfg)
    instance = Path(app.instance_path)
    if cfg["APP_ENV"] == "production":
        missing = [k for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not cfg.get(k)]
        if missing:
            names = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
            raise ConfigurationError(
                "Refusing to start in production without "
                + ", ".join(names.get(k, k) for k in missing)
                + ": set them in the environment (see README, 'Production')."
            )
        return
    instance.mkdir(parents=True, exist_ok=True)
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'telephony.sqlite'}"
    if not cfg.get("SECRET_KEY"):
        # Demo only: a random key made once per instance folder, never a constant.
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        cfg["SECRET_KEY"] = key_file.read_text().strip()
