"""Benchmark: ephemeris of the whole constellation (default 1680 satellites x 600 time steps).

    .venv/bin/python scripts/bench_ephemeris.py [--steps 600] [--dt 0.1] [--repeats 3]

Times, in the same run and on the same times, raw ``SatrecArray.sgp4(jd, fr)``
(TEME, km) and ``Constellation.state_itrs(t_s)`` (SGP4 + TEME -> ITRS
positions and Earth-relative velocities in metres, [T, n, 3]), and also
``state_teme`` and ``body_axes``. Reports satellite-steps per second (best of
``--repeats``) and the ratio to raw SGP4 (target for state_itrs: >= 0.5).
"""
from __future__ import annotations

import argparse

import numpy as np

from constellation.ephemeris import Constellation
from constellation.walker import WalkerDelta
from _timing import best_of  # scripts/_timing.py (sys.path[0] is scripts/)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--total", type=int, default=1680)
    ap.add_argument("--planes", type=int, default=28)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--dt", type=float, default=0.1, help="time step (s)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--all", action="store_true", help="also time state_teme and body_axes")
    args = ap.parse_args()

    c = Constellation.walker(WalkerDelta(total=args.total, planes=args.planes))
    t_s = np.arange(args.steps) * args.dt
    whole, frac = c.epoch_jd
    jd = np.full(args.steps, whole)
    fr = frac + t_s / 86400.0
    raw = c._array                                   # the constellation's own SatrecArray
    work = c.n * args.steps

    rows = [("SatrecArray.sgp4 (raw, TEME km)", best_of(lambda: raw.sgp4(jd, fr), args.repeats))]
    rows.append(("Constellation.state_itrs", best_of(lambda: c.state_itrs(t_s), args.repeats)))
    if args.all:
        rows.append(("Constellation.state_teme", best_of(lambda: c.state_teme(t_s), args.repeats)))
        rows.append(("Constellation.body_axes", best_of(lambda: c.body_axes(t_s), args.repeats)))

    raw_rate = work / rows[0][1]
    print(f"{c.n} satellites x {args.steps} steps = {work} sat-steps, best of {args.repeats}")
    print(f"{'':34s} {'time (s)':>9s} {'sat-steps/s':>13s} {'ratio to raw':>13s}")
    for name, sec in rows:
        rate = work / sec
        print(f"{name:34s} {sec:9.3f} {rate:13.3e} {rate / raw_rate:13.2f}")


if __name__ == "__main__":
    main()
