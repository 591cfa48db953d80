"""The translators' workspace, in process through the test client, on SQLite and then on
PostgreSQL (BENCH_DATABASE_URL: that one only), over a copy of the catalogues.

* save and see: an entry of nl_BE (a regional catalogue) and of fr (every message) saved
  (checked, written, compiled, audited), then the sign-in page asked for in that language
  showing it (the worker reloads the catalogue);
* the editor's list: a page of the French entries (1,400), as the catalogue is after a
  save (parsed again) and as it is kept.

Targets (issue 21): save and see ≤ 300 ms; the list's page ≤ 100 ms.

Run: `python -m bench translations` (also part of `make bench`).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

RUNS = 15


def _measure(url: str) -> None:
    from app import create_app
    from extensions import db
    from i18n import TRANSLATIONS_DIR
    from telephony.demo import create_demo
    from tests.conftest import Auth, csrf_from
    from translating import catalogs

    folder = Path(tempfile.mkdtemp()) / "translations"
    shutil.copytree(TRANSLATIONS_DIR, folder, ignore=shutil.ignore_patterns("*.lock"))
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "TRANSLATION_EDITOR": True,
            "TRANSLATIONS_DIR": str(folder),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        db.session.commit()
    client = app.test_client()
    assert Auth(client).login("translator@example.com").status_code == 303
    visitor = app.test_client()
    key = catalogs.entry_key("Sign in", None)
    saves: dict[str, list[float]] = {}
    # A regional catalogue (a few entries) and a base one (every entry of the site).
    for locale, shown_in, word in (("nl_BE", "nl_BE", "Inloggen"), ("fr", "fr_FR", "Connexion")):
        path = f"/translations/{locale}/{key}"
        visitor.get(f"/login?lang={shown_in}")  # the page kept, as a running site has it
        samples = saves.setdefault(locale, [])
        for run in range(RUNS):
            page = client.get(path).text
            version = re.search(r'name="version" value="([^"]*)"', page).group(1)
            text = f"{word} {run}"
            start = time.perf_counter()
            reply = client.post(
                path, data={"csrf_token": csrf_from(page), "version": version, "strings-0": text}
            )
            shown = visitor.get(f"/login?lang={shown_in}").text
            samples.append((time.perf_counter() - start) * 1000)
            assert reply.status_code == 303 and text in shown, reply.status_code

    lists_cold, lists_warm = [], []
    for run in range(RUNS):
        # A save elsewhere makes the French catalogue new: parsed again on the next page.
        (folder / "fr" / "LC_MESSAGES" / "messages.po").touch()
        start = time.perf_counter()
        assert client.get(f"/translations/fr/?page={run % 20 + 1}").status_code == 200
        lists_cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        assert client.get(f"/translations/fr/?page={run % 20 + 1}").status_code == 200
        lists_warm.append((time.perf_counter() - start) * 1000)

    total = len(catalogs.entries(folder, "fr"))
    database = url.split(":")[0]
    for locale, samples in saves.items():
        print(
            f"[{database}] translations: save and see in {locale}: median "
            f"{statistics.median(samples):.0f} ms, max {max(samples):.0f} ms (target <= 300)"
        )
    print(
        f"[{database}] translations: list of {total} fr entries, a page of 50: median "
        f"{statistics.median(lists_cold):.0f} ms after a change, "
        f"{statistics.median(lists_warm):.0f} ms kept (target <= 100)"
    )
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    shutil.rmtree(folder.parent, ignore_errors=True)


def main() -> None:
    from bench.service_run import _postgres_url

    if os.environ.get("BENCH_DATABASE_URL"):
        urls = [os.environ["BENCH_DATABASE_URL"]]
    else:
        urls = [f"sqlite:///{Path(tempfile.mkdtemp()) / 'translations.sqlite'}", _postgres_url()]
    for url in urls:
        if url:
            _measure(url)
