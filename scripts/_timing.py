"""Wall-clock timing shared by the benchmark scripts (best of repeats: the least disturbed run)."""
from __future__ import annotations

import time


def timed_best(fn, repeats: int):
    """(best wall-clock time (s) of ``repeats`` calls of ``fn()``, the last call's result)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_of(fn, repeats: int) -> float:
    """Best wall-clock time (s) of ``repeats`` calls of ``fn()``."""
    return timed_best(fn, repeats)[0]
