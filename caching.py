"""What is kept of a page, and by whom: a reverse proxy or a CDN in front of the site, and
each process for the next visitor.

* **Public pages** (the FAQ): to a visitor without a session cookie they are the same for
  everyone who asks the same URL in the same language. `public_page` gives them an `ETag`
  (the site's build, the FAQ content, the language, the URL and the htmx block asked for),
  a `Last-Modified` and `Cache-Control: public`, and answers a conditional request that
  matches with `304 Not Modified` before anything is rendered; the next visitor who asks
  the same page gets it as it was made (each process keeps the recent ones). A visitor
  with a session (signed in, or who chose a language) gets the page made for them, never
  stored by a cache.
* **The sign-in page** differs from one visitor without a session to the next only by its
  CSRF token: `token_swapped_page` makes it once and swaps each visitor's own token in.
* **An account's lists** (the lines page's tables, My services' table) are the same for
  everyone who may see the account, in one language, for as long as the account's rows
  are the same: the database moves the account's data version on whenever one of them
  changes (telephony.versioning), and `account_fragment` keeps each list made, per
  process, under that version. A change by anyone, from anywhere, is a new version, so
  the next request makes the list anew.
* **A customer's own pages of those lists** (`account_page`: the lines page, its pending
  requests, My services) are kept whole, per process, under the same data version and
  everything else the page shows (the account's and the user's rows, the URL, the
  language, the day): the next visit to the same page costs the session's query and a
  swap of the CSRF token, no rendering. Anything else in the session (a message to show,
  an agent acting, a translator's preview) makes the page for that request alone.
* **Static files** carry their content's digest in their URL (`/assets/<digest>/css/app.css`)
  and are served with a year-long `Cache-Control: immutable`: a new file is a new URL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    request,
    send_from_directory,
    session,
)
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from extensions import column_keys
from telephony import versioning
from telephony.dates import local_today

#: How long a shared cache may serve a public page without asking again (seconds).
PUBLIC_MAX_AGE = 300
#: Static files under a digest never change.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Public pages each process keeps, rendered, for the next visitor (least recently asked
#: for out first).
PUBLIC_PAGES = 512
#: Pages `token_swapped_page` keeps per process (URLs differ by their query string: bounded).
TOKEN_SWAPPED_PAGES = 256
#: Account fragments each process keeps (least recently asked for out first): a list of 50
#: rows is 20 to 70 KB, so at most about 18 MB.
ACCOUNT_FRAGMENTS = 256
#: Whole account pages each process keeps (`account_page`): 20 to 70 KB each.
ACCOUNT_PAGES = 256
#: ... of which one account's at most (the least recently asked for out first).
PAGES_PER_ACCOUNT = 16
#: The lists a page is made of, at most (the lines page: its orders, lines and numbers).
FRAGMENTS_PER_PAGE = 3
#: Session keys that change nothing an account page shows (Flask-Login's, the CSRF
#: token's seed, the language chosen (in the key), the FAQ answers voted on): with any
#: other (a flashed message, an agent acting, a preview) the page is made for the request.
INERT_SESSION_KEYS = frozenset(
    {"_user_id", "_id", "_fresh", "_epoch", "_remember", "_remember_seconds", "csrf_token"}
    | {"locale", "faq_voted"}
)
#: What the build is made of: a change to any of these is a new build, so new ETags.
BUILD_SUFFIXES = (".py", ".html", ".mo", ".css", ".js", ".md", ".yml", ".yaml", ".toml")
BUILD_SKIPPED = {".venv", "node_modules", "tests", ".git", "instance", "bench", "migrations"}

assets = Blueprint("assets", __name__)


def init_app(app) -> None:
    """Compute the build's fingerprint once (every worker of a release computes the same,
    from the files' contents) and serve hashed static files."""
    digest, newest = _build(Path(app.root_path))
    app.extensions["build"] = {"id": digest, "modified": newest}
    app.register_blueprint(assets)


@lru_cache(maxsize=4)  # once per process (a new release is a new process)
def _build(root: Path) -> tuple[str, datetime]:
    sha = hashlib.sha256()
    newest = 0.0
    for path in sorted(_build_files(root)):
        sha.update(str(path.relative_to(root)).encode())
        sha.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return sha.hexdigest()[:16], datetime.fromtimestamp(int(newest), UTC)


def _build_files(root: Path):
    for path in root.iterdir():
        if path.name in BUILD_SKIPPED or path.name.startswith("."):
            continue
        if path.is_dir():
            yield from (
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix in BUILD_SUFFIXES
            )
        elif path.suffix in BUILD_SUFFIXES:
            yield path


