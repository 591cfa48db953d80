"""Speed as users feel it: `python -m bench http` (also `make bench-http`).

The site and a bare Flask hello-world are served the same way (gunicorn, 2 sync workers,
each alone on its port) and driven by the same load generator (wrk from Debian: 2 threads,
16 connections) in alternating slices, so that the machine's drift weighs on both alike.
For each page: requests per second, its share of the hello-world's, and the p50 / p99
latency. On SQLite (the demo data, plus a 500-line account), then on PostgreSQL when one
answers.

Pages: the sign-in page; FAQ search with a different query each time (no results-cache
hit) and with the same one; a FAQ answer; a conditional request for it (304); `/lines/` of
the 500-line account; its requests page; its My services (issue 17). Targets (issue 20):
each page >= 33 % of the hello-world's throughput, p99 <= 50 ms.

`python -m bench http lines` measures only the pages whose name holds "lines".
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLICE = 2.0  # seconds per slice
SLICES = 4  # per side and page: 8 s of load each
CONNECTIONS, THREADS, WORKERS = 16, 2, 2
USER_AGENT = "bench-http"
PASSWORD = "demo"  # noqa: S105 - the demo accounts' (telephony.demo.DEMO_PASSWORD)

HELLO = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""

#: wrk script: each connection cycles through the paths of the file named by WRK_PATHS.
ROTATE = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(target: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=cwd,
        env=env,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310
            return process, port
        except urllib.error.HTTPError:
            return process, port  # it answers (a redirect to sign in, say)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def _wrk(port: int, path: str, seconds: float, headers: dict, paths_file: str | None):
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{round(seconds)}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    if paths_file:
        script = Path(paths_file).with_suffix(".lua")
        script.write_text(ROTATE)
        command += ["-s", str(script)]
        env["WRK_PATHS"] = paths_file
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(  # noqa: S603 - wrk with our arguments
        command, capture_output=True, text=True, env=env, check=True
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    latency = {
        percent: _ms(value)
        for percent, value in re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE)
    }
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        raise RuntimeError(f"{path}: {bad.group(1)} error responses")
    return requests, latency


def _check(port: int, path: str, headers: dict) -> None:
    """The page answers itself (200, or 304 when asked conditionally), not a redirect."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", path, headers=headers)
    status = connection.getresponse().status
    connection.close()
    expected = 304 if "If-None-Match" in headers else 200
    if status != expected:
        raise RuntimeError(f"{path}: {status}, not {expected}")


def _first(paths_file: str) -> str:
    return Path(paths_file).read_text().split("\n", 1)[0]


def _ms(value: str) -> float:
    number = float(re.match(r"[\d.]+", value).group(0))
    if value.endswith("us"):
        return number / 1000
    if value.endswith("ms"):
        return number
    return number * 1000  # seconds


def _prepare(url: str, env: dict) -> dict:
    """Demo data and a 500-line account in the database at `url`; the session cookies of
    the scale account's user."""
    code = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app import create_app\n"
            "from extensions import db\n"
            "from telephony.demo import create_demo, create_scale_account\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    db.drop_all(); db.create_all(); create_demo()\n"
            "    code = create_scale_account(500)\n"
            "    from bench import analyze\n"
            "    analyze()\n"
            "    print(code)\n",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    return {"email": f"scale-{code}@example.com"}


