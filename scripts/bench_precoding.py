"""Benchmark of the optimisation-based precoders (prints, asserts nothing).

    .venv/bin/python scripts/bench_precoding.py [--drops 64] [--power-dbw 0] [--threads 1] [--seed 0]

1. Runtime per drop of every registered scheme at S=3, K=12, M=64, N=4, batched
   over ``--drops`` world drops, with the outer iterations per drop and the flops
   each scheme reports (history["flops"], agents.precoding.flops).
2. Cen-Opt-WM runtime vs M (16, 64, 256 satellite antennas, K = 12) and vs K
   (6..30, M = 64), batched; also per outer iteration.
3. Throughput (drops/s) batched over ``--drops`` vs one drop at a time, measured
   in the same run, and the ratio.
All drops come from the world model with the seed; timings are wall-clock
(time.perf_counter) with ``--threads`` torch threads.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from agents.schemes import CATALOG as SCHEMES, run as run_scheme
from agents.precoding.problem import PrecodingProblem
from constellation.channel import ChannelConfig
from constellation.scenario import World, WorldConfig


def drops_csi(s, k, b, seed, sat_upa=(8, 8)):
    world = World(WorldConfig(S=s, K=k, channel=ChannelConfig(sat_upa=sat_upa)))
    return world.draw_drops(b, seed).csi


def timed(name, prob, **opts):
    t0 = time.perf_counter()
    with torch.no_grad():
        prec, hist = run_scheme(name, prob, **opts)
    return time.perf_counter() - t0, hist


def opts_for(name, max_iter, tol):
    """max_iter/tol for the schemes whose function takes them (the iterative ones)."""
    import inspect
    params = inspect.signature(SCHEMES[name].fn).parameters
    return {k: v for k, v in (("max_iter", max_iter), ("tol", tol)) if k in params}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drops", type=int, default=64)
    ap.add_argument("--power-dbw", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    b = args.drops
    print(f"# bench_precoding: {b} world drops, P = {args.power_dbw} dBW per satellite, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), complex128, tol {args.tol}, max_iter {args.max_iter}")

    # ---- 1. every scheme at Table I sizes
    csi = drops_csi(3, 12, b, args.seed)
    prob = PrecodingProblem.from_csi(csi, power_dbw=args.power_dbw)
    _, s, k, m, n = prob.shape
    print(f"\n## 1. runtime per drop, S={s} K={k} M={m} N={n}, batched over {b} drops")
    print(f"{'scheme':<12}{'total s':>10}{'ms/drop':>10}{'max it/drop':>13}{'mean it/drop':>14}{'Mflop/drop':>12}")
    timed("Cen-Opt-WM", prob.take(batch=slice(0, 2)), max_iter=3)        # warm-up
    batched = {}
    for name in SCHEMES:
        dt, hist = timed(name, prob, **opts_for(name, args.max_iter, args.tol))
        batched[name] = dt
        it = f"{int(hist['iterations'].max())}"
        mean_it = f"{hist['iterations'].float().mean():.1f}"
        print(f"{name:<12}{dt:>10.3f}{1e3 * dt / b:>10.3f}{it:>13}{mean_it:>14}{hist['flops'].mean() / 1e6:>12.2f}")

    # ---- 2. Cen-Opt-WM scaling
    print(f"\n## 2. Cen-Opt-WM scaling (batched over {b} drops, S=3)")
    print(f"{'M':>5}{'K':>5}{'total s':>10}{'ms/drop':>10}{'max it':>8}{'mean it':>9}{'ms/drop-iter':>14}")
    for upa, kk in (((4, 4), 12), ((8, 8), 12), ((16, 16), 12), ((8, 8), 6), ((8, 8), 18), ((8, 8), 24),
                    ((8, 8), 30)):
        c = drops_csi(3, kk, b, args.seed + 1, sat_upa=upa)
        pr = PrecodingProblem.from_csi(c, power_dbw=args.power_dbw)
        dt, hist = timed("Cen-Opt-WM", pr, max_iter=args.max_iter, tol=args.tol)
        it, per = int(hist["iterations"].max()), hist["iterations"].float()
        # converged drops are frozen, so the work is the sum of the drops' own iteration counts
        print(f"{pr.shape[3]:>5}{kk:>5}{dt:>10.3f}{1e3 * dt / b:>10.2f}{it:>8}{per.mean():>9.1f}"
              f"{1e3 * dt / per.sum():>14.4f}")

    # ---- 3. batching throughput
    print(f"\n## 3. throughput: batched over {b} drops vs one drop at a time (same drops, same run)")
    print(f"{'scheme':<12}{'batched drops/s':>17}{'single drops/s':>16}{'ratio':>8}")
    for name in SCHEMES:
        opts = opts_for(name, args.max_iter, args.tol)
        dt_b, _ = timed(name, prob, **opts)
        t0 = time.perf_counter()
        for i in range(b):
            timed(name, prob.take(batch=slice(i, i + 1)), **opts)
        dt_1 = time.perf_counter() - t0
        print(f"{name:<12}{b / dt_b:>17.1f}{b / dt_1:>16.1f}{dt_1 / dt_b:>8.1f}x")

    # ---- 4. Sep-Opt-WM vs Sep-MMSE, paired over the same drops
    from agents.precoding.rates import ergodic_rates
    print(f"\n## 4. Sep-Opt-WM vs Sep-MMSE on the same {b} drops (ergodic sum rate (16), 256 MC samples)")
    print(f"{'P dBW':>6}{'Sep-MMSE':>10}{'Sep-Opt-WM':>12}{'mean diff':>11}{'sem':>7}{'Opt-WM wins':>13}")
    for pdb in (-20.0, -10.0, 0.0, 10.0, 20.0, 30.0):
        pr = PrecodingProblem.from_csi(csi, power_dbw=pdb)
        r = {}
        for name in ("Sep-MMSE", "Sep-Opt-WM"):
            with torch.no_grad():
                prec, _ = run_scheme(name, pr, **opts_for(name, args.max_iter, args.tol))
                r[name] = ergodic_rates(pr, prec, samples=256,
                                        generator=torch.Generator().manual_seed(args.seed)).wsr.numpy()
        d = r["Sep-Opt-WM"] - r["Sep-MMSE"]
        print(f"{pdb:>6.0f}{r['Sep-MMSE'].mean():>10.2f}{r['Sep-Opt-WM'].mean():>12.2f}{d.mean():>11.2f}"
              f"{d.std(ddof=1) / np.sqrt(len(d)):>7.2f}{(d > 0).mean() * 100:>12.0f}%")


if __name__ == "__main__":
    main()
