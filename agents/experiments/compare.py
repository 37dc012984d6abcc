"""Every registered precoding scheme on the same world drops: ergodic sum rate vs power.

The offline experiment behind ``satcoop compare`` and behind ``kind = "compare"`` sweep
points (the multi-satellite paper's Fig. 4 setting: S satellites, K UTs, per-satellite budget
P_s in dBW on one subcarrier).

* Drops come from the world model, keyed by identity: drop i is a function of (``seed``, i)
  (``World.draw_drops(n, seed, first=...)``; members chosen by the config's ``selection`` rule,
  :class:`network.selector.RegionSelector`; a fixed ``center`` keeps the centre and draws the times), so the drops ``[first, first + drops)`` of a
  chunk are those of an unchunked run.
* Every scheme runs batched over ``batch`` drops at every power (the WMMSE family freezes a
  drop when it converges, so a drop's precoders do not depend on its batch-mates); a scheme
  that draws random numbers (``keyed`` in the catalog: Cen-Opt-ER) gets ``keys`` (``seed``, drop).
* The sum rate of a drop is the ergodic sum rate (16), Monte Carlo with ``samples`` draws from
  a torch generator keyed by (``seed``, drop index): the same normals for every scheme and power
  (common random numbers), and a drop's rate depends neither on ``batch`` nor on chunking.

:func:`run_compare` returns a :class:`CompareResult`: ``drops`` (a tidy DataFrame, one row per
drop x scheme x power) and ``summary`` (one row per scheme x power, what the CLI prints:
``sum_rate_bps_hz`` mean over drops, ``sum_rate_std``, ``sum_rate_sem`` standard error of that
mean, ``mc_stderr`` mean per-drop Monte Carlo standard error, ``runtime_s_per_drop`` wall time
of the batched scheme call per drop (rate evaluation excluded), ``iterations`` /
``iterations_max`` for iterative schemes: mean / largest outer iterations per drop (per
satellite for Sep-Opt-WM; ``max_iter`` when it never met ``tol``), ``flops_per_drop`` the real
floating-point operations the scheme reports having done (its history's ``flops``)). Each scheme
runs once, untimed, on the first drop before the timed runs (one-time costs stay out).
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from agents.config.compare import CompareConfig

__all__ = ["CompareResult", "run_compare", "mc_generator_seed",
           "SUMMARY_COLUMNS"]

MC_STREAM = 0x4D43          # "MC": the Monte Carlo stream of the keyed per-drop generators

SUMMARY_COLUMNS = ("scheme", "power_dbw", "sum_rate_bps_hz", "sum_rate_std", "sum_rate_sem", "mc_stderr",
                   "runtime_s_per_drop", "iterations", "iterations_max", "flops_per_drop")


@dataclass
class CompareResult:
    """``drops``: one row per drop x scheme x power; ``summary``: one row per scheme x power;
    ``config``: the resolved configuration (with M, N) as recorded in the JSON output."""

    drops: Any            # pandas.DataFrame
    summary: Any          # pandas.DataFrame
    config: dict = field(default_factory=dict)

    def record(self) -> dict:
        """The JSON record of ``satcoop compare --json``: {"results": [...], "config": {...}}."""
        rows = []
        for r in self.summary.to_dict("records"):
            rec = {k: r[k] for k in SUMMARY_COLUMNS[:7]}
            rec["power_dbw"] = float(rec["power_dbw"])
            if r.get("iterations") is not None and not _isnan(r["iterations"]):
                rec["iterations"] = float(r["iterations"])
                rec["iterations_max"] = int(r["iterations_max"])
            rows.append(rec)
        return {"results": rows, "config": dict(self.config)}


def _isnan(x) -> bool:
    try:
        return math.isnan(x)
    except TypeError:
        return False


def mc_generator_seed(seed: int, drop: int) -> int:
    """The torch seed of drop ``drop``'s Monte Carlo generator: a function of (seed, drop) only."""
    import numpy as np
    hi, lo = np.random.SeedSequence([int(seed), MC_STREAM, int(drop)]).generate_state(2, np.uint32)
    return ((int(hi) << 32) | int(lo)) & 0x7FFF_FFFF_FFFF_FFFF


