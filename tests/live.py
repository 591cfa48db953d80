"""A live server of the site for tests that need real parallel requests, and a small HTTP
client for it.

On SQLite the server runs in a thread of the test process (Werkzeug, threaded). On
PostgreSQL (TEST_DATABASE_URL) it is gunicorn with two workers of four threads each, as in
production: requests that race there race between processes.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from werkzeug.serving import make_server

from tests.conftest import CSRF_RE, PG_URL, USERS, demo_database, drop_database, make_app

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Client:
    """Keeps cookies, follows no redirect. One connection per request (thread-safe)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method: str, path: str, data=None, headers=None, body=None) -> Reply:
        """`data`: a form, sent urlencoded; `body`: bytes sent as they are (multipart)."""
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = {"Accept-Language": "en"}
        with self.lock:
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            body = urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        with self.lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                gone = "Max-Age=0" in header or "1970" in header or value == ""
                if gone:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return Reply(response.status, response.headers, text)

    def get(self, path, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs) -> Reply:
        return self.request("POST", path, data=data, **kwargs)

    def token(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        page = self.get(path)
        match = CSRF_RE.search(page.text) or re.search(r'"X-CSRFToken": "([^"]+)"', page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return match.group(1)

    def sign_in(self, who: str) -> Client:
        token = self.token("/login")
        reply = self.post("/login", {"email": USERS[who], "password": "demo", "csrf_token": token})
        assert reply.status == 303, reply.text[:500]
        return self


def at_once(count: int, action) -> list:
    """Run `action(i)` in `count` threads released together; their results, in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = action(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


class LiveSite:
    """A running site on its own database holding the demo data; `app` reads the same
    database for the tests' checks."""

    def __init__(self, tmp_dir: Path, **settings):
        self.settings = settings
        self.app = make_app(tmp_dir, **settings)
        demo_database(self.app)
        self._server = None
        self._process = None
        if PG_URL:
            self.base = self._start_gunicorn(tmp_dir)
        else:
            self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
            self.base = f"http://127.0.0.1:{self._server.server_port}"

    def _start_gunicorn(self, tmp_dir: Path) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._log = (tmp_dir / "gunicorn.log").open("w")
        self._process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers=2",
                "--threads=4",
                "--worker-class=gthread",
                f"--bind=127.0.0.1:{port}",
                "tests.live_app:build()",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LIVE_DATABASE_URL": PG_URL,
                "LIVE_SETTINGS": json.dumps(self.settings),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if Client(base).get("/healthz").status == 200:
                    return base
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start: " + (tmp_dir / "gunicorn.log").read_text())

    def client(self) -> Client:
        return Client(self.base)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._log.close()
        drop_database(self.app)


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (a CSRF token, a form token)."""
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S)
    form = next(
        body for attrs, body in forms if f'action="{action}"' in attrs and 'method="post"' in attrs
    )
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields
