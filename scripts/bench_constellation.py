"""Benchmark: a real-size (~10,000 satellites) element-set constellation, end to end.

Builds a Starlink-like synthetic catalogue (:func:`constellation.synthetic.synthetic_catalog`:
six perturbed Walker-delta shells and an Iridium-like Walker-star shell, per-satellite epochs
over two days, RAAN / phasing noise, plus re-entering, raising, stale and duplicated records),
writes it as a 3-line TLE file, and measures (wall time, best of ``--repeats`` where cheap):

1. import + dedup + screening + shell inference (``constellation.catalog.load_catalog``), with
   the recovered shells and planes checked against the generator's ground truth;
2. SGP4 + ITRS propagation of all satellites over one orbit at 60 s steps;
3. +Grid: construction, rebuilds per second from precomputed positions (goal >= 10/s), and
   per live tick including the propagation; the same for k-nearest within a shell;
4. link dynamics over one orbit (``network.topology.link_dynamics``): survival at 60 s, lifetime,
   relative speed and range rate of the links, for +Grid, k-nearest within a shell, and
   k-nearest over the whole mixed set (the old behaviour, union and mutual).

Prints measured figures; asserts nothing about timing. ``--write FILE`` keeps the TLE file
(e.g. to try ``satcoop world --tle FILE``).

    .venv/bin/python scripts/bench_constellation.py [--seed 0] [--write /tmp/starlike.tle] [--no-dynamics]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import timed_best                                          # noqa: E402
from constellation.catalog import load_catalog                      # noqa: E402
from constellation.ephemeris import Constellation                   # noqa: E402
from constellation.synthetic import synthetic_catalog               # noqa: E402
from constellation.tle import read_tle                              # noqa: E402
from constellation.walker import WalkerDelta                        # noqa: E402
from network.topology import GridTopology, NearestTopology, for_constellation, link_dynamics   # noqa: E402

STARLIKE_SHELLS = (
    dict(total=1584, planes=72, phasing=1, altitude_km=550.0, inclination_deg=53.0),
    dict(total=1584, planes=72, phasing=1, altitude_km=540.0, inclination_deg=53.2, raan0_deg=2.5),
    dict(total=720, planes=36, phasing=1, altitude_km=570.0, inclination_deg=70.0),
    dict(total=348, planes=6, phasing=1, altitude_km=560.0, inclination_deg=97.6),
    dict(total=3360, planes=48, phasing=1, altitude_km=530.0, inclination_deg=43.0),
    dict(total=2240, planes=28, phasing=1, altitude_km=525.0, inclination_deg=33.0),
    dict(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star"),
)


def recovery(syn, c) -> dict:
    """Shell / plane recovery against the generator's ground truth (operational satellites only)."""
    truth = {}
    for i, sat in enumerate(syn.satrecs):
        if syn.role[i] == "operational":
            truth[sat.satnum] = (int(syn.shell[i]), int(syn.plane[i]))
    norad = c.norad_id
    pairs = [(truth[int(s)], (int(c.shell[i]), int(c.plane[i]))) for i, s in enumerate(norad) if int(s) in truth]
    t2i, i2t = {}, {}
    for t, i in pairs:
        t2i.setdefault(t, set()).add(i)
        i2t.setdefault(i, set()).add(t)
    true_planes = len({t for t, _ in pairs})
    exact = sum(1 for t, s in t2i.items() if len(s) == 1 and len(i2t[next(iter(s))]) == 1 and next(iter(s))[0] >= 0)
    return {"operational_in_set": len(pairs), "true_planes": true_planes, "planes_recovered_exactly": exact,
            "operational_unassigned": sum(1 for _, i in pairs if i[0] < 0)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--write", default=None, help="keep the TLE file at this path")
    ap.add_argument("--no-dynamics", action="store_true", help="skip the link-dynamics part (the slowest)")
    ap.add_argument("--dynamics-step-s", type=float, default=20.0)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    shells = [WalkerDelta(**s) for s in STARLIKE_SHELLS]
    t0 = time.perf_counter()
    syn = synthetic_catalog(shells, rng, epoch_spread_days=2.0, n_decaying=5, n_raising=60, n_stale=30,
                            n_duplicates=400)
    t_gen = time.perf_counter() - t0
    path = args.write or os.path.join(tempfile.mkdtemp(), "starlike.tle")
    with open(path, "w") as f:
        f.write(syn.to_tle())
    print(f"synthetic catalogue: {len(syn.satrecs)} records ({sum(w.total for w in shells)} operational in "
          f"{len(shells)} shells, {syn.count('duplicate_old')} older duplicates, {syn.count('decaying')} decaying, "
          f"{syn.count('raising')} raising, {syn.count('stale')} stale) generated in {t_gen:.2f} s -> {path} "
          f"({os.path.getsize(path) / 1e6:.1f} MB)")

    # 1. import + dedup + shell inference
    t_read, _ = timed_best(lambda: read_tle(path), args.repeats)
    t_load, (c, prov) = timed_best(lambda: load_catalog(tle=[path]), args.repeats)
    print(f"\n[1] import (read_tle, checks): {t_read:.3f} s; full load_catalog (import + dedup + filters + "
          f"screening + shell inference): {t_load:.3f} s")
    print(f"    satellites {prov['satellites']}, dropped {prov['dropped']}, filtered_by {prov['filtered_by']}, "
          f"unassigned {prov['unassigned']}")
    for s in prov["shells"]:
        print(f"    shell {s['shell']}: {s['inclination_deg']:7.3f} deg {s['altitude_km']:7.2f} km  "
              f"{s['satellites']:5d} sats  {s['planes']:3d} planes  {s['sats_per_plane_min']}-{s['sats_per_plane_max']}"
              f" per plane  RAAN spread {s['raan_spread_deg']:.1f} deg")
    print(f"    ground truth: {json.dumps(recovery(syn, c))}")

    # 2. propagation over one orbit at 60 s steps
    period = 2 * np.pi / np.median([s.no_kozai for s in c.satrecs]) * 60.0
    times = np.arange(0.0, period, 60.0)
    t_prop, (r, v, ok) = timed_best(lambda: c.state_itrs_present(times), 1)
    print(f"\n[2] propagation: {c.n} satellites x {times.size} times (one orbit, {period:.0f} s, at 60 s) = "
          f"{c.n * times.size:,} states in {t_prop:.2f} s ({c.n * times.size / t_prop / 1e6:.2f} M states/s); "
          f"absent satellite-times {int((~ok).sum())}")
    later = np.arange(0.0, 2 * 86400.0 + 1, 1800.0)
    t_later, okl = timed_best(lambda: c.present(later), 1)
    gone = np.flatnonzero(~okl.all(axis=0))
    print(f"    masking over the next 2 days (30 min steps, {t_later:.2f} s): {gone.size} satellites absent at some "
          f"time ({', '.join(c.names[i] for i in gone[:6])}), first at t = "
          f"{later[np.argmax(~okl.all(axis=1))]:.0f} s; nothing raised")

    # 3. topology rebuilds
    t_build, grid = timed_best(lambda: GridTopology.from_constellation(c), 1)
    deg = np.bincount(grid.edges.ravel(), minlength=c.n)
    assigned = c.shell >= 0
    print(f"\n[3] +Grid construction (inferred structure): {t_build:.2f} s, {len(grid.edges)} candidate links, "
          f"candidate degree of satellites in a shell: min {deg[assigned].min()} max {deg[assigned].max()} "
          f"(== 4: {np.mean(deg[assigned] == 4):.4f})")
    k_rebuild = 20
    t_snap, snap = timed_best(lambda: [grid.snapshot(r[i % len(r)], v[i % len(r)]) for i in range(k_rebuild)], 1)
    print(f"    +Grid rebuilds from precomputed positions: {k_rebuild / t_snap:.1f} /s "
          f"({t_snap / k_rebuild * 1e3:.1f} ms each); up {snap[0].up.sum()} of {len(snap[0].up)}")
    t_tick, _ = timed_best(lambda: [grid.snapshot(*c.state_itrs(60.0 * i)) for i in range(10)], 1)
    print(f"    +Grid live tick (SGP4 + ITRS for all + rebuild): {10 / t_tick:.1f} /s ({t_tick / 10 * 1e3:.1f} ms each)")
    knn = for_constellation(c, mode="knn")
    t_knn, _ = timed_best(lambda: [knn.snapshot(r[i], v[i]) for i in range(10)], 1)
    print(f"    k-nearest (k=4, within a shell) rebuilds: {10 / t_knn:.1f} /s ({t_knn / 10 * 1e3:.1f} ms each)")

    if args.no_dynamics:
        return 0
    # 4. link dynamics over one orbit
    tt = np.arange(0.0, period, args.dynamics_step_s)
    raw = Constellation(*read_tle(path))
    raw.min_altitude_km = None
    cases = [("+Grid (inferred shells)", grid, c), ("k-nearest within a shell", knn, c),
             ("k-nearest within a shell, co-moving 30 deg", for_constellation(c, mode="knn", max_velocity_angle_deg=30.0), c),
             ("k-nearest, whole raw file (old)", NearestTopology(raw.n, 4), raw),
             ("k-nearest mutual, whole raw file (old)", NearestTopology(raw.n, 4, mutual=True), raw)]
    print(f"\n[4] link dynamics over one orbit at {args.dynamics_step_s:g} s steps ({tt.size} rebuilds each)")
    print(f"    {'mode':<44}{'links':>7}{'deg':>6}{'comp':>6}{'surv60':>8}{'life_med_s':>11}{'life_mean_s':>12}"
          f"{'|dv| med':>9}{'|dv| p90':>9}{'rdot med':>9}{'x-shell':>8}{'inc>5':>7}")
    for label, topo, con in cases:
        t1 = time.perf_counter()
        d = link_dynamics(topo, con, tt)
        el = time.perf_counter() - t1
        print(f"    {label:<44}{d['links']:>7}{d['mean_degree']:>6.2f}{d['components']:>6}{d['survival']:>8.3f}"
              f"{d['lifetime_s_median']:>11.0f}{d['lifetime_s_mean']:>12.0f}{d['relative_speed_km_s_median']:>9.2f}"
              f"{d['relative_speed_km_s_p90']:>9.2f}{d['range_rate_km_s_median']:>9.3f}"
              f"{d.get('cross_shell', float('nan')):>8.3f}{d['inclination_mismatch_5deg']:>7.3f}   ({el:.1f} s)")
    print("    (deg: mean degree at t0; comp: connected components; surv60: fraction of t0 links still up 60 s later;"
          " lifetime censored at the horizon; |dv|: inertial relative speed km/s; rdot: |range rate| km/s;"
          " x-shell: links joining two inferred shells; inc>5: links whose ends' inclinations differ by > 5 deg)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
