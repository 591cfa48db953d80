"""Application factory: `flask --app app run`, or `create_app()` from a WSGI server."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module
from extensions import csrf, db, limiter, login_manager, migrate


class TelephonyApp(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks it of every
    hook and view at every request (some twenty `inspect` calls a page), and the answer
    never changes. (ensure_sync is Flask's documented place for this.)"""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict = {}

    def ensure_sync(self, func):
        try:
            return self._synced[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(self._synced) < 1000:  # (hooks and views: a few dozen)
                self._synced[func] = synced
            return synced
        except TypeError:  # (a function that cannot be a key)
            return super().ensure_sync(func)


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` (a mapping) overrides settings, e.g. in tests."""
    app = TelephonyApp(__name__, instance_relative_config=True)
    env = (config or {}).get("APP_ENV") or config_module.environment_name()
    app.config.from_object(config_module.CONFIGS[env])
    config_module.load_environment(app.config)
    if config:
        app.config.update(config)
    config_module.finalize(app)
    if app.config["APP_ENV"] == "testing" and not app.config["SQLALCHEMY_DATABASE_URI"]:
        raise config_module.ConfigurationError("testing needs SQLALCHEMY_DATABASE_URI")
    _validate_operator(app)

    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # as Flask documents
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    # Ids in URLs are 1 to 2^31 - 1 (what an integer column holds everywhere): a larger
    # one answers 404 like any other id that is not there.
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(map, fixed_digits, min, max, signed)

    app.url_map.converters["int"] = IdConverter

    _init_extensions(app)
    _register_blueprints(app)
    # (After the blueprints: a limit on a whole blueprint keeps the check.)
    _skip_empty_limit_check(app, limiter)
    _check_csrf_of_changes_only(app)
    import caching

    caching.init_app(app)
    _register_template_helpers(app)

    # The features plug their task handlers, hooks and attachments into the core.
    from telephony.wiring import wire

    wire()
    from commands import register_commands

    register_commands(app)

    import idle
    from i18n import remember_requested_locale
    from security import refuse_nul, set_security_headers

    app.before_request(refuse_nul)
    app.before_request(remember_requested_locale)
    app.before_request(idle.end_idle_staff_session)
    app.after_request(idle.add_header)
    app.after_request(set_security_headers)
    import acting

    app.after_request(acting.mark_forms)
    app.teardown_request(acting.forget_reason)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def _validate_operator(app: Flask) -> None:
    from stdnum.eu import at_02

    for country, creditor_id in app.config["OPERATOR"]["creditor_ids"].items():
        if not at_02.is_valid(creditor_id) or not creditor_id.startswith(country):
            raise config_module.ConfigurationError(
                f"OPERATOR creditor id for {country} is not a valid SEPA creditor identifier."
            )
        # A Belgian creditor identifier is built on the creditor's enterprise number.
        registration = app.config["OPERATOR"].get("legal_ids", {}).get(country, {})
        digits = "".join(ch for ch in registration.get("registration", "") if ch.isdigit())
        if country == "BE" and digits and at_02.compact(creditor_id)[7:] != digits:
            raise config_module.ConfigurationError(
                "OPERATOR creditor id for BE must carry the enterprise number "
                f"{registration['registration']}."
            )
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    for country, bank in app.config["OPERATOR"].get("bank_accounts", {}).items():
        try:
            IBAN(bank["iban"])
        except SchwiftyException as error:
            raise config_module.ConfigurationError(
                f"OPERATOR bank account for {country} has no valid IBAN: {error}"
            ) from None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # Enforce foreign keys on SQLite and wait for locks instead of failing at once.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Readers do not block the writer; commits need no fsync of the main file each time.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 16 MB of page cache (the default is 2 MB): a large FAQ's search index stays in it.
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, _name):
    """SQLite: a savepoint opened before any write is inside a transaction. Python's sqlite3
    driver begins one before an INSERT, UPDATE or DELETE only; a SAVEPOINT outside one
    starts SQLite's own, which the savepoint's release commits. So a transaction whose
    first write was in begin_nested() (a number taken, a key claimed) kept that write
    whatever followed: a refused card, a rollback, a crash."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.dbapi_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("BEGIN")


def _init_extensions(app: Flask) -> None:
    from flask_babel import Babel

    from i18n import TRANSLATIONS_DIR, FallbackDomain, select_locale

    app.config["TRANSLATIONS_DIR"] = app.config.get("TRANSLATIONS_DIR") or str(TRANSLATIONS_DIR)
    translations = app.config["TRANSLATIONS_DIR"]

    from telephony import settings as operator_settings

    operator_settings.init_app(app)  # the domain's settings, typed and read-only
    db.init_app(app)
    import database

    database.init_app(app)
    from telephony.faq.index import drop_with_metadata

    drop_with_metadata(db.metadata)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    # One Babel per app (not a module-level one): its domain holds the app's own catalogue
    # folder, and two apps in one process (tests, a translators' instance) keep theirs.
    babel = Babel()
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=translations,
    )
    # Flask-Babel builds its default domain itself; ours adds the regional fallback.
    babel.domain_instance = domain = FallbackDomain(translation_directories=[translations])
    # Templates ask this app's domain directly: Flask-Babel's own callables look the domain
    # up again through the request's context for every message (a page shows dozens).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # (jinja2.ext.i18n)
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )
    if app.config["TRANSLATION_EDITOR"]:
        # Catalogues saved in the workspace (or compiled by hand) show on the next request,
        # in every worker: each compares the compiled files' modification first.
        from i18n import reload_changed_catalogues, start_in_context

        app.before_request(reload_changed_catalogues)
        babel.domain_instance.in_context = True
        app.before_request(start_in_context)
        from blueprints.translators.faq import reload_changed_faq

        app.before_request(reload_changed_faq)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    # The browser's fingerprint that strong protection compares, as Flask-Login makes it,
    # worked out once per address and User-Agent (a SHA-512 on every request otherwise).
    from security import session_identifier

    login_manager._session_identifier_generator = session_identifier
    _find_current_user_directly()
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The signed-in user, unless their sessions were ended since this one began
        (telephony.accounts.end_sessions) or they were disabled."""
        from flask import g, session

        import server_sessions

        valid = user_id.isdigit() and len(user_id) < 12
        # Loaded with the session's record (the database store), else by its id (the Redis
        # store): with the account and its data version either way, in one query.
        held = g.get("session_user")
        if held is not None and valid and held.id == int(user_id):
            user = held
        else:
            user = server_sessions.load_user(int(user_id)) if valid else None
        if user is None or not user.active or session.get("_epoch") != user.session_epoch:
            session.clear()
            return None
        return user

    import server_sessions

    server_sessions.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from blueprints.agent import bp as agent_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.billing import bp as billing_bp
    from blueprints.emails import bp as emails_bp
    from blueprints.errors import bp as errors_bp
    from blueprints.faq import bp as faq_bp
    from blueprints.lines import bp as lines_bp
    from blueprints.main import bp as main_bp
    from blueprints.orders import bp as orders_bp
    from blueprints.procedure import bp as procedure_bp
    from blueprints.service_numbers import bp as service_numbers_bp
    from blueprints.services import bp as services_bp
    from blueprints.translators import bp as translators_bp

    for bp in (
        errors_bp,
        auth_bp,
        main_bp,
        lines_bp,
        services_bp,
        service_numbers_bp,
        billing_bp,
        orders_bp,
        procedure_bp,
        emails_bp,
        agent_bp,
        translators_bp,
        faq_bp,
    ):
        app.register_blueprint(bp)


def _register_template_helpers(app: Flask) -> None:
    from i18n import bcp47, display_name, locale_context
    from navigation import navigation_context
    from templating import register_filters

    register_filters(app)
    app.jinja_env.globals["locale_display_name"] = display_name
    app.jinja_env.globals["locale_tag"] = bcp47

    def language_name(locale_id: str):
        """A language's own name in running text, marked with its language (WCAG 3.1.2):
        "Edit the translations of <span lang="nl-BE">Nederlands (België)</span>"."""
        from markupsafe import Markup

        return Markup('<span lang="{}">{}</span>').format(bcp47(locale_id), display_name(locale_id))

    app.jinja_env.globals["language_name"] = language_name

    def debit_scheme(procedure) -> str:
        """A validated procedure's debit scheme: "sepa", or in francs "lsv" or "bdd"."""
        from telephony.procedure import document_kind

        return document_kind(procedure, app.config["OPERATOR"])

    app.jinja_env.globals["debit_scheme"] = debit_scheme
    app.jinja_env.tests["french_number"] = lambda number: str(number).startswith("+33")
    from telephony.procedure import formatted_organisation_id

    app.jinja_env.globals["formatted_organisation_id"] = formatted_organisation_id
    from htmx import rendering_block

    app.jinja_env.globals["htmx_block"] = rendering_block
    import acting

    app.jinja_env.globals["htmx_headers"] = acting.htmx_headers
    app.context_processor(locale_context)
    app.context_processor(navigation_context)
    import idle

    app.context_processor(idle.context)


def _skip_empty_limit_check(app, limiter) -> None:
    """Flask-Limiter checks the default and application-wide limits before every request.
    This site has none: its limits belong to views (checked by their decorators) or are
    counted by hand (sign-in), so that check finds nothing, at some cost on every page.
    It is dropped while there are no such limits (RATELIMIT_DEFAULT or
    RATELIMIT_APPLICATION in the configuration, or a limit on a whole blueprint, keep
    it). It reads Flask-Limiter's own lists: its version is pinned."""
    manager = limiter.limit_manager  # (no public way to ask: the limits it was given)
    if manager._default_limits or manager._application_limits or manager._blueprint_limits:
        return
    checks = app.before_request_funcs.setdefault(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)


def _check_csrf_of_changes_only(app) -> None:
    """Flask-WTF's before_request looks up whether the view is exempt before asking whether
    the request's method needs a token at all: on every page. The same check, the method
    first (its hook replaced; its version is pinned)."""
    from flask import request

    checks = app.before_request_funcs.setdefault(None, [])
    hook = next(
        (f for f in checks if f.__name__ == "csrf_protect" and "flask_wtf" in f.__module__),
        None,
    )
    if hook is None:
        return
    methods = app.config["WTF_CSRF_METHODS"]

    def csrf_protect():
        if request.method in methods:
            return hook()
        return None

    checks[checks.index(hook)] = csrf_protect


def _find_current_user_directly() -> None:
    """Flask-Login's `current_user` asks `flask_login.utils._get_user` at each read, which
    goes through three of Flask's context proxies (a page reads the user a dozen times).
    The same function, reading the request's context directly: the user loaded once per
    request, or None outside one (its version is pinned)."""
    import flask_login.utils
    from flask import current_app
    from flask.globals import _cv_app, _cv_request

    def get_user():
        if _cv_request.get(None) is None:
            return None
        found = _cv_app.get().g.__dict__
        if "_login_user" not in found:
            current_app.login_manager._load_user()
        return found["_login_user"]

    flask_login.utils._get_user = get_user
