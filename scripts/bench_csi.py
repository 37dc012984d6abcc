"""Benchmark: statistical CSI for a batch of drops (Table I: S=3, K=12, M=64, N=4).

    .venv/bin/python scripts/bench_csi.py [--batch 256] [--repeats 5] [--seed 0]

Times ``World.draw_drops(batch, seed)`` end to end (ephemeris of the whole
constellation at every drop's time, UT placement, satellite selection, sCSI)
and, separately, the channel part alone (``statistical_csi`` on the same
geometry); geometry/ephemeris = total - channel. Best of ``--repeats``.
"""
from __future__ import annotations

import argparse
import time


from constellation.channel import statistical_csi
from constellation.scenario import World, WorldConfig
from _timing import best_of  # scripts/_timing.py (sys.path[0] is scripts/)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--S", type=int, default=3)
    ap.add_argument("--K", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    world = World(WorldConfig(S=args.S, K=args.K))
    build = time.perf_counter() - t0
    drops = world.draw_drops(args.batch, args.seed)       # warm-up
    ch = world.config.channel
    total = best_of(lambda: world.draw_drops(args.batch, args.seed), args.repeats)
    channel = best_of(lambda: statistical_csi(drops.sat_itrs_m, drops.sat_axes, drops.ut_itrs_m, drops.ut_lat_deg,
                                              drops.ut_lon_deg, drops.large_scale, ch), args.repeats)
    geometry = max(total - channel, 0.0)
    b = args.batch
    print(f"statistical CSI: batch {b} drops, S={args.S}, K={args.K}, M={ch.m}, N={ch.n}, "
          f"{world.constellation.n} satellites (constellation built in {build:.2f} s)")
    print(f"  total     {total * 1e3:8.1f} ms  {b / total:9.0f} drops/s   (best of {args.repeats})")
    print(f"  geometry  {geometry * 1e3:8.1f} ms  {b / geometry if geometry else float('inf'):9.0f} drops/s   "
          "(ephemeris of all satellites, UT placement, selection)")
    print(f"  channel   {channel * 1e3:8.1f} ms  {b / channel:9.0f} drops/s   (statistical_csi, one batched call)")


if __name__ == "__main__":
    main()
