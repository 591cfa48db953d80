"""Locales: which ones exist, how a request's locale is chosen, and regional fallback.

Choice order: `?lang=` → (an agent acting for a customer who switched to the customer's
language: that language) → remembered choice (session, then the user's profile) →
Accept-Language → the account's language → English.

Regional catalogues (fr_BE, de_CH...) hold only what differs from the base language
(fr, de...): a message missing from `fr_BE` is looked up in `fr`, then left in English.

`en_XA` is a pseudo-locale for testing: every message accented and about 40 % longer,
generated from the .pot by `flask translate compile` (i18n_tools.pseudo_translate), English
formats. Anyone may open it with `?lang=en_XA`; only translators see it in the switcher.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, support
from flask import current_app, g, has_request_context, request, session
from flask_babel import Domain, force_locale, get_locale
from flask_login import current_user
from markupsafe import Markup

#: Supported locales, in the order the switcher shows them.
LOCALES = ["en", "fr_FR", "fr_BE", "fr_CH", "nl_BE", "de_BE", "de_CH", "it_CH"]
#: For each country, its locales in order of preference.
COUNTRY_LOCALES = {
    "FR": ["fr_FR"],
    "BE": ["fr_BE", "nl_BE", "de_BE"],
    "CH": ["fr_CH", "de_CH", "it_CH"],
}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
#: The pseudo-locale (not a language customers choose).
PSEUDO_LOCALE = "en_XA"


class PseudoLocale(Locale):
    """`en_XA` for Babel: English dates, numbers and names under the pseudo-locale's id
    (CLDR has no data of its own for it)."""

    def __init__(self) -> None:
        super().__init__("en")
        self.territory = "XA"


def content_locale(locale_id: str) -> str:
    """The locale whose files (the FAQ) a page shows: the pseudo-locale has none of its own
    and shows the English source, marked as English."""
    return "en" if locale_id == PSEUDO_LOCALE else locale_id


@lru_cache(maxsize=64)
def as_locale(locale_id: str) -> Locale:
    """What Flask-Babel's locale selector returns: the locale's object, made once per
    process (Flask-Babel parsed the id again on every request; the catalogue of the last
    locale asked for is then found by identity, FallbackDomain._translations)."""
    return PseudoLocale() if locale_id == PSEUDO_LOCALE else Locale.parse(locale_id)


def base_language(locale_id: str) -> str:
    return locale_id.split("_")[0]


def fallback_chain(locale_id: str) -> list[str]:
    """fr_BE → [fr_BE, fr]; en → [en]."""
    base = base_language(locale_id)
    return [locale_id] if base == locale_id else [locale_id, base]


def bcp47(locale_id: str) -> str:
    """`nl_BE` → `nl-BE`, for `<html lang>`."""
    return locale_id.replace("_", "-")


@lru_cache(maxsize=32)
def display_name(locale_id: str) -> str:
    """The locale's own name, with the region: "français (Belgique)", "English"."""
    if locale_id == PSEUDO_LOCALE:
        from flask_babel import lazy_gettext

        # Translators: the pseudo-locale, in the language switcher of translators.
        return lazy_gettext("Pseudo-locale (for testing)")
    locale = Locale.parse(locale_id)
    name = locale.get_display_name(locale) or locale_id
    return name[:1].upper() + name[1:] if locale.language in ("en",) else name


def territory_name(code: str) -> str:
    """A country's name in the page's language, from Babel (CLDR): "Suisse", "Zwitserland"."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.territories.get(code, code) if isinstance(locale, Locale) else code


def parse_locale_id(value: str | None) -> str | None:
    """A supported locale id from user input (`nl-BE`, `nl_be`...), or None."""
    if not value or len(value) > 16:
        return None
    candidate = value.strip().replace("-", "_")
    for locale_id in (*LOCALES, PSEUDO_LOCALE):
        if locale_id.lower() == candidate.lower():
            return locale_id
    return None


def match_accept_language(header_values, country: str | None = None) -> str | None:
    """Best supported locale for the Accept-Language values [(tag, quality), ...].

    An exact tag wins (`de-CH` → de_CH); a bare language (`nl`) takes that language's locale
    in the account's country if there is one, else the first locale of that language."""
    for tag, _quality in header_values:
        exact = parse_locale_id(tag)
        if exact:
            return exact
        language = tag.split("-")[0].split("_")[0].lower()
        if language == "en":
            return "en"
        candidates = [loc for loc in LOCALES if base_language(loc) == language]
        if not candidates:
            continue
        if country:
            for loc in COUNTRY_LOCALES.get(country, []):
                if loc in candidates:
                    return loc
        return candidates[0]
    return None


