"""Acceptance of the learned precoders (Cen-TFC-WM, Dec-TFC-WM) on held-out drops, in one run.

Prints the three tables the learned-precoder issue asks for, all from
:func:`agents.experiments.compare.run_compare` (the code behind ``satcoop compare``) on drops of
``--seed`` (default 1; the shipped nets were trained and validated on seed 2026):

1. S = 3, K = 12, every power of -10..10 dBW: sum rate of Sep-Opt-WM, Cen-Opt-WM, Cen-Opt-ER and
   both nets, each net's share of Cen-Opt-WM and of Cen-Opt-ER (targets: Cen-TFC-WM >= 0.95,
   Dec-TFC-WM >= 0.90 of Cen-Opt-WM and above Sep-Opt-WM at P >= 0 dBW);
2. without retraining: K in {6, 18, 24, 30} at S = 3 and S in {2, 4} at K = 12: each net's share of
   Cen-Opt-WM at -10, 0, 10 dBW;
3. inference time per drop, same machine, same batch, same run, one torch thread each (best of
   ``--repeats`` rounds of one call of each scheme, interleaved, on one batch of ``--batch`` drops,
   each call on a fresh problem: nothing memoised by an earlier call; ``--clock cpu``: the thread's
   CPU time), Cen-Opt-WM / Cen-TFC-WM, Cen-TFC-WM's reference path (:mod:`agents.nets.fast`), and Dec-TFC-WM per
   satellite (its on-board entry for one satellite, all others known), with the flops each
   scheme reports (what the live simulation charges);
4. the evaluation protocol across worlds (``--only worlds``), on held-out drops of ``--seed``: per
   world and power, each learned scheme's share of Cen-Opt-WM and of Cen-Opt-ER with a 95% paired
   interval (:func:`paired_share`: the ratio of the mean rates, its interval from the per-drop
   residuals x_i - r y_i, Student t): (a) the Walker default, S = 3, K = 12, -10..10 dBW; (b) a
   real-size Starlink-shaped catalogue (:func:`constellation.synthetic.starlink_like_catalog`, seed
   ``--catalog-seed``, none of the training catalogues' seeds) as a TLE file; (c) Walker at 1,200 km
   and at 340 km (53 deg, the default's density of usable satellites: :func:`agents.nets.worlds.walker_size`);
   (d) S = 4, K = 12 and S = 3, K = 30 on the Walker default; (e) ``--tle FILE`` if given.

    .venv/bin/python scripts/bench_learned.py [--weights runs/train-cen/best.pt runs/train-dec/best.pt]
                                              [--drops 40] [--seed 1] [--only main gen time profile worlds] [--json out.json]
                                              [--world-drops 12] [--catalog-seed 4242] [--tle FILE]

Wall times depend on the machine's load; the ratios are measured side by side.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from _timing import best_of  # noqa: E402
from agents.config import CompareConfig  # noqa: E402
from agents.experiments.compare import run_compare  # noqa: E402

POWERS = [-10.0, -5.0, 0.0, 5.0, 10.0]
NETS = ("Cen-TFC-WM", "Dec-TFC-WM")


def _rates(summary) -> dict:
    return {(r.scheme, float(r.power_dbw)): float(r.sum_rate_bps_hz) for r in summary.itertuples()}


def main_table(args) -> dict:
    schemes = ["Sep-Opt-WM", "Cen-Opt-WM"] + ([] if args.no_er else ["Cen-Opt-ER"]) + list(NETS)
    res = run_compare(CompareConfig(S=3, K=12, drops=args.drops, seed=args.seed, power_dbw=POWERS, schemes=schemes,
                                    weights=args.weights, samples=args.samples))
    r = _rates(res.summary)
    print(f"\n1. held-out drops: S=3, K=12, {args.drops} drops of seed {args.seed}; sum rate (bit/s/Hz), share of Cen-Opt-WM"
          + ("" if args.no_er else " / of Cen-Opt-ER"))
    head = "P_s dBW " + "".join(f"{n:>12}" for n in schemes[:-2]) + "".join(f"{n:>26}" for n in NETS)
    print(head)
    rows = []
    for p in POWERS:
        line = f"{p:7.0f} " + "".join(f"{r[(n, p)]:12.2f}" for n in schemes[:-2])
        row = {"power_dbw": p, **{n: r[(n, p)] for n in schemes}}
        for n in NETS:
            share = r[(n, p)] / r[("Cen-Opt-WM", p)]
            row[f"{n} / Cen-Opt-WM"] = share
            cell = f"{r[(n, p)]:.2f} ({share:.3f}"
            if not args.no_er:
                row[f"{n} / Cen-Opt-ER"] = r[(n, p)] / r[("Cen-Opt-ER", p)]
                cell += f" / {row[f'{n} / Cen-Opt-ER']:.3f}"
            line += f"{cell + ')':>26}"
        rows.append(row)
        print(line)
    cen = min(row["Cen-TFC-WM / Cen-Opt-WM"] for row in rows)
    dec = min(row["Dec-TFC-WM / Cen-Opt-WM"] for row in rows)
    above = all(row["Dec-TFC-WM"] > row["Sep-Opt-WM"] for row in rows if row["power_dbw"] >= 0)
    print(f"   lowest share: Cen-TFC-WM {cen:.3f} (target >= 0.95: {'met' if cen >= 0.95 else 'NOT met'}), "
          f"Dec-TFC-WM {dec:.3f} (target >= 0.90: {'met' if dec >= 0.90 else 'NOT met'}); "
          f"Dec-TFC-WM above Sep-Opt-WM at P >= 0 dBW: {above}")
    return {"rows": rows, "min_share": {"Cen-TFC-WM": cen, "Dec-TFC-WM": dec}, "dec_above_sep": above}


def generalisation_table(args) -> list[dict]:
    points = [(3, 6), (3, 18), (3, 24), (3, 30), (2, 12), (4, 12)]
    powers = [-10.0, 0.0, 10.0]
    print(f"\n2. without retraining (trained at S=3, K=12): share of Cen-Opt-WM, {args.gen_drops} drops of seed {args.seed}")
    print("  S  K " + "".join(f"{n + ' ' + f'{p:g}':>18}" for n in NETS for p in powers))
    out = []
    for s, k in points:
        res = run_compare(CompareConfig(S=s, K=k, drops=args.gen_drops, seed=args.seed, power_dbw=powers,
                                        schemes=["Cen-Opt-WM", *NETS], weights=args.weights, samples=args.samples))
        r = _rates(res.summary)
        row = {"S": s, "K": k, **{f"{n} {p:g}": r[(n, p)] / r[("Cen-Opt-WM", p)] for n in NETS for p in powers}}
        out.append(row)
        print(f"{s:3d}{k:3d} " + "".join(f"{row[f'{n} {p:g}']:18.3f}" for n in NETS for p in powers))
    return out


def _thread_seconds(fn) -> float:
    """CPU time (s) of this thread for one call of ``fn()``: on a loaded shared machine it leaves out
    the time spent waiting for a core (one torch thread, so the thread's time is the call's work)."""
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def timing_table(args) -> list[dict]:
    from agents.nets.dec_tfc import OthersView
    from agents.nets.schemes import load_net, resolve_weights
    from agents.precoding.problem import PrecodingProblem
    from agents import schemes as catalog
    from constellation.scenario import World, WorldConfig

    torch.set_num_threads(1)
    clock = _thread_seconds if args.clock == "cpu" else (lambda fn: best_of(fn, 1))
    csi = World(WorldConfig(S=3, K=12)).draw_drops(args.batch, args.seed).csi
    weights = {"weights": args.weights} if args.weights else {}
    local = catalog.get("Dec-TFC-WM").local
    cen_net = load_net(resolve_weights("cen", args.weights or None))
    ref = "Cen-TFC-WM ref"

    def run_scheme(name, problem, **options):
        if name != ref:
            return catalog.run(name, problem, **options)
        cen_net.fast = False                   # the reference path (agents.nets.fast module docstring)
        try:
            return catalog.run("Cen-TFC-WM", problem, **options)
        finally:
            cen_net.fast = True

    print(f"\n3. inference time per drop (ms, {'thread CPU' if args.clock == 'cpu' else 'wall'} time), batch of "
          f"{args.batch} drops (S=3, K=12), best of {args.repeats} interleaved rounds, 1 torch thread for every "
          f"scheme, a fresh problem per call; flops per drop (Dec-TFC-WM: per satellite)")
    print("P_s dBW  Cen-Opt-WM (iters)  Cen-TFC-WM   ratio  ref path  ratio  Dec-TFC-WM(all S)  Dec per sat   "
          "Mflop Cen-Opt-WM / Cen-TFC-WM / Dec per sat")
    out = []
    opts = {n: (weights if n in NETS or n == ref else {}) for n in ("Cen-Opt-WM", *NETS, ref)}
    warm = PrecodingProblem.from_csi(csi, power_dbw=POWERS[0])
    for _ in range(3):                         # a warm-up before the first power (allocator, caches, lazy init)
        for n in opts:
            run_scheme(n, dataclasses.replace(warm), **opts[n])
    for p in POWERS:
        prob = PrecodingProblem.from_csi(csi, power_dbw=p)
        hist = {n: run_scheme(n, prob, **opts[n])[1] for n in opts}            # warm-up, and the flops
        # interleaved (one call of each scheme per round, best round each): a load change on a shared
        # machine hits every scheme alike. Each timed call gets a fresh problem (the same tensors, no
        # QR / R_ut memoised by an earlier call: the live simulation builds one per decision), made
        # outside the timed region.
        t = {n: float("inf") for n in opts}
        for _ in range(args.repeats):
            for n in opts:
                fresh = dataclasses.replace(prob)
                t[n] = min(t[n], clock(lambda n=n, fresh=fresh: run_scheme(n, fresh, **opts[n])) / args.batch * 1e3)
        own = prob.take(sats=[0])
        view = OthersView.from_problem(prob, 0)
        loc_opts = {"weights": args.weights} if args.weights else {}
        local(own, view, **loc_opts)
        t_loc = min(clock(lambda: local(own, view, **loc_opts)) for _ in range(args.repeats)) / args.batch * 1e3
        fl = {n: float(hist[n]["flops"].double().mean()) / 1e6 for n in opts}
        fl_loc = fl["Dec-TFC-WM"] / 3
        iters = float(hist["Cen-Opt-WM"]["iterations"].double().mean())
        row = {"power_dbw": p, **{f"{n} ms": t[n] for n in opts}, "Dec-TFC-WM on-board ms per satellite": t_loc,
               "ratio Cen-Opt-WM / Cen-TFC-WM": t["Cen-Opt-WM"] / t["Cen-TFC-WM"],
               "ratio Cen-Opt-WM / Cen-TFC-WM ref": t["Cen-Opt-WM"] / t[ref], "Cen-Opt-WM mean iterations": iters,
               **{f"{n} Mflop": fl[n] for n in opts if n != ref}, "Dec-TFC-WM Mflop per satellite": fl_loc}
        out.append(row)
        print(f"{p:7.0f} {t['Cen-Opt-WM']:11.3f} ({iters:4.1f}) {t['Cen-TFC-WM']:11.3f} "
              f"{row['ratio Cen-Opt-WM / Cen-TFC-WM']:7.1f} {t[ref]:9.3f} {row['ratio Cen-Opt-WM / Cen-TFC-WM ref']:6.1f}"
              f" {t['Dec-TFC-WM']:18.3f} {t_loc:12.3f}   {fl['Cen-Opt-WM']:10.1f} / {fl['Cen-TFC-WM']:.2f} / {fl_loc:.2f}")
    return out


def profile_table(args) -> list[dict]:
    """Where Cen-TFC-WM's time goes (S=3, K=12, ``--batch`` drops, -10 dBW, 1 thread): each stage of
    the reference path and of the fast path (:mod:`agents.nets.fast`) called in sequence on a fresh
    problem, best of ``--repeats`` rounds per stage (thread CPU time); "rest of the call" = one
    whole scheme call minus its stages (checks, weights lookup, history, Python)."""
    import torch.nn.functional as F

    from agents import schemes as catalog
    from agents.nets import fast
    from agents.nets.cfr import cfr
    from agents.nets.features import link_features, upa_cosines, upa_fit
    from agents.nets.schemes import load_net, resolve_weights
    from agents.precoding.problem import PrecodingProblem
    from constellation.scenario import World, WorldConfig

    torch.set_num_threads(1)
    net = load_net(resolve_weights("cen", args.weights or None))
    cfg = net.config
    csi = World(WorldConfig(S=3, K=12)).draw_drops(args.batch, args.seed).csi
    base = PrecodingProblem.from_csi(csi, power_dbw=-10.0)
    opts = {"weights": args.weights} if args.weights else {}

    def ten_layers(h, lead=None):
        for mde, ln in zip(net.ten.mde, net.ten.ln):
            h = (fast._mde(mde, h, lead).relu_() if lead else torch.relu(mde(h)))
            h = F.layer_norm(h, ln.normalized_shape, ln.weight, ln.bias, ln.eps)
        return h

    def reference(prob, mark):
        cos = upa_cosines(prob.g, cfg.sat_upa, cfg.spacing_wl)
        mark("UPA check, direction cosines")
        _ = prob.r_ut
        mark("R_ut (14)")
        x = link_features(prob, cfg.sat_upa, cfg.ut_upa, cfg.spacing_wl, dtype=torch.float64, lags=True,
                          g_cosines=cos, inputs=cfg.inputs)
        mark("input features")
        h = net.ten.embed(x)
        mark("input Linear")
        h = ten_layers(h)
        mark("3 MDE layers + LN")
        c = net.fda(net.ten.out(h))
        mark("TEN output + FDA")
        _ = prob.steering_qr
        mark("QR of the steering vectors")
        cfr(prob, c, receiver=cfg.receiver)
        mark("CFR: recovery (26), budget, MMSE receivers (23)")

    def fast_path(prob, mark):
        fit = upa_fit(prob.g, cfg.sat_upa, cfg.spacing_wl)
        mark("UPA check, direction cosines")
        _ = prob.r_ut
        mark("R_ut (14)")
        b, s, k = prob.shape[:3]
        prep = fast._prepared(net)
        x = fast._rows(prob, cfg, fit)
        mark("input features")
        h = torch.addmm(prep["b_in"], x.view(b * s * k, -1), prep["w_in"].T)
        mark("input Linear")
        h = ten_layers(h, (b, s, k))
        mark("3 MDE layers + LN")
        c = net.fda(net.ten.out(h)).view(b, s, k, -1)
        mark("TEN output + FDA")
        mark("QR of the steering vectors")
        fast._recover(prob, c, cfg.receiver)
        mark("CFR: recovery (26), budget, MMSE receivers (23)")

    best = {}
    with torch.no_grad():
        for _ in range(args.repeats):
            for name, fn, use_fast in (("reference", reference, False), ("fast", fast_path, True)):
                prob = dataclasses.replace(base)      # a fresh problem (its checks run here, untimed)
                stamps = [time.thread_time()]

                def mark(stage, name=name, stamps=stamps):
                    now = time.thread_time()
                    key = (name, stage)
                    best[key] = min(best.get(key, float("inf")), now - stamps[0])
                    stamps[0] = now
                fn(prob, mark)
                net.fast = use_fast
                try:
                    fresh = dataclasses.replace(base)
                    t = _thread_seconds(lambda fresh=fresh: catalog.run("Cen-TFC-WM", fresh, **opts))
                finally:
                    net.fast = True
                best[(name, "whole call")] = min(best.get((name, "whole call"), float("inf")), t)
    stages = list(dict.fromkeys(st for (_, st) in best if st != "whole call"))
    print(f"\nprofile of one Cen-TFC-WM call at -10 dBW, S=3, K=12, batch of {args.batch} drops, 1 thread, "
          f"thread CPU time, best of {args.repeats} per stage (ms per batch)")
    print(f"{'stage':52s} {'reference':>10s} {'fast':>8s}")
    out = []
    for st in stages + ["rest of the call", "whole call"]:
        if st == "rest of the call":
            row = {n: best[(n, "whole call")] - sum(best[(n, x)] for x in stages) for n in ("reference", "fast")}
        else:
            row = {n: best[(n, st)] for n in ("reference", "fast")}
        out.append({"stage": st, **{f"{n} ms": v * 1e3 for n, v in row.items()}})
        print(f"{st:52s} {row['reference'] * 1e3:10.3f} {row['fast'] * 1e3:8.3f}")
    return out


def paired_share(x, y) -> tuple[float, float, float]:
    """Share r = mean(x) / mean(y) of paired per-drop rates and its 95% interval: the residuals
    d_i = x_i - r y_i have mean 0 at the true ratio; se(r) = sd(d) / (sqrt(n) mean(y)), Student t."""
    import numpy as np
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    r = x.mean() / y.mean()
    if len(x) < 2:
        return float(r), float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(x) - 1) * (x - r * y).std(ddof=1) / (np.sqrt(len(x)) * y.mean())
    return float(r), float(r - half), float(r + half)


def protocol_worlds(args) -> list[tuple[str, dict, list[float]]]:
    """(name, CompareConfig fields, powers) of the protocol's worlds (module docstring, table 4)."""
    import tempfile

    import numpy as np

    from agents.nets.worlds import walker_size
    from constellation.synthetic import starlink_like_catalog

    few = [-10.0, 0.0, 10.0]
    cat = Path(tempfile.mkdtemp(prefix="bench-learned-")) / f"starlike-seed{args.catalog_seed}.tle"
    cat.write_text(starlink_like_catalog(np.random.default_rng(args.catalog_seed)).to_tle())
    walker = lambda h: {"walker": dict(zip(("total", "planes"), walker_size(h)), altitude_km=h, inclination_deg=53.0)}
    out = [("(a) Walker default S=3 K=12", {"S": 3, "K": 12}, POWERS),
           (f"(b) Starlink-shaped catalogue, seed {args.catalog_seed}", {"constellation": {"tle": [str(cat)]}}, few),
           ("(c) Walker 1,200 km 53 deg", {"constellation": walker(1200.0)}, few),
           ("(c) Walker 340 km 53 deg", {"constellation": walker(340.0)}, few),
           ("(d) Walker default S=4 K=12", {"S": 4, "K": 12}, few),
           ("(d) Walker default S=3 K=30", {"S": 3, "K": 30}, few)]
    if args.tle:
        out.append((f"(e) {Path(args.tle).name}", {"constellation": {"tle": [args.tle]}}, few))
    return out


