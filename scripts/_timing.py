"""Wall-clock timing shared by the benchmark scripts (best of repeats: the least disturbed run)."""
from __future__ import annotations

import time


def best_of(fn, repeats: int) -> float:
    """Best wall-clock time (s) of ``repeats`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
