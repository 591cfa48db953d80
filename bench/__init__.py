"""Benchmarks (`make bench`): figures printed, never timed assertions in tests."""

import statistics
import time


def median_ms(fn, runs: int) -> float:
    """The median time of `runs` calls of `fn`, in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def analyze() -> None:
    """Statistics on the tables a benchmark just filled, on PostgreSQL: autovacuum gathers
    them within a minute of such a load in production, and without them the planner takes
    a 5,000-row table for an empty one (the lines page: a hash join of every line, 4 ms,
    instead of the index in order, 0.2 ms). SQLite keeps none unless asked, in production
    too: left as it is.

    And each account's data-version rows folded into one, as the daily run does
    (`flask renew`, telephony.versioning.prune): a kept page counts its account's rows,
    and making the 500-line account leaves it 1,100 (one per statement), which no account
    has the day after. (A busy account's writes of the day do count: on PostgreSQL a kept
    `/lines/` served 935 req/s with those 1,100 rows, 1,026 without.)"""
    from extensions import db
    from telephony import versioning

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.begin() as connection:
            versioning.prune(connection)
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