@lru_cache(maxsize=256)
def _match_header(header: str, country: str | None) -> str | None:
    """match_accept_language of a raw Accept-Language header: a browser sends the same one
    with every request, so each process works it out once."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    return match_accept_language(parse_accept_header(header, LanguageAccept), country)


def select_locale() -> Locale | str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    return as_locale(_selected_locale_id())


def _selected_locale_id(customers: bool = True) -> str:
    if not has_request_context():  # CLI, renewal run: English unless forced
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = parse_locale_id(request.args.get("lang"))
    if chosen:  # remembered before the view (remember_requested_locale)
        return chosen
    customer_locale = acting_customer_locale() if customers else None
    if customer_locale:
        return customer_locale
    remembered = parse_locale_id(session.get("locale"))
    if remembered:
        return remembered
    user = current_user._get_current_object()  # (each read through the proxy costs)
    user = user if user is not None and user.is_authenticated else None
    if user is not None and parse_locale_id(user.locale):
        return user.locale
    # (An agent has no account: its id says so without a query.)
    account = user.account if user is not None and user.account_id is not None else None
    matched = _match_header(
        request.headers.get("Accept-Language", ""), account.country.value if account else None
    )
    if matched:
        return matched
    if account is not None and parse_locale_id(account.language):
        return account.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def acting_customer_locale() -> str | None:
    """The customer's language, when an agent acting for them asked to see the pages as the
    customer does (the banner's switch); an explicit choice of locale switches back."""
    import acting

    if acting.locale_mode() != "customer":
        return None
    account = acting.account()
    return parse_locale_id(account.language) if account is not None else None


def in_agents_language(caller) -> Markup:
    """`{% call in_agents_language() %}...{% endcall %}`: that part of the page in the
    agent's own language while the pages show the customer's (the banner, its way back
    and "Stop acting": an agent who does not read Dutch still finds them)."""
    own = _selected_locale_id(customers=False)
    if own == _selected_locale_id() or own == PSEUDO_LOCALE:
        return caller()  # (the block, escaped as it was made)
    with force_locale(own):
        return Markup('<div lang="{}">').format(bcp47(own)) + caller() + Markup("</div>")


def remember_requested_locale() -> None:
    """before_request: `?lang=` on any URL, a redirect included, is remembered as the
    visitor's choice (here, not in the locale selector, which may run at any time).

    Agents open pages in a customer's language on purpose (an answer's link for the caller,
    ?lang=fr_FR): for them `?lang=` shows that page only, and only the language switcher
    (which adds remember=1) changes their language."""
    chosen = parse_locale_id(request.args.get("lang"))
    if not chosen:
        return
    from security import STAFF

    staff = current_user and current_user.is_authenticated and current_user.role in STAFF
    if not staff or request.args.get("remember") == "1":
        remember_locale(chosen)


def remember_locale(locale_id: str) -> None:
    """Keep an explicit choice in the session and, when signed in, in the user's profile."""
    if session.get("locale") != locale_id:  # an unchanged session is not sent again
        session["locale"] = locale_id
    import acting

    acting.set_locale_mode("agent")  # an agent who picks a locale wants it, not the customer's
    if current_user and current_user.is_authenticated and current_user.locale != locale_id:
        import database
        from extensions import db

        database.use_transaction()
        current_user.locale = locale_id
        db.session.commit()


class FallbackDomain(Domain):
    """A translation domain where fr_BE falls back to fr before the English source."""

    #: The locale object last asked for and its catalogue: every message of a page asks
    #: with the same object (a tuple, replaced whole: threads never see half of one).
    _last: tuple = (None, None)
    #: The compiled files' modification when they were read (see `refresh`).
    stamp: str = ""

    def refresh(self) -> bool:
        """Forget the catalogues read if a compiled file changed since (a save in the
        translators' workspace, a `flask translate compile`); True if one did."""
        stamp = compiled_stamp(self.translation_directories)
        if stamp == self.stamp:
            return False
        self.get_translations_cache(None).clear()
        self._last = (None, None)
        self.stamp = stamp
        return True

    #: The translators' workspace is on: a page may note the messages it shows (in context).
    in_context = False

    def get_translations(self):
        translations = self._translations()
        if self.in_context and has_request_context():
            seen = g.get("messages_seen")
            if seen is not None:
                return RecordingTranslations(translations, seen)
        return translations

    def _translations(self):
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        last_locale, last = self._last
        if last_locale is locale:
            return last
        # The key is made of the locale's parts, cheaper than its name.
        key = (locale.language, locale.territory, locale.script, locale.variant, self.domain[0])
        cache = self.get_translations_cache(None)
        if key not in cache:
            cache[key] = load_translations(str(locale), self.translation_directories)
        self._last = (locale, cache[key])
        return cache[key]


class RecordingTranslations:
    """A catalogue that notes each message a page asks for (a translator who switched on
    "show translations" sees them listed, each linked to its entry in the workspace)."""

    def __init__(self, inner, seen: dict):
        self._inner = inner
        self._seen = seen

    def ugettext(self, message):
        self._seen.setdefault((message, None), None)
        return self._inner.ugettext(message)

    def ungettext(self, singular, plural, num):
        self._seen.setdefault((singular, None), None)
        return self._inner.ungettext(singular, plural, num)

    def upgettext(self, context, message):
        self._seen.setdefault((message, context), None)
        return self._inner.upgettext(context, message)

    def unpgettext(self, context, singular, plural, num):
        self._seen.setdefault((singular, context), None)
        return self._inner.unpgettext(context, singular, plural, num)

    gettext, ngettext, pgettext, npgettext = ugettext, ungettext, upgettext, unpgettext

    def __getattr__(self, name):
        return getattr(self._inner, name)


def start_in_context() -> None:
    """before_request (TRANSLATION_EDITOR): a translator who switched on "show
    translations" gets the messages of each page noted."""
    if session.get("show_translations") and _is_translator():
        g.messages_seen = {}


def compiled_stamp(directories) -> str:
    """The modification of every compiled catalogue (a few stat calls)."""
    names = {name for loc in (*LOCALES, PSEUDO_LOCALE) for name in fallback_chain(loc)}
    parts = []
    for directory in directories:
        for name in sorted(names):
            try:
                st = (Path(directory) / name / "LC_MESSAGES" / "messages.mo").stat()
            except OSError:
                continue
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}:{st.st_ino}")
    return str(hash("|".join(parts)))


def reload_changed_catalogues() -> None:
    """before_request (TRANSLATION_EDITOR): this worker serves the catalogues as they are
    on disk now, and forgets the pages it kept in the old words (caching.py)."""
    from flask_babel import get_domain

    domain = get_domain()
    if isinstance(domain, FallbackDomain) and domain.refresh():
        current_app.extensions["translations_stamp"] = domain.stamp
        from caching import forget_kept

        forget_kept(current_app)


def load_translations(locale_id: str, directories) -> support.NullTranslations:
    """The catalogue of `locale_id`, then its base language's, as one fallback chain."""
    # Files are opened by exact path: gettext.find() would expand "fr" to "fr_FR" first.
    chain: support.NullTranslations | None = None
    for name in fallback_chain(locale_id):
        for directory in directories:
            path = Path(directory) / name / "LC_MESSAGES" / "messages.mo"
            if not path.is_file():
                continue
            with path.open("rb") as fh:
                catalog = support.Translations(fp=fh)
            if chain is None:
                chain = catalog
            else:
                chain.add_fallback(catalog)
    return chain or support.NullTranslations()


@lru_cache(maxsize=2)
def locale_choices(pseudo: bool = False) -> tuple[tuple[str, str, str], ...]:
    """Every locale with its BCP 47 tag and its own name, for the switcher (the same on
    every page); translators also get the pseudo-locale."""
    ids = (*LOCALES, PSEUDO_LOCALE) if pseudo else LOCALES
    return tuple((loc, bcp47(loc), display_name(loc)) for loc in ids)


def locale_context() -> dict:
    """Template globals for the layout: `<html lang>` and the switcher."""
    current = str(get_locale() or "en")
    return {
        "html_lang": bcp47(current),
        "current_locale": current,
        "locale_choices": locale_choices(pseudo=_is_translator()),
    }


def _is_translator() -> bool:
    from security import Role

    user = current_user if has_request_context() else None
    return bool(
        user is not None and user.is_authenticated and user.role in (Role.TRANSLATOR, Role.ADMIN)
    )
