"""A per-process limit on FAQ searches per client address (FAQ_SEARCH_RATE_LIMIT).

Each new query runs the search engine and takes a place among the public pages kept, so
one client asking for thousands of them is refused (429) past the limit. Flask-Limiter,
as the sign-in and card limits use, cost about 200 µs a search (its memory storage starts
a timer thread to expire its counters; Redis would add a round trip), a sixth of the page:
here a fixed window counted in a dict, a few microseconds. Each process counts its own
clients (with N processes, a client gets at most N times the limit): a bound on what one
client costs, not an exact quota.
"""

from __future__ import annotations

import threading
import time
from functools import wraps

import limits
from flask import current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

#: Client addresses counted in one window at most: past it the window starts again (a
#: crowd of addresses must not grow the dict without end).
MAX_CLIENTS = 100_000


class Window:
    """Hits per key in the current fixed window."""

    def __init__(self, amount: int, seconds: int) -> None:
        self.amount, self.seconds = amount, seconds
        self.window = -1
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def allows(self, key: str, now: float | None = None) -> bool:
        window = int((time.monotonic() if now is None else now) // self.seconds)
        with self.lock:
            if window != self.window or len(self.counts) >= MAX_CLIENTS:
                self.window, self.counts = window, {}
            count = self.counts.get(key, 0) + 1
            self.counts[key] = count
        return count <= self.amount

    def seconds_left(self, now: float | None = None) -> int:
        """Until the current window ends (a refused client may come back then)."""
        now = time.monotonic() if now is None else now
        return max(1, int(self.seconds - now % self.seconds + 0.999))


_windows: dict[str, Window] = {}


def _window(setting: str) -> Window:
    window = _windows.get(setting)
    if window is None:
        item = limits.parse(setting)  # "120 per minute", as every limit is written
        window = _windows[setting] = Window(item.amount, item.get_expiry())
    return window


def limit_searches(view):
    """Refuse a client's search (`q` in the query string) past FAQ_SEARCH_RATE_LIMIT;
    the list of questions and the answers are not searches."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        config = current_app.config
        if request.args.get("q", "").strip() and config.get("RATELIMIT_ENABLED", True):
            window = _window(config["FAQ_SEARCH_RATE_LIMIT"])
            if not window.allows(get_remote_address()):
                raise TooManyRequests(retry_after=window.seconds_left())
        return view(*args, **kwargs)

    return wrapper