def public_page(content_version):
    """Decorate a public GET view. `content_version()` names the version of the content it
    shows (e.g. the FAQ's content hash)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not is_shared():
                return view(*args, **kwargs)
            build = current_app.extensions["build"]
            version = content_version()
            key = "|".join(
                (
                    build["id"],
                    version,
                    _locale_key(),
                    request.full_path,
                    *_htmx_headers(),
                )
            )
            etag = hashlib.sha256(key.encode()).hexdigest()[:32]
            pages = current_app.extensions.setdefault("public_pages", OrderedDict())
            modified = _content_modified(version, build["modified"])
            # A date alone says "not modified" only of a page this process made (an
            # unknown address answered 304 to it, not 404).
            if _not_modified(etag, modified, known=etag in pages):
                response = current_app.response_class(status=304)
            elif etag in pages:  # made for another visitor: the same page
                pages.move_to_end(etag)
                response = current_app.response_class(pages[etag], mimetype="text/html")
                response.last_modified = modified
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or session.modified:
                    return response  # an error, or it began a session: not for others
                response.last_modified = modified
                if response.mimetype == "text/html" and not response.direct_passthrough:
                    pages[etag] = response.get_data()
                    if len(pages) > PUBLIC_PAGES:
                        pages.popitem(last=False)  # the least recently asked for
            response.set_etag(etag)
            response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
            # The language comes from Accept-Language; a session cookie means another page.
            response.vary.update(("Accept-Language", "Cookie", *HTMX_HEADERS))
            return response

        return wrapper

    return decorate


def token_swapped_page(view):
    """Decorate a GET view whose page, to a visitor without a session, differs from one
    visitor to the next only by its CSRF token (the sign-in page): it is rendered once per
    URL, language, htmx block and build, and each visitor gets it with a token of their own
    (which begins their session, as rendering it would)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "GET" or not is_shared():
            return view(*args, **kwargs)
        # The app's own (its settings make the page: its operator's name, say).
        pages: dict[tuple, tuple[bytes, bytes]] = current_app.extensions.setdefault(
            "token_swapped_pages", {}
        )
        key = _page_key(view)
        kept = pages.get(key)
        if kept is not None:
            body, token = kept
            fresh = generate_csrf().encode()
            response = current_app.response_class(body.replace(token, fresh), mimetype="text/html")
            response.vary.update(HTMX_HEADERS)
            return response
        response = make_response(view(*args, **kwargs))
        token = g.get("csrf_token")  # the signed token the page was given (Flask-WTF)
        if (
            response.status_code == 200
            and response.mimetype == "text/html"
            and token
            and not response.direct_passthrough
            and len(pages) < TOKEN_SWAPPED_PAGES
        ):
            body = response.get_data()
            if body.count(token.encode()) >= 1:
                pages[key] = (body, token.encode())
        return response

    return wrapper


def account_page(view):
    """Decorate a signed-in customer's GET page made of their account's tracked rows (the
    fragments and facts above, or a view reading only `versioning.TRACKED` tables: the
    test of kept lists checks it). The page is kept whole under the account's data
    version and whatever else it shows; each visit gets it with its own CSRF token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = _account_page_key(view) if _keepable() else None
        if key is None:
            return view(*args, **kwargs)
        made: list = []

        def make():
            response = make_response(view(*args, **kwargs))
            made.append(response)
            token = g.get("csrf_token")
            if (
                response.status_code != 200
                or response.direct_passthrough
                or not _keepable()  # the view flashed a message, say
            ):
                return None
            headers = [
                (name, value)
                for name, value in response.headers.items()
                if name not in ("Set-Cookie", "Content-Length")  # (the token may differ)
            ]
            return response.get_data(), token.encode() if token else None, headers

        kept = _kept("account_pages", key, make, ACCOUNT_PAGES, keep=bool)
        if made:
            if kept is not None:
                _keep_few_of_one_account("account_pages", key[0], PAGES_PER_ACCOUNT)
            return made[0]
        body, token, headers = kept
        if token is not None:
            body = body.replace(token, _csrf_token().encode())
        return current_app.response_class(body, headers=headers)

    return wrapper


#: A session's CSRF token on its kept pages is signed again at most this often (seconds):
#: signing is most of what a kept page costs after the session. (The signature's time
#: then runs up to this much earlier: WTF_CSRF_TIME_LIMIT counts from it.)
SIGN_EVERY = 60


def _csrf_token() -> str:
    """Flask-WTF's signed token of this session's CSRF secret, as generate_csrf() makes
    it, reused for SIGN_EVERY seconds (this app's: another has another key)."""
    raw = session.get("csrf_token")
    if not isinstance(raw, str) or "csrf_token" in g:
        return generate_csrf()
    signed: dict = current_app.extensions.setdefault("csrf_signed", {})
    now = time.monotonic()
    kept = signed.get(raw)
    if kept is not None and now - kept[1] < SIGN_EVERY:
        g.csrf_token = kept[0]  # where generate_csrf() would have put it
        return kept[0]
    token = generate_csrf()
    if len(signed) >= ACCOUNT_PAGES:
        signed.clear()
    signed[raw] = (token, now)
    return token


def _keep_few_of_one_account(store_name: str, account_id: int, most: int) -> None:
    """At most `most` of one account's pages or lists in a store whose keys begin with
    the account's id (its least recently asked for go first): a customer asking for many
    addresses (`?page=1`, `?page=2`... or made-up parameters) must not push every other
    customer's out."""
    store = current_app.extensions.get(store_name, {})
    with _lock:
        mine = [key for key in store if key[0] == account_id]
        for key in mine[:-most]:
            del store[key]


def _keepable() -> bool:
    """A customer on their own account's page, with nothing else in the session."""
    from flask_login import current_user

    from telephony.models import Role

    user = current_user._get_current_object()  # (each read through the proxy costs)
    return (
        request.method == "GET"
        and "messages_seen" not in g  # the translators' workspace notes each text shown
        and user.is_authenticated
        and user.role == Role.CUSTOMER
        and user.account is not None
        and session.keys() <= INERT_SESSION_KEYS
    )


def _page_key(view) -> tuple[str, ...]:
    """What a kept page is made of whoever asks: the view, the build, the language, the
    address and the htmx block asked for."""
    return (
        view.__qualname__,
        current_app.extensions["build"]["id"],
        _locale_key(),
        request.full_path,
        *_htmx_headers(),
    )


#: The request headers that decide whether a page or one of its blocks is rendered
#: (htmx.requested_block): every one is in the key of a kept page and in its Vary. (Without
#: HX-Boosted, a boosted request, which gets the whole page, stored it under the key of a
#: block: anyone could make the FAQ's results block a whole page for every visitor.)
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted")


def _htmx_headers() -> tuple[str, ...]:
    return tuple(request.headers.get(name, "") for name in HTMX_HEADERS)


def _account_page_key(view) -> tuple[int, bytes]:
    from flask_login import current_user

    user = current_user._get_current_object()
    account = user.account
    parts = (
        view.__module__,
        *_page_key(view),
        request.headers.get("X-Pager", ""),
        _row(account),
        data_version(account),
        _row(user),
        local_today(account.timezone),
    )
    # A digest: the process keeps no copy of the rows (a password's hash, say) in its keys.
    return account.id, hashlib.sha256(repr(parts).encode()).digest()


def _row(instance) -> tuple:
    """Every column of a loaded row: a change to any of them is another page."""
    model: Any = type(instance)
    return tuple(getattr(instance, name) for name in column_keys(model))


def _kept(
    store: str,
    key: tuple,
    make: Callable[[], object],
    limit: int,
    keep: Callable[[object], bool] | None = None,
):
    """What this process kept under `key` in `store`, else `make()`'s (then kept, unless
    `keep` says otherwise of it; the least recently asked for goes beyond `limit`)."""
    kept: OrderedDict = current_app.extensions.setdefault(store, OrderedDict())
    with _lock:  # threaded servers (the tests' live server) share the store
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    value = make()
    if keep is not None and not keep(value):
        return value
    with _lock:
        kept[key] = value
        if len(kept) > limit:
            kept.popitem(last=False)
    return value


_lock = threading.Lock()


class AccountFragment:
    """Markup made on first use (`{{ fragment }}` in a template) by `make()`, or taken from
    what this process kept of it: a block asked for alone (htmx) makes only its own."""

    def __init__(self, account, name: str, make: Callable[[], str], today):
        self.account, self.name, self.make, self.today = account, name, make, today

    def key(self) -> tuple:
        """Made when the fragment is shown, once `htmx.render` has said which block it
        renders (a block alone adds out-of-band parts)."""
        return (
            self.account.id,
            self.name,
            current_app.extensions["build"]["id"],
            _locale_key(),
            data_version(self.account),
            request.query_string,
            g.get("htmx_block"),
            bool(request.headers.get("X-Pager")),
            self.today,
        )

    def __html__(self) -> str:
        # The translators' workspace notes the messages each page shows: it renders them.
        if "messages_seen" in g:
            return str(self.make())
        made: list[str] = []

        def make() -> str:
            made.append(str(self.make()))
            return made[0]

        kept = _kept("account_fragments", self.key(), make, ACCOUNT_FRAGMENTS)
        if made:
            most = PAGES_PER_ACCOUNT * FRAGMENTS_PER_PAGE
            _keep_few_of_one_account("account_fragments", self.account.id, most)
        return kept

    __str__ = __html__


def account_fragment(account, name: str, make: Callable[[], str], today=None) -> AccountFragment:
    """What `make()` renders of `account`'s rows, kept while the account's data version is
    the same (telephony.versioning lists the tables it may read). The key holds what
    else a list depends on: the build, the language, the URL's query (its pager keeps
    every query value), the htmx block rendered and the pager's announcement, and `today`
    (the account's day, which the list's dates are reckoned from: give the one `make`
    uses)."""
    return AccountFragment(account, name, make, today or local_today(account.timezone))


def data_version(account) -> tuple[int, int]:
    """The account's data version, read once per request (the menu's fact and each list
    of the page share it)."""
    versions = g.setdefault("data_versions", {})
    if account.id not in versions:
        versions[account.id] = versioning.current(account)
    return versions[account.id]


def account_fact(account, name: str, compute: Callable[[], object]):
    """A fact about `account` drawn from the tracked tables (telephony.versioning), e.g.
    whether it holds a licence: computed once per data version and process."""
    key = (name, account.id, data_version(account))
    return _kept("account_facts", key, compute, ACCOUNT_FRAGMENTS * 16)


def forget_kept(app) -> None:
    """Every page and fragment this process kept (the catalogues changed)."""
    with _lock:
        for kept in (
            "public_pages",
            "token_swapped_pages",
            "account_pages",
            "account_fragments",
            "account_facts",
        ):
            app.extensions.get(kept, {}).clear()


def _locale_key() -> str:
    """The page's language, the pseudo-locale (English formats, its own texts) apart."""
    locale = get_locale()
    # The catalogues' version, where the translators' workspace may change them.
    stamp = current_app.extensions.get("translations_stamp", "")
    return f"{type(locale).__name__}:{locale}:{stamp}"


def is_shared() -> bool:
    """Whether this visitor sees what any other would: no session cookie, and nothing in
    this request started one (e.g. `?lang=` remembered)."""
    name = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return name not in request.cookies and not session.modified


def _not_modified(etag: str, modified: datetime, *, known: bool = True) -> bool:
    """Whether the client holds this page already: by its ETag, compared weakly as
    If-None-Match is (a proxy that compresses marks the tag weak), or by date. `*` or a
    date alone says it only of a page this process made (an unknown address answered
    304 to it, not 404)."""
    tags = request.if_none_match
    if tags:
        return known if tags.star_tag else tags.contains_weak(etag)
    since = request.if_modified_since
    return known and since is not None and modified <= since


def _content_modified(version: str, built: datetime) -> datetime:
    """When this process began serving the content named `version` (not before the
    build): a translator's saved answer makes a new version, and a client asking "modified
    since?" with only a date got 304 and kept the old page, the build being older. It only
    moves forward: content put back as it was is a change too (its first time would
    answer 304 to a client holding the newer text)."""
    seen: dict[str, Any] = current_app.extensions.setdefault("content_seen", {})
    if seen.get("version") != version:
        now = datetime.now(UTC).replace(microsecond=0)
        seen["at"] = max(built, now, seen.get("at", built))
        seen["version"] = version
    return seen["at"]


@assets.get("/assets/<digest>/<path:filename>")
def asset(digest: str, filename: str):
    """A static file under its digest: kept a year by browsers and caches. An old digest
    (a page cached before a release) gets the current file, not to be kept."""
    folder = str(current_app.static_folder)
    response = send_from_directory(folder, filename)
    # The file as it is now (changed in place since the process began, its old digest
    # must not keep the new bytes for a year).
    current = _digest_on_disk(folder, filename)
    response.headers["Cache-Control"] = IMMUTABLE if digest == current else "no-cache"
    # The same file for everyone: no Vary on the session's cookie (a shared cache would
    # keep a copy per visitor).
    g.no_session_vary = True
    return response


def _digest_on_disk(folder: str, filename: str) -> str:
    try:
        stat = Path(folder, filename).stat()
    except OSError:
        return "missing"
    return _digest_of_version(folder, filename, stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache(maxsize=256)
def _digest_of_version(folder: str, filename: str, *_version: int) -> str:
    return file_digest.__wrapped__(folder, filename)


def static_url(filename: str) -> str:
    """The URL of a static file under its content's digest."""
    folder = str(current_app.static_folder)
    if current_app.debug:  # files change under a development server
        file_digest.cache_clear()
    return f"{request.script_root}/assets/{file_digest(folder, filename)}/{filename}"


@lru_cache(maxsize=256)
def file_digest(folder: str, filename: str) -> str:
    path = Path(folder, filename)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"
