"""Benchmark: shells with transit and cooperating sets that can cooperate, on a real-size catalogue.

1. Builds the Starlink-shaped synthetic catalogue (:func:`constellation.synthetic.starlink_like_catalog`),
   loads it through ``load_catalog`` (TLE round trip) and prints the inferred shells and transit
   groups next to the generator's truth (the table in :mod:`constellation.shells`' docstring).
2. At 12 city centres (800 km regions, K UTs each, S = 3): the members, their shells and the largest
   member-to-member ISL latency over the links up, for the old rule ("nearest") and the new default
   ("connected"), at ``--times`` instants; with and without cross-shell links.
3. Selection time per region (candidates above the mask + selection, and the selection alone), best of
   ``--repeats``; the topology snapshot and the SGP4 propagation are timed separately.
4. The Walker default (1680 satellites, 28 x 60, 600 km, 53 deg): how often "connected" differs from
   "nearest" over random regions and times, for several latency bounds, and how much farther the
   connected members are.

Prints measured figures; asserts nothing.

    .venv/bin/python scripts/bench_cooperation.py [--seed 0] [--walker-regions 1000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import timed_best                                          # noqa: E402
from constellation.catalog import load_catalog                              # noqa: E402
from constellation.ephemeris import Constellation                           # noqa: E402
from constellation.frames import geodetic_to_itrs                           # noqa: E402
from constellation.ground import sample_cap, visible_candidates             # noqa: E402
from constellation.synthetic import STARLINK_2026_SHELLS, starlink_like_catalog   # noqa: E402
from network.cooperation import SelectionRule, select_cooperating_sets       # noqa: E402
from network.topology import CrossShellConfig, for_constellation             # noqa: E402

CITIES = (("Paris", 48.85, 2.35), ("New York", 40.71, -74.01), ("Tokyo", 35.68, 139.69),
          ("Sydney", -33.87, 151.21), ("Sao Paulo", -23.55, -46.63), ("Cape Town", -33.92, 18.42),
          ("Delhi", 28.61, 77.21), ("Nairobi", -1.29, 36.82), ("Los Angeles", 34.05, -118.24),
          ("Singapore", 1.35, 103.82), ("Buenos Aires", -34.60, -58.38), ("Reykjavik", 64.15, -21.94))


def shell_table(prov) -> list[str]:
    lines = [f"{'shell':>5} {'inc deg':>8} {'alt km':>8} {'sats':>6} {'planes':>6} {'per plane':>9}"]
    for s in prov["shells"]:
        lines.append(f"{s['shell']:>5} {s['inclination_deg']:>8.3f} {s['altitude_km']:>8.1f} {s['satellites']:>6} "
                     f"{s['planes']:>6} {s['sats_per_plane_min']:>4}-{s['sats_per_plane_max']:<4}")
    tr = prov["transit"]
    lines.append(f"transit {tr['satellites']}: " + ", ".join(f"{k} {v}" for k, v in tr["by_reason"].items()))
    for g in tr["groups"]:
        lines.append(f"  group {g['inclination_deg']:.2f} deg / {g['altitude_km']:.1f} km: {g['satellites']} sats, "
                     f"{g['planes']} planes of >= 4, at most {g['sats_per_plane_max']} per plane")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--k-uts", type=int, default=4)
    ap.add_argument("--S", type=int, default=3)
    ap.add_argument("--times", type=float, nargs="+", default=[0.0, 2400.0])
    ap.add_argument("--walker-regions", type=int, default=1000)
    args = ap.parse_args(argv)

    # 1. catalogue and shells
    syn = starlink_like_catalog(np.random.default_rng(args.seed))
    path = os.path.join(tempfile.mkdtemp(), "starlike.tle")
    with open(path, "w") as f:
        f.write(syn.to_tle())
    t_load, (c, prov) = timed_best(lambda: load_catalog(tle=[path]), 1)
    truth = syn.truth_by_norad()
    t_tr = np.array([truth[int(k)][3] for k in c.norad_id])
    print(f"[1] Starlink-shaped catalogue, seed {args.seed}: {len(syn.satrecs)} records, {c.n} kept, "
          f"{len(STARLINK_2026_SHELLS)} generated shells, {int(syn.transit.sum())} generated in transit; "
          f"load_catalog {t_load:.2f} s")
    for line in shell_table(prov):
        print("    " + line)
    print(f"    transit tags vs truth: {int((t_tr & c.transit).sum())} agree, {int((t_tr & ~c.transit).sum())} truth-"
          f"transit put in a shell, {int((~t_tr & c.transit).sum())} shell members tagged transit")

    # 2. 12 centres, nearest vs connected
    topo = for_constellation(c)
    cross = for_constellation(c, cross_shell=CrossShellConfig())
    clat = np.array([x[1] for x in CITIES])
    clon = np.array([x[2] for x in CITIES])
    rng = np.random.default_rng(args.seed + 1)
    lat, lon = sample_cap(clat, clon, 800.0, args.k_uts, rng)
    ut = geodetic_to_itrs(lat, lon, 0.0)
    for t in args.times:
        t_prop, (r, v) = timed_best(lambda: c.state_itrs(t), args.repeats)
        t_snap, snap = timed_best(lambda: topo.snapshot(r, v, t_s=t), args.repeats)
        t_xsnap, xsnap = timed_best(lambda: cross.snapshot(r, v, t_s=t), args.repeats)
        t_cand, (ids, dist, nq) = timed_best(lambda: visible_candidates(r, ut, clat, clon, 10.0, lat, lon), args.repeats)
        out = {}
        for label, rule, sn in (("nearest", SelectionRule("nearest", allow_transit=True), snap),
                                ("connected", SelectionRule(), snap),
                                ("nearest+cross", SelectionRule("nearest", allow_transit=True), xsnap),
                                ("connected+cross", SelectionRule(), xsnap)):
            snap_fresh = lambda: type(sn)(sn.n, sn.edges, sn.kind, sn.length_m, sn.up, sn.reason)   # no cache
            t_sel, res = timed_best(lambda: select_cooperating_sets(ids, snap_fresh(), args.S, shell=c.shell,
                                                                 transit=c.transit, cost=dist, rule=rule), args.repeats)
            out[label] = (res, t_sel)
        print(f"\n[2] t = {t:g} s: SGP4 + ITRS {t_prop * 1e3:.1f} ms, +Grid snapshot {t_snap * 1e3:.1f} ms, with "
              f"cross-shell links {t_xsnap * 1e3:.1f} ms; candidates above the mask for 12 regions "
              f"{t_cand * 1e3:.1f} ms (median {int(np.median(nq))} per region)")
        print(f"    {'centre':<13}{'nearest members (shells)':<34}{'max ms':>8}   {'connected members (shells)':<34}"
              f"{'max ms':>8}   {'nearest, cross links':>20}   {'connected, cross links':>22}")
        for b, (name, _, _) in enumerate(CITIES):
            cells = []
            for label in ("nearest", "connected", "nearest+cross", "connected+cross"):
                res = out[label][0]
                m = ",".join(str(int(x)) for x in res.members[b])
                sh = ",".join("T" if c.transit[x] else str(int(c.shell[x])) for x in res.members[b] if x >= 0)
                lat_ms = res.max_latency_s[b] * 1e3
                cells.append((f"{m} ({sh})", "no route" if not np.isfinite(lat_ms) else f"{lat_ms:.1f}"))
            print(f"    {name:<13}{cells[0][0]:<34}{cells[0][1]:>8}   {cells[1][0]:<34}{cells[1][1]:>8}   "
                  f"{cells[2][1]:>20}   {cells[3][1]:>22}")
        for label in out:
            res, t_sel = out[label]
            mixed = sum(np.unique(res.shell[b]).size > 1 for b in range(len(CITIES)))
            print(f"    {label:<14}: reachable within {res.rule.max_member_latency_s * 1e3:g} ms at "
                  f"{int(res.reachable.sum())}/12, routed at {int(res.routed.sum())}/12, members from 2+ shells at "
                  f"{mixed}/12, transit members {int(sum(c.transit[m].any() for m in res.members))}/12; selection "
                  f"{t_sel * 1e3:.1f} ms for 12 regions = {t_sel / 12 * 1e3:.2f} ms per region "
                  f"(+ {t_cand / 12 * 1e3:.2f} ms candidates)")

    # 4. Walker default
    w = Constellation.walker()
    wtopo = for_constellation(w)
    rng = np.random.default_rng(args.seed + 2)
    per = 20
    bounds = (0.05, 0.1, 0.15, 0.2)
    agree = dict.fromkeys(bounds, 0)
    farther = {b: [] for b in bounds}
    lat_near, total, t_sel_w = [], 0, []
    for _ in range(max(1, args.walker_regions // per)):
        t = float(rng.uniform(0.0, 5800.0))
        r, v = w.state_itrs(t)
        snap = wtopo.snapshot(r, v)
        lat0 = np.degrees(np.arcsin(rng.uniform(-np.sin(np.radians(60)), np.sin(np.radians(60)), per)))
        lon0 = rng.uniform(-180.0, 180.0, per)
        la, lo = sample_cap(lat0, lon0, 800.0, args.k_uts, rng)
        ids, dist, nq = visible_candidates(r, geodetic_to_itrs(la, lo, 0.0), lat0, lon0, 10.0, la, lo)
        near = select_cooperating_sets(ids, snap, args.S, shell=w.shell, cost=dist, rule=SelectionRule("nearest"))
        ok = nq >= args.S
        total += int(ok.sum())
        lat_near += near.max_latency_s[ok].tolist()
        cen = geodetic_to_itrs(lat0, lon0, 0.0)
        for bnd in bounds:
            t0 = time.perf_counter()
            conn = select_cooperating_sets(ids, snap, args.S, shell=w.shell, cost=dist,
                                           rule=SelectionRule(max_member_latency_s=bnd))
            if bnd == 0.05:
                t_sel_w.append((time.perf_counter() - t0) / per)
            agree[bnd] += int(np.all(near.members == conn.members, axis=1)[ok].sum())
            for i in np.flatnonzero(ok & conn.reachable):
                farther[bnd].append(np.linalg.norm(r[conn.members[i]] - cen[i], axis=1).mean()
                                    / np.linalg.norm(r[near.members[i]] - cen[i], axis=1).mean())
    p = np.percentile(np.array(lat_near) * 1e3, [10, 50, 90, 99])
    print(f"\n[4] Walker default, {total} random regions (|lat| <= 60 deg, random times over one orbit): the 3 "
          f"nearest have max member latency p10 {p[0]:.1f} / p50 {p[1]:.1f} / p90 {p[2]:.1f} / p99 {p[3]:.1f} ms; "
          f"selection {np.median(t_sel_w) * 1e3:.2f} ms per region")
    for bnd in bounds:
        print(f"    max_member_latency_s = {bnd:g}: connected == nearest at {agree[bnd] / total:.3f} of regions; "
              f"connected members {np.mean(farther[bnd]):.3f}x as far from the centre on average")
    return 0


if __name__ == "__main__":
    sys.exit(main())