def worlds_table(args) -> list[dict]:
    import numpy as np

    refs = ("Cen-Opt-WM", "Cen-Opt-ER")
    print(f"\n4. protocol across worlds: {args.world_drops} held-out drops of seed {args.seed} per world; "
          f"share of Cen-Opt-WM / of Cen-Opt-ER [95% paired interval]")
    out = []
    for name, fields, powers in protocol_worlds(args):
        cfg = CompareConfig(**{"S": 3, "K": 12, **fields}, drops=args.world_drops, seed=args.seed, power_dbw=powers,
                            schemes=[*refs, *NETS], weights=args.weights, samples=args.samples)
        per = run_compare(cfg).drops
        print(f"  {name}")
        for p in powers:
            at = per[per.power_dbw == p]
            rate = {n: at[at.scheme == n].sort_values("drop").sum_rate_bps_hz.to_numpy() for n in (*refs, *NETS)}
            row = {"world": name, "power_dbw": p, **{f"{n} bit/s/Hz": float(np.mean(rate[n])) for n in (*refs, *NETS)}}
            cells = []
            for n in NETS:
                for ref in refs:
                    r, lo, hi = paired_share(rate[n], rate[ref])
                    row[f"{n} / {ref}"] = [r, lo, hi]
                cells.append(f"{n} {row[f'{n} / Cen-Opt-WM'][0]:.3f} [{row[f'{n} / Cen-Opt-WM'][1]:.3f}, "
                             f"{row[f'{n} / Cen-Opt-WM'][2]:.3f}] / {row[f'{n} / Cen-Opt-ER'][0]:.3f} "
                             f"[{row[f'{n} / Cen-Opt-ER'][1]:.3f}, {row[f'{n} / Cen-Opt-ER'][2]:.3f}]")
            print(f"    {p:5.0f} dBW  Cen-Opt-WM {row['Cen-Opt-WM bit/s/Hz']:7.2f}  " + "   ".join(cells))
            out.append(row)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", nargs="*", default=[], help="best.pt files of `satcoop train` (default: shipped)")
    ap.add_argument("--drops", type=int, default=40, help="held-out drops of table 1 (default 40)")
    ap.add_argument("--gen-drops", dest="gen_drops", type=int, default=20, help="drops per (S, K) of table 2 (default 20)")
    ap.add_argument("--seed", type=int, default=1, help="world seed of the drops (default 1, held out)")
    ap.add_argument("--samples", type=int, default=256, help="Monte Carlo samples of the rate (default 256)")
    ap.add_argument("--batch", type=int, default=40, help="drops per timed call (default 40)")
    ap.add_argument("--repeats", type=int, default=7, help="timed calls per scheme (best of; default 7)")
    ap.add_argument("--no-er", dest="no_er", action="store_true", help="leave Cen-Opt-ER out of table 1 (it is slow)")
    ap.add_argument("--only", choices=("main", "gen", "time", "profile", "worlds"), nargs="*", default=None,
                    help="tables to run (default all but profile)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="timing clock of table 3: wall (default) or cpu = this thread's CPU time (a loaded machine)")
    ap.add_argument("--world-drops", dest="world_drops", type=int, default=12, help="drops per world of table 4 (default 12)")
    ap.add_argument("--catalog-seed", dest="catalog_seed", type=int, default=4242,
                    help="seed of the Starlink-shaped catalogue of table 4 (default 4242, not a training seed)")
    ap.add_argument("--tle", default=None, help="an element-set file to add to table 4 as world (e)")
    ap.add_argument("--json", default=None, help="also write the tables to this JSON file")
    args = ap.parse_args(argv)
    only = set(args.only or ("main", "gen", "time", "worlds"))
    record = {"options": vars(args), "weights": args.weights or "shipped"}
    if "main" in only:
        record["main"] = main_table(args)
    if "gen" in only:
        record["generalisation"] = generalisation_table(args)
    if "time" in only:
        record["timing"] = timing_table(args)
    if "profile" in only:
        record["profile"] = profile_table(args)
    if "worlds" in only:
        record["worlds"] = worlds_table(args)
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
