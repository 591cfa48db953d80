"""FAQ search benchmarks on a generated corpus of 10,000 questions (French).

* in-process: `FaqService.search` (analysis, typo mending, synonyms, the index query):
  p50 and p95 over the evaluation queries, repeated;
* through HTTP: requests per second of `/faq?q=...` against `/healthz` (a trivial endpoint
  of the same server), both measured in this one run (alternating half-second slices), in
  a server process of its own:
  with the results cache the site runs with (the queries repeat, as popular questions
  do), then with the cache off (every request searches and highlights).

Run: `python -m bench faq` (also part of `make bench`): on SQLite, then on PostgreSQL when
one answers. Targets: p95 ≤ 2 ms; the search page at ≥ 33 % of the trivial endpoint's
throughput.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

ENTRIES = 10_000
LOCALE = "fr_FR"


def generated_corpus(size: int = ENTRIES, seed: int = 7):
    """`size` entries mixing the real French sentences with generated words, so that common
    words match thousands of entries and rare ones a few, as in a large FAQ."""
    from telephony.faq.content import Corpus, Entry, load_corpus

    real = load_corpus()
    rng = random.Random(seed)
    sources = real.locale_entries(LOCALE)
    sentences = [s.strip() for e in sources for s in e.body.replace("\n", " ").split(". ") if s]
    questions = [e.question for e in sources]
    rare = [f"terme{n}" for n in range(size // 2)]
    entries = {}
    for n in range(size):
        slug = f"q-{n:05d}"
        body = ". ".join(rng.sample(sentences, 4)) + ". " + " ".join(rng.sample(rare, 3)) + "."
        question = rng.choice(questions).rstrip(" ?") + f" ({rng.choice(rare)}) ?"
        entries[slug] = Entry(
            slug=slug, locale=LOCALE, source_locale="fr", question=question, body=body
        )
    return Corpus(
        entries={LOCALE: entries},
        synonyms={LOCALE: real.synonyms[LOCALE]},
        stopwords={LOCALE: real.stopwords[LOCALE]},
        content_hash=f"bench-{size}-{seed}",
    )


def _queries() -> list[str]:
    from telephony.faq.evaluation import load_cases

    return [query for _slug, query in load_cases("fr")]


def _app(url: str, results_cache: int = 0):
    from app import create_app
    from extensions import db
    from telephony.faq import FaqService
    from telephony.faq.index import index_for

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        service = FaqService(generated_corpus(), index_for(db.engine), results_cache=results_cache)
    app.extensions["faq"] = service
    return app, service


def _serve(url: str, results_cache: int, port_queue) -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    app, service = _app(url, results_cache)
    service.ensure_index()
    server = make_server("127.0.0.1", 0, app, request_handler=Quiet)
    port_queue.put(server.server_port)
    server.serve_forever()


def _requests(port: int, paths: list[str], seconds: float, offset: int = 0) -> tuple[int, float]:
    """Requests done in about `seconds`, one connection each, and the time they took."""
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", paths[(offset + done) % len(paths)])
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200, response.status
        done += 1
    return done, time.perf_counter() - start


def _throughputs(port: int, first: list[str], second: list[str], seconds: float):
    """Requests per second of two sets of paths, measured in alternating half-second
    slices (a slower moment of the machine weighs on both alike)."""
    totals = [[0, 0.0], [0, 0.0]]
    for _ in range(round(seconds / 0.5)):
        for total, paths in zip(totals, (first, second), strict=True):
            done, spent = _requests(port, paths, 0.5, offset=total[0])
            total[0] += done
            total[1] += spent
    return tuple(done / spent for done, spent in totals)


def _http(url: str, results_cache: int, queries: list[str]) -> tuple[float, float]:
    """Requests per second of /healthz, then of the search page, from one server process."""
    from urllib.parse import quote

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_serve, args=(url, results_cache, ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=120)
        search_paths = [f"/faq?lang={LOCALE}&q={quote(q)}" for q in queries]
        _requests(port, ["/healthz"], 1.0)  # warm-up
        _requests(port, search_paths, 1.0)
        trivial, search = _throughputs(port, ["/healthz"], search_paths, 5.0)
    finally:
        server.terminate()
        server.join(timeout=10)
    return trivial, search


def main() -> None:
    """On SQLite, then on PostgreSQL when one answers (BENCH_DATABASE_URL: that one only)."""
    from bench.service_run import _postgres_url

    if os.environ.get("BENCH_DATABASE_URL"):
        urls = [os.environ["BENCH_DATABASE_URL"]]
    else:
        urls = [f"sqlite:///{Path(tempfile.mkdtemp()) / 'faq.sqlite'}", _postgres_url()]
    for url in filter(None, urls):
        measure(url)


def measure(url: str) -> None:
    label = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    app, service = _app(url)
    with app.app_context():
        from extensions import db

        db.drop_all()
        db.create_all()
    start = time.perf_counter()
    count = service.reindex()
    print(f"FAQ index of {count} entries built in {time.perf_counter() - start:.2f} s ({label})")
    queries = _queries()
    for query in queries:  # warm caches
        service.search(LOCALE, query)
    samples = []
    for _ in range(20):
        for query in queries:
            t0 = time.perf_counter()
            service.search(LOCALE, query)
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    verdict = "OK" if p95 <= 2.0 else "OVER TARGET"
    print(
        f"FAQ search in-process, {label}, {len(samples)} queries: p50 {p50:.2f} ms, "
        f"p95 {p95:.2f} ms (target p95 <= 2 ms: {verdict})"
    )

    from config import Config

    for cache, size in (("results cache on", Config.FAQ_RESULTS_CACHE), ("cache off", 0)):
        trivial, search = _http(url, size, queries)
        ratio = search / trivial
        verdict = "OK" if ratio >= 0.33 else "UNDER TARGET"
        print(
            f"HTTP, {label} ({cache}): /healthz {trivial:.0f} req/s, /faq?q=... "
            f"{search:.0f} req/s: {ratio:.0%} of the trivial endpoint (target >= 33 %: {verdict})"
        )
    with app.app_context():
        from extensions import db

        db.drop_all()


if __name__ == "__main__":
    main()