def _scheme_options(fn, config: CompareConfig) -> dict:
    fn = getattr(fn, "fn", fn)
    params = inspect.signature(fn).parameters
    opts = {"max_iter": config.max_iter, "tol": config.tol}
    if "weights" in params and config.weights:           # learned schemes: override the shipped weights
        return {"weights": list(config.weights)}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return opts
    return {k: v for k, v in opts.items() if k in params}


def run_compare(config: CompareConfig | dict, progress: Callable[[int], Any] | None = None) -> CompareResult:
    """Run every scheme of ``config`` at every power on the same drops.

    ``progress(total)`` may return a tqdm-like object (``update``, ``set_postfix_str``,
    ``close``); one unit per (power, scheme, batch of drops).
    """
    if not isinstance(config, CompareConfig):
        config = CompareConfig.parse(config)
    import torch

    threads_before = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _run(config, progress)
    finally:
        torch.set_num_threads(threads_before)


def _run(config: CompareConfig, progress) -> CompareResult:
    import numpy as np
    import pandas as pd
    import torch

    from agents.precoding.problem import PrecodingProblem, Precoders
    from agents.precoding.rates import ergodic_rates
    from constellation.channel import ChannelConfig
    from constellation.scenario import World, WorldConfig

    from agents import schemes as catalog

    registry = catalog.CATALOG
    names = config.scheme_names()
    orbits, provenance = config.constellation.build()
    world_cfg = WorldConfig(S=config.S, K=config.K, channel=ChannelConfig(sat_upa=tuple(config.sat_upa)))
    if orbits.walker is not None:
        world_cfg = dataclasses.replace(world_cfg, walker=orbits.walker)
    from network.selector import selector_for
    cross = config.cross_shell.to_config() if config.cross_shell is not None else None
    world = World(world_cfg, constellation=orbits,
                  selector=selector_for(orbits, config, config.S, world_cfg.min_elevation_deg, cross_shell=cross))
    drops = world.draw_drops(config.drops, config.seed, first=config.first, center=config.center)
    span_warning = config.constellation.check_span(orbits, drops.t_s, time_name="drop times")
    csi = drops.csi
    b_all, s, k, m, n = csi.shape
    drop_ids = np.arange(config.first, config.first + b_all)
    chunks = [slice(i, min(i + config.batch, b_all)) for i in range(0, b_all, config.batch)]
    mc_seeds = [mc_generator_seed(config.seed, int(i)) for i in drop_ids]
    per_drop, summary = [], []
    bar = progress(len(config.power_dbw) * len(names) * len(chunks)) if progress else None
    warm = PrecodingProblem.from_csi(csi.take(batch=slice(0, 1)), power_dbw=config.power_dbw[0])
    for name in names:                 # untimed warm-up: one-time costs (lazy init, caches) stay out of runtime
        with torch.no_grad():
            catalog.run(name, warm, **_scheme_options(registry[name], config),
                        **({"keys": [(config.seed, int(drop_ids[0]))]} if registry[name].keyed else {}))
    for pdb in config.power_dbw:
        full = PrecodingProblem.from_csi(csi, power_dbw=pdb)
        for name in names:
            opts = _scheme_options(registry[name], config)
            ps, bs, runtime = [], [], np.zeros(b_all)
            it_mean = np.full(b_all, np.nan)
            it_max = np.full(b_all, np.nan)
            flops = np.full(b_all, np.nan)
            for sl in chunks:
                prob = full.take(batch=sl)
                keys = {"keys": [(config.seed, int(i)) for i in drop_ids[sl]]} if registry[name].keyed else {}
                t0 = time.perf_counter()
                with torch.no_grad():
                    prec, hist = catalog.run(name, prob, **opts, **keys)
                runtime[sl] = (time.perf_counter() - t0) / (sl.stop - sl.start)
                hist = hist or {}
                it = None
                if "converged_at" in hist:
                    # per-drop outer iterations (converged drops are frozen; Sep-Opt-WM: per satellite)
                    it = hist["converged_at"]
                elif "iterations" in hist and bool((hist["iterations"] > 0).any()):
                    it = hist["iterations"]
                if it is not None:
                    it = it.reshape(len(it), -1).double().numpy()
                    it_mean[sl] = it.mean(1)
                    it_max[sl] = it.max(1)
                if "flops" in hist:
                    flops[sl] = hist["flops"].double().numpy()
                ps.append(prec.p)
                bs.append(prec.b)
                if bar is not None:                    # one redraw per update
                    bar.set_postfix_str(f"{name} {pdb:g} dBW", refresh=False)
                    bar.update(1)
            prec = Precoders(p=torch.cat(ps), b=torch.cat(bs))
            rate = np.empty(b_all)
            mc_se = np.empty(b_all)
            # one keyed generator per drop: the same normals for every scheme and power, whatever
            # the batch, the chunk or the other drops
            for j in range(b_all):
                gen = torch.Generator().manual_seed(mc_seeds[j])
                with torch.no_grad():
                    est = ergodic_rates(full.take(batch=slice(j, j + 1)), prec.take(batch=slice(j, j + 1)),
                                        samples=config.samples, generator=gen)
                rate[j] = float(est.wsr[0])
                mc_se[j] = float(est.wsr_stderr[0])
            for j in range(b_all):
                per_drop.append({"drop": int(drop_ids[j]), "scheme": name, "power_dbw": float(pdb),
                                 "sum_rate_bps_hz": rate[j], "mc_stderr": mc_se[j], "runtime_s": runtime[j],
                                 "iterations": it_mean[j], "iterations_max": it_max[j],
                                 "flops": flops[j]})
            iterative = not np.isnan(it_mean).any()
            summary.append({
                "scheme": name, "power_dbw": float(pdb), "sum_rate_bps_hz": float(rate.mean()),
                "sum_rate_std": float(rate.std(ddof=1)) if b_all > 1 else 0.0,
                "sum_rate_sem": float(rate.std(ddof=1) / math.sqrt(b_all)) if b_all > 1 else 0.0,
                "mc_stderr": float(mc_se.mean()), "runtime_s_per_drop": float(runtime.mean()),
                "iterations": float(it_mean.mean()) if iterative else float("nan"),
                "iterations_max": float(it_max.max()) if iterative else float("nan"),
                "flops_per_drop": float(flops.mean())})
    if bar is not None:
        bar.close()
    meta = {"S": config.S, "K": config.K, "M": m, "N": n, "drops": config.drops, "seed": config.seed,
            "power_dbw": [float(p) for p in config.power_dbw], "samples": config.samples,
            "max_iter": config.max_iter, "tol": config.tol, "batch": config.batch, "schemes": names,
            "torch_threads": config.threads,
            "rate": "ergodic sum rate (16), Monte Carlo over NLoS, bit/s/Hz, rate weights 1"}
    if config.first:
        meta["first"] = config.first
    meta["selection"] = {"selection": config.selection, "max_member_latency_s": config.max_member_latency_s,
                         "allow_transit": config.allow_transit, "partial": config.partial,
                         "cross_shell": None if config.cross_shell is None else config.cross_shell.model_dump()}
    if config.center is not None:
        meta["center"] = list(config.center)
    meta["constellation"] = provenance
    if config.weights:
        meta["weights"] = list(config.weights)
    from agents.nets.schemes import training_overlap_note        # say so when evaluating on training drops
    note = training_overlap_note(config.seed, config.first, config.drops, config.weights or None, names)
    warnings = [w for w in (span_warning, note) if w]
    if warnings:
        meta["warnings"] = warnings
    return CompareResult(drops=pd.DataFrame(per_drop), summary=pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)),
                         config=meta)
