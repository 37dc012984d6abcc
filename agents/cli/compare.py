"""``satcoop compare``: every registered precoding scheme on the same world drops, sum rate vs power.

    satcoop compare [--S 3] [--K 12] [--power-dbw -10 -5 0 5 10] [--drops 50] [--seed 0]
                    [--samples 256] [--max-iter 100] [--tol 1e-4] [--batch 64]
                    [--schemes NAME ...] [--threads 1] [--json] [--plot FILE.png] [--no-progress]

The drops come from the world model (``constellation.scenario.World``) with the
seed; every scheme of ``agents.precoding.baselines.SCHEMES`` (later issues
register more) runs on the same drops at every power (the per-satellite budget
P_s, dBW, in the world's per-subcarrier convention), batched over ``--batch``
drops. The sum rate of a drop is the ergodic sum rate (16), Monte Carlo with
``--samples`` draws from torch generators seeded from ``--seed`` (one per fixed
block of 64 drops, the same for every scheme and power: common random numbers,
and a drop's result does not depend on ``--batch``).

Output per (scheme, power): ``sum_rate_bps_hz`` (mean over drops, bit/s/Hz),
``sum_rate_std`` (standard deviation over drops), ``sum_rate_sem`` (standard
error of that mean), ``mc_stderr`` (mean Monte Carlo standard error per drop),
``runtime_s_per_drop`` (wall time of the scheme, batched, divided by the drop
count; rate evaluation excluded) and, for iterative schemes, ``iterations`` /
``iterations_max`` (mean / largest outer iterations a drop needed, per
satellite for Sep-Opt-WM; ``--max-iter`` when it never met ``--tol``).
"""
from __future__ import annotations

import inspect
import json
import math
import sys
import time

from .common import check_plot_path

