"""Acceptance table of issue 16: live episodes at 12 city centres on a real-size Starlink-shaped catalogue,
the old rule ("nearest") against the new default ("connected").

Builds :func:`constellation.synthetic.starlink_like_catalog` (seed ``--seed``), writes it as a TLE file and
runs, at each centre and for each rule, one live episode (local runtime, no ISL faults, ``--duration-s``
simulated seconds, K = ``--K`` UTs, S = 3, Cen-Opt-WM and Dec-TFC-WM). Prints per centre and rule: the
initial members' shells, the largest member-to-member ISL latency over the links up at the start, the
centralized missed and fallback shares, the two schemes' sum rates, and how many warnings / unreachable
events the run produced; then the selection time per update (visible candidates + selection for one
region at the episode's start, best of ``--repeats``; the topology snapshot timed apart) and the Walker
default's nearest-vs-connected agreement over random drops for several latency bounds.

Prints measured figures; asserts nothing.

    .venv/bin/python scripts/bench_regions_real.py [--seed 0] [--duration-s 10] [--K 6]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import timed_best                                          # noqa: E402

from bench_cooperation import CITIES                                  # noqa: E402 - the 12 centres of both benches


def _episode(tle, lat, lon, selection, args):
    from agents.config import RunConfig
    from agents.experiments.run import run_episode
    cfg = RunConfig.from_dict({"runtime": "local", "duration_s": args.duration_s, "K": args.K, "seed": args.seed,
                               "schemes": ["Cen-Opt-WM", "Dec-TFC-WM"], "faults": {"model": "none"},
                               "constellation": {"tle": [tle]},
                               "region": {"center_lat_deg": lat, "center_lon_deg": lon, "selection": selection}})
    res = run_episode(cfg, progress=False)
    rows = {r["scheme"]: r for r in res.summary["schemes"]}
    first = res.info["members"][0]["sets"][0]["members"]
    return cfg, res, rows, first


def _max_latency_ms(cfg, members):
    from agents.live.world import EpisodeWorld
    from network.cooperation import member_paths
    from network.links import LinkConfig
    w = EpisodeWorld(cfg)
    snap = w.snapshot(0.0)
    lat, _ = member_paths(snap.csgraph(snap.latency_s(LinkConfig())), np.array([[m["id"] for m in members]]))
    off = lat[0][~np.eye(len(members), dtype=bool)]
    return float(np.max(off)) * 1e3, w


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--duration-s", type=float, default=10.0)
    ap.add_argument("--K", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--walker-drops", type=int, default=300)
    args = ap.parse_args(argv)

    from constellation.synthetic import starlink_like_catalog
    syn = starlink_like_catalog(np.random.default_rng(args.seed))
    tmp = tempfile.mkdtemp(prefix="satcoop-bench-regions-")
    tle = os.path.join(tmp, "starlike.tle")
    with open(tle, "w") as f:
        f.write(syn.to_tle())
    print(f"catalogue: starlink_like_catalog(seed {args.seed}), {len(syn.satrecs)} records; episodes "
          f"{args.duration_s:g} s, local runtime, no faults, S = 3, K = {args.K}")
    head = (f"{'centre':<13} {'rule':<9} {'shells':<9} {'max lat':>8} {'missed':>7} {'fallback':>8} "
            f"{'Cen-Opt-WM':>10} {'Dec-TFC-WM':>10} {'warn':>4} {'unreach':>7}")
    print(head)
    print(f"{'':<13} {'':<9} {'':<9} {'ms':>8} {'share':>7} {'share':>8} {'bit/s/Hz':>10} {'bit/s/Hz':>10}")
    times, snaps = [], []
    agg = {"nearest": [], "connected": []}
    for name, lat0, lon0 in CITIES:
        for rule in ("nearest", "connected"):
            cfg, res, rows, first = _episode(tle, lat0, lon0, rule, args)
            lat_ms, w = _max_latency_ms(cfg, first)
            cen, dec = rows["Cen-Opt-WM"], rows["Dec-TFC-WM"]
            shells = ",".join("T" if m.get("transit") else str(m["shell"]) for m in first)
            n_unr = sum(e["type"] == "unreachable" for e in res.summary["events"])
            lat_text = "no route" if not np.isfinite(lat_ms) else f"{lat_ms:.1f}"
            print(f"{name:<13} {rule:<9} {shells:<9} {lat_text:>8} {cen['missed_update_share']:>7.3f} "
                  f"{cen['fallback_share']:>8.3f} {cen['sum_rate_mean_bps_hz']:>10.2f} "
                  f"{dec['sum_rate_mean_bps_hz']:>10.2f} {len(res.summary['warnings']):>4} {n_unr:>7}")
            agg[rule].append((cen["missed_update_share"], cen["fallback_share"], cen["sum_rate_mean_bps_hz"],
                              dec["sum_rate_mean_bps_hz"]))
            if rule == "connected":
                d = w.regions[0].drops
                t_snap, _ = timed_best(lambda: w.topology.snapshot(*w.states(0.0), t_s=0.0), args.repeats)
                t_sel, _ = timed_best(lambda: w.select(0, 0.0, d.ut_itrs_m[0], d.ut_lat_deg[0], d.ut_lon_deg[0]),
                                      args.repeats)
                times.append(t_sel)
                snaps.append(t_snap)
    for rule, v in agg.items():
        a = np.array(v)
        print(f"mean over the 12 centres, {rule:<9}: missed {a[:, 0].mean():.3f}, fallback {a[:, 1].mean():.3f}, "
              f"Cen-Opt-WM {a[:, 2].mean():.2f}, Dec-TFC-WM {a[:, 3].mean():.2f} bit/s/Hz")
    print(f"selection per update (candidates + connected selection, one region, {syn and len(syn.satrecs)} records): "
          f"median {np.median(times) * 1e3:.1f} ms, max {np.max(times) * 1e3:.1f} ms; topology snapshot "
          f"median {np.median(snaps) * 1e3:.1f} ms (computed once per tick for the bus anyway)")

    # the Walker default: how often the two rules agree, per latency bound
    from agents.config.cooperation import SelectionFields
    from constellation.scenario import World, WorldConfig
    from network.selector import selector_for
    base = World(WorldConfig(S=3, K=12))
    near = base.draw_drops(args.walker_drops, 2026)
    for bound in (0.05, 0.1, 0.15, 0.2):
        w = World(WorldConfig(S=3, K=12), selector=selector_for(
            base.constellation, SelectionFields(max_member_latency_s=bound), 3, 10.0))
        d = w.draw_drops(args.walker_drops, 2026)
        same = (np.sort(d.sat_ids, 1) == np.sort(near.sat_ids, 1)).all(1).mean()
        dbeta = 10 * np.log10(d.csi.beta.mean() / near.csi.beta.mean())
        print(f"Walker default, {args.walker_drops} drops of seed 2026, bound {bound * 1e3:.0f} ms: connected = nearest "
              f"in {same:.3f} of drops; mean beta {dbeta:+.2f} dB vs nearest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