def _sign_in(port: int, email: str) -> str:
    """A signed-in session's cookie header, through the sign-in form."""
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # The session is bound to the browser that signed in (Flask-Login's strong protection:
    # address and User-Agent): every request of the benchmark says the same.
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    ).encode()
    opener.open(f"http://127.0.0.1:{port}/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _faq_queries(count: int) -> list[str]:
    """`count` different searches of words the FAQ holds (so none is a results-cache hit)."""
    from urllib.parse import quote

    words = [
        "renvoi", "appel", "messagerie", "numero", "ligne", "facture", "portabilite",
        "fax", "mandat", "resiliation", "offre", "canal", "alias", "repondeur", "poste",
        "sonnerie", "transfert", "occupe", "absence", "horaires", "annuaire", "sms",
        "pdf", "consommation", "simultane", "prelevement", "iban", "rio", "portable",
        "standard",
    ]  # fmt: skip
    pairs = itertools.islice(itertools.permutations(words, 3), count)
    return [f"/faq?q={quote(' '.join(p))}" for p in pairs]


def measure(url: str, label: str, words: list[str] | None = None) -> None:
    work = Path(tempfile.mkdtemp())
    (work / "hello.py").write_text(HELLO)
    env = dict(
        os.environ,
        APP_ENV="demo",
        # As in production: no translators' workspace watching the catalogues per request.
        TRANSLATION_EDITOR="0",
        DATABASE_URL=url,
        SECRET_KEY="bench-only-not-secret",  # noqa: S106 - a benchmark's server
        # wrk is one client asking for thousands of searches a second: the limit is
        # counted as for anyone (its cost is measured), never reached.
        FAQ_SEARCH_RATE_LIMIT="100000000 per minute",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    user = _prepare(url, env)
    site, site_port = _serve("app:create_app()", env, ROOT)
    hello, hello_port = _serve("hello:app", dict(os.environ), work)
    try:
        cookie = _sign_in(site_port, user["email"])
        queries = work / "queries.txt"
        queries.write_text("\n".join(_faq_queries(5000)) + "\n")
        ask = urllib.request.Request(
            f"http://127.0.0.1:{site_port}/faq/voicemail",
            headers={"Accept-Language": "fr-FR,fr;q=0.9"},
        )
        etag = urllib.request.urlopen(ask).headers["ETag"]  # noqa: S310
        french = {"Accept-Language": "fr-FR,fr;q=0.9"}  # (?lang= would begin a session)
        conditional = dict(french, **{"If-None-Match": etag})
        signed_in = {"Cookie": cookie, "User-Agent": USER_AGENT}
        pages = [
            ("sign-in page", "/login", french, None),
            ("FAQ search, a different query each time", "/", french, str(queries)),
            ("FAQ search, the same query", "/faq?q=renvoi%20d%27appel", french, None),
            ("FAQ answer", "/faq/voicemail", french, None),
            ("FAQ answer, conditional (304)", "/faq/voicemail", conditional, None),
            ("/lines/, 500-line account", "/lines/", signed_in, None),
            ("requests page, 500-line account", "/lines/requests", signed_in, None),
            ("My services, 500-line account", "/services/", signed_in, None),
        ]
        pages = [page for page in pages if not words or any(w in page[0] for w in words)]
        print(
            f"HTTP, {label}: gunicorn {WORKERS} workers, wrk {THREADS} threads x "
            f"{CONNECTIONS} connections, {SLICES} x {SLICE:.0f} s slices alternating with a "
            "bare Flask hello-world"
        )
        for name, path, headers, paths_file in pages:
            _check(site_port, path if not paths_file else _first(paths_file), headers)
            _wrk(site_port, path, 1, headers, paths_file)  # warm-up
            totals = {"site": [0, 0.0, []], "hello": [0, 0.0, []]}
            for _ in range(SLICES):
                for side, port, target, extra, rotate in (
                    ("site", site_port, path, headers, paths_file),
                    ("hello", hello_port, "/", {}, None),
                ):
                    requests, latency = _wrk(port, target, SLICE, extra, rotate)
                    totals[side][0] += requests
                    totals[side][1] += SLICE
                    totals[side][2].append(latency)
            site_rate = totals["site"][0] / totals["site"][1]
            hello_rate = totals["hello"][0] / totals["hello"][1]
            p50 = sorted(lat["50"] for lat in totals["site"][2])[SLICES // 2]
            p99 = max(lat["99"] for lat in totals["site"][2])
            share = site_rate / hello_rate
            verdict = "OK" if share >= 0.33 and p99 <= 50 else "UNDER TARGET"
            print(
                f"  {name}: {site_rate:,.0f} req/s, {share:.0%} of hello-world "
                f"({hello_rate:,.0f} req/s); p50 {p50:.1f} ms, p99 {p99:.1f} ms ({verdict})"
            )
    finally:
        for process in (site, hello):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main(words: list[str] | None = None) -> None:
    """Every page, or those whose name holds one of `words` (e.g. ["FAQ"])."""
    if not shutil.which("wrk"):
        print("HTTP benchmark skipped: wrk is not installed (apt-get install wrk)")
        return
    from bench.service_run import _postgres_url

    measure(f"sqlite:///{Path(tempfile.mkdtemp()) / 'http.sqlite'}", "SQLite", words)
    url = _postgres_url()
    if url:
        measure(url, "PostgreSQL", words)


if __name__ == "__main__":
    main()
