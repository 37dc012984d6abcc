"""Benchmark of the ISL fabric (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_network.py [--rebuilds 200] [--messages 2000] [--seed 0]

1. Full 1680-satellite +Grid topology rebuilds per second (default Walker 1680/28/1,
   600 km, 53 deg): (a) arrays only, from positions already propagated; (b) SGP4
   ephemeris (state_itrs) + rebuild, what a live tick costs; (c) (b) + the networkx
   graph export.
2. Bus throughput in messages per second on that graph with an i.i.d. fault
   timeline (p = 0.01 per 100 ms step): send (routing) + deliver, for
   (a) random source/destination pairs (a new Dijkstra tree per new source),
   (b) a tick pattern: n/4 distinct sources each send 4 SSIs to random
       satellites at the same tick (one Dijkstra tree per source, reused),
   with the scipy csgraph router and, on fewer messages, the networkx router.
Timings are wall-clock (time.perf_counter), single process.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from constellation.ephemeris import Constellation
from network.bus import Bus
from network.faults import IIDLinkOutage, build_timeline
from network.messages import SSI
from network.topology import GridTopology


def rate(n, fn):
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t0)


def bus_rate(snap, faults, pairs, router, t_s=0.0):
    msg = SSI(np.zeros(3), np.array([1.0, 0, 0, 0]), 1.0)
    bus = Bus(snap, faults=faults, router=router, step_s=0.1)
    t0 = time.perf_counter()
    for s, d in pairs:
        bus.send(msg, int(s), int(d), t_s)
    t1 = time.perf_counter()
    out = bus.deliver(t_s + 10.0)
    t2 = time.perf_counter()
    f = bus.messages_frame()
    return {"send_per_s": len(pairs) / (t1 - t0), "deliver_per_s": len(pairs) / max(t2 - t1, 1e-9),
            "end_to_end_per_s": len(pairs) / (t2 - t0), "delivered": len(out), "lost": int((f.status == "lost").sum()),
            "mean_hops": float(f.hops.mean()), "mean_latency_ms": 1e3 * float(f.latency_s.mean())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rebuilds", type=int, default=200)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.rebuilds < 1 or args.messages < 1:
        raise ValueError("--rebuilds and --messages must be >= 1")

    c = Constellation.walker()
    topo = GridTopology.from_constellation(c)
    ts = np.arange(args.rebuilds) * 0.1
    r0, v0 = c.state_itrs(0.0)
    print(f"constellation: {c.n} satellites, {len(topo.edges)} candidate ISLs")
    a = rate(args.rebuilds, lambda i: topo.snapshot(r0, v0, 0.0))
    b = rate(args.rebuilds, lambda i: topo.at(c, float(ts[i])))
    n_graph = max(1, args.rebuilds // 5)
    cg = rate(n_graph, lambda i: topo.at(c, float(ts[i])).to_graph())
    snap = topo.at(c, 0.0)
    print(f"topology rebuilds/s: arrays only {a:,.0f}; ephemeris + rebuild {b:,.0f}; "
          f"ephemeris + rebuild + networkx graph {cg:,.0f}   (target >= 20/s)")
    print(f"  at t=0: {int(snap.up.sum())} of {len(snap.edges)} links up, max degree {snap.degree().max()}")

    rng = np.random.default_rng(args.seed)
    faults = build_timeline([IIDLinkOutage(0.01, 0.1)], snap.edges, 0.0, 20.0, rng)
    n = args.messages
    random_pairs = rng.integers(0, c.n, size=(n, 2))
    srcs = rng.choice(c.n, size=max(1, n // 4), replace=False) if n // 4 <= c.n else rng.integers(0, c.n, n // 4)
    tick_pairs = np.stack([np.repeat(srcs, 4), rng.integers(0, c.n, size=4 * len(srcs))], 1)[:n]
    for name, pairs in (("random pairs", random_pairs), ("tick pattern (4 msgs/source)", tick_pairs)):
        for router, m in (("scipy", len(pairs)), ("networkx", max(1, len(pairs) // 10))):
            res = bus_rate(snap, faults, pairs[:m], router)
            print(f"bus {name:<29} router={router:<8} n={m:>5}: send {res['send_per_s']:>8,.0f} msg/s, "
                  f"deliver {res['deliver_per_s']:>9,.0f} msg/s, end-to-end {res['end_to_end_per_s']:>8,.0f} msg/s; "
                  f"delivered {res['delivered']}, lost {res['lost']}, mean {res['mean_hops']:.1f} hops, "
                  f"{res['mean_latency_ms']:.1f} ms")


if __name__ == "__main__":
    main()
