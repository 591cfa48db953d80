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
