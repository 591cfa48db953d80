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
    too: left as it is."""
    from extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