EVAL_BLOCK = 64          # drops per Monte Carlo generator (fixed, so results do not depend on --batch)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="sum rate of every precoding scheme vs transmit power on world drops",
        description="Run every registered precoding scheme on the same seeded drops of the world "
                    "model and report the ergodic sum rate vs the per-satellite power budget "
                    "(the analogue of Fig. 4 of the multi-satellite paper).")
    p.add_argument("--S", type=int, default=3, help="cooperating satellites (default 3)")
    p.add_argument("--K", type=int, default=12, help="user terminals (default 12)")
    p.add_argument("--power-dbw", dest="power_dbw", type=float, nargs="+", default=[-10.0, -5.0, 0.0, 5.0, 10.0],
                   help="per-satellite power budgets P_s in dBW (default -10 -5 0 5 10)")
    p.add_argument("--drops", type=int, default=50, help="number of drops (default 50)")
    p.add_argument("--seed", type=int, default=0, help="random seed for drops and Monte Carlo (default 0)")
    p.add_argument("--samples", type=int, default=256, help="Monte Carlo samples of the ergodic rate (default 256)")
    p.add_argument("--max-iter", dest="max_iter", type=int, default=100,
                   help="outer iterations of the WMMSE schemes (default 100)")
    p.add_argument("--tol", type=float, default=1e-4, help="relative objective tolerance of WMMSE (default 1e-4)")
    p.add_argument("--batch", type=int, default=64, help="drops per batched scheme call (default 64)")
    p.add_argument("--schemes", nargs="+", default=None, help="subset of registered schemes (default: all)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1: the batched ops are small, and the machine is shared)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="save sum rate vs power (one line per scheme)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    p.set_defaults(func=run)
    if hasattr(p, "_negative_number_matcher"):           # let "--power-dbw -10 -5" through
        import re
        p._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+\.?\d*[eE][+-]?\d+$")


def validate(args) -> None:
    """ValueError naming the offending option."""
    for opt, name, lo in (("--S", "S", 1), ("--K", "K", 1), ("--drops", "drops", 1), ("--samples", "samples", 2),
                          ("--max-iter", "max_iter", 1), ("--batch", "batch", 1),
                          ("--threads", "threads", 1)):
        v = getattr(args, name)
        if v < lo:
            raise ValueError(f"{opt} must be >= {lo}, got {v}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    if not (math.isfinite(args.tol) and args.tol >= 0):
        raise ValueError(f"--tol must be a finite number >= 0, got {args.tol}")
    for pdb in args.power_dbw:
        if not (math.isfinite(pdb) and -100.0 <= pdb <= 100.0):
            raise ValueError(f"--power-dbw values must be finite, within [-100, 100] dBW, got {pdb}")


def _scheme_options(fn, args) -> dict:
    params = inspect.signature(fn).parameters
    opts = {"max_iter": args.max_iter, "tol": args.tol}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return opts
    return {k: v for k, v in opts.items() if k in params}


def compare(args) -> dict:
    """Run the comparison; returns the JSON-able record."""
    validate(args)
    import torch

    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return _compare(args)
    finally:
        torch.set_num_threads(threads_before)


def _compare(args) -> dict:
    import numpy as np
    import torch
    from tqdm import tqdm

    from agents.precoding.baselines import SCHEMES, run_scheme
    from agents.precoding.problem import PrecodingProblem, Precoders
    from agents.precoding.rates import ergodic_rates
    from constellation.scenario import World, WorldConfig

    names = list(SCHEMES) if args.schemes is None else list(args.schemes)
    unknown = [n for n in names if n not in SCHEMES]
    if unknown:
        raise ValueError(f"--schemes: unknown {unknown}; registered: {list(SCHEMES)}")
    world = World(WorldConfig(S=args.S, K=args.K))
    drops = world.draw_drops(args.drops, np.random.default_rng(args.seed))
    csi = drops.csi
    b_all, s, k, m, n = csi.shape
    chunks = [slice(i, min(i + args.batch, b_all)) for i in range(0, b_all, args.batch)]
    results = []
    bar = tqdm(total=len(args.power_dbw) * len(names) * len(chunks), desc="compare", unit="batch",
               file=sys.stderr, disable=not args.progress)
    for pdb in args.power_dbw:
        full = PrecodingProblem.from_csi(csi, power_dbw=pdb)
        for name in names:
            fn = SCHEMES[name]
            opts = _scheme_options(fn, args)
            ps, bs, runtime, iters = [], [], 0.0, []
            for sl in chunks:
                prob = full.take(batch=sl)
                t0 = time.perf_counter()
                with torch.no_grad():
                    prec, hist = run_scheme(name, prob, **opts)
                runtime += time.perf_counter() - t0
                if hist is not None and "converged_at" in hist:
                    # per-drop outer iterations (converged drops are frozen; Sep-Opt-WM: per satellite)
                    iters.append(hist["converged_at"].reshape(len(hist["converged_at"]), -1).double().numpy())
                ps.append(prec.p)
                bs.append(prec.b)
                bar.set_postfix_str(f"{name} {pdb:g} dBW")
                bar.update(1)
            prec = Precoders(p=torch.cat(ps), b=torch.cat(bs))
            rates, mc_se = [], []
            # Monte Carlo in fixed blocks of drops, one seeded generator per block: a drop's rate
            # does not depend on --batch, and every scheme and power sees the same normals
            for bi, start in enumerate(range(0, b_all, EVAL_BLOCK)):
                sl = slice(start, min(start + EVAL_BLOCK, b_all))
                gen = torch.Generator().manual_seed(args.seed * 1_000_003 + bi)
                with torch.no_grad():
                    est = ergodic_rates(full.take(batch=sl), prec.take(batch=sl), samples=args.samples, generator=gen)
                rates.append(est.wsr.numpy())
                mc_se.append(est.wsr_stderr.numpy())
            r = np.concatenate(rates)
            rec = {"scheme": name, "power_dbw": pdb, "sum_rate_bps_hz": float(r.mean()),
                   "sum_rate_std": float(r.std(ddof=1)) if len(r) > 1 else 0.0,
                   "sum_rate_sem": float(r.std(ddof=1) / math.sqrt(len(r))) if len(r) > 1 else 0.0,
                   "mc_stderr": float(np.concatenate(mc_se).mean()),
                   "runtime_s_per_drop": runtime / b_all}
            if iters:
                it = np.concatenate(iters)
                rec["iterations"] = float(it.mean())
                rec["iterations_max"] = int(it.max())
            results.append(rec)
    bar.close()
    config = {"S": args.S, "K": args.K, "M": m, "N": n, "drops": args.drops, "seed": args.seed,
              "power_dbw": list(args.power_dbw), "samples": args.samples, "max_iter": args.max_iter,
              "tol": args.tol, "batch": args.batch, "schemes": names, "torch_threads": args.threads,
              "rate": "ergodic sum rate (16), Monte Carlo over NLoS, bit/s/Hz, rate weights 1"}
    return {"results": results, "config": config}


def format_table(record: dict) -> str:
    rows = record["results"]
    head = f"{'scheme':<14}{'P (dBW)':>9}{'sum rate':>11}{'std':>9}{'sem':>8}{'s/drop':>11}{'iters':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        it = f"{r['iterations']:.1f}" if "iterations" in r else "-"
        lines.append(f"{r['scheme']:<14}{r['power_dbw']:>9.1f}{r['sum_rate_bps_hz']:>11.2f}{r['sum_rate_std']:>9.2f}"
                     f"{r['sum_rate_sem']:>8.2f}{r['runtime_s_per_drop']:>11.2e}{it:>7}")
    c = record["config"]
    lines.append(f"(S={c['S']}, K={c['K']}, M={c['M']}, N={c['N']}, {c['drops']} drops, seed {c['seed']}, "
                 f"{c['samples']} MC samples; sum rate in bit/s/Hz, mean over drops)")
    return "\n".join(lines)


def plot(record: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name in record["config"]["schemes"]:
        rows = sorted((r for r in record["results"] if r["scheme"] == name), key=lambda r: r["power_dbw"])
        ax.errorbar([r["power_dbw"] for r in rows], [r["sum_rate_bps_hz"] for r in rows],
                    yerr=[r["sum_rate_sem"] for r in rows], marker="o", capsize=3, label=name)
    c = record["config"]
    ax.set_xlabel("per-satellite power budget $P^{sat}$ (dBW)")
    ax.set_ylabel("sum rate (bit/s/Hz)")
    ax.set_title(f"S={c['S']}, K={c['K']}, M={c['M']}, N={c['N']}, {c['drops']} drops")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args) -> int:
    if args.plot is not None:
        check_plot_path(args.plot)
    record = compare(args)
    if args.plot:
        plot(record, args.plot)
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(format_table(record))
        if args.plot:
            print(f"plot written to {args.plot}")
    return 0
