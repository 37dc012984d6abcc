"""Scheme runs batched across the agents of a host (:mod:`agents.live.compute`) against the per-run reference
path (each run its own call, ``batch_schemes=False``): the same episode, and really batched.

Bit for bit where the scheme is batch-independent bit for bit (Sep-MMSE); the others' batched kernels (the
nets' matrix products over all drops' features, WMMSE's batched solves) round differently with the batch
size (measured: up to ~1e-15 relative for Cen-Opt-WM, ~1e-14 for Cen-TFC-WM and Dec-TFC-WM), so their
rates to 1e-12. Every message, computation (flops, iterations, charged times) and event is identical."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from agents.experiments.run import run_episode
from agents.live import compute
from agents.live.runtime import LocalRuntime

from .conftest import tiny

SCHEMES = ["Sep-MMSE", "Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM"]
BITWISE = ["Sep-MMSE"]


def _cfg(**over):
    base = dict(duration_s=1.5, K=3, region={"count": 10, "min_spacing_km": 300.0}, schemes=SCHEMES,
                scheme_options={"Cen-Opt-WM": {"max_iter": 30}})
    base.update(over)
    return tiny(**base)


def _run(cfg, batch: bool, pack: int = 10):
    calls = []
    group = compute._run_group

    def counting(g):
        calls.append((g[0].scheme, len(g)))
        return group(g)

    compute._run_group = counting
    rt = LocalRuntime(agents_per_actor=pack, batch_schemes=batch)
    try:
        res = run_episode(cfg, runtime=rt, progress=False)
    finally:
        compute._run_group = group
        rt.close()
    return res, calls


def _close(a, b, path="summary"):
    """Nested summaries equal, floats to 1e-12 relative."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isfinite(a):
        assert a == pytest.approx(b, rel=1e-12, abs=0), path
    else:
        assert a == b, path


def _exact(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns (lists per member, NaN before any precoders) as their exact repr: NaN equals NaN."""
    return df.assign(**{c: df[c].map(repr) for c in df.columns if df[c].dtype == object})


def _same_episode(bat, ref):
    steps, st_ref = bat.steps, ref.steps
    key = [c for c in steps.columns if c not in ("sum_rate_bps_hz",)]
    pd.testing.assert_frame_equal(_exact(steps[key]), _exact(st_ref[key]), check_exact=True)
    bit = steps["scheme"].isin(BITWISE).to_numpy()
    x, y = steps["sum_rate_bps_hz"].to_numpy(), st_ref["sum_rate_bps_hz"].to_numpy()
    assert (x[bit] == y[bit]).all()
    np.testing.assert_allclose(x[~bit], y[~bit], rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(bat.messages, ref.messages, check_exact=True)
    # wall_s is real time on this machine, not simulated: everything else identical
    pd.testing.assert_frame_equal(bat.computes.drop(columns=["wall_s"]), ref.computes.drop(columns=["wall_s"]),
                                  check_exact=True)
    assert bat.events == ref.events
    _close(bat.summary, ref.summary)
    assert np.all(np.isfinite(x)) and x.max() > 1.0                    # real rates, not zeros


@pytest.fixture(scope="module")
def pair():
    cfg = _cfg()
    return _run(cfg, True), _run(cfg, False)


@pytest.fixture(scope="module")
def timeouts():
    # every central computes at its update's tick (report_timeout_s = 0: with its own fresh report and the
    # members' last ones), so the centrals of a host compute at the same time: Cen-* batched too, warm-started
    cfg = _cfg(duration_s=2.5, centralized={"report_timeout_s": 0.0})
    return _run(cfg, True), _run(cfg, False)


def test_batched_host_equals_the_per_run_path(pair):
    (bat, _), (ref, _) = pair
    assert bat.steps["region"].nunique() == 10 and set(bat.steps["scheme"]) == set(SCHEMES)
    _same_episode(bat, ref)


def test_batched_centrals_equal_the_per_run_path(timeouts):
    (bat, bc), (ref, _) = timeouts
    _same_episode(bat, ref)
    assert any(e["type"] == "timeout" for e in bat.events)
    # Cen-Opt-WM really ran batched, warm-started, each run with its own iterations and flops
    assert max(n for s, n in bc if s == "Cen-Opt-WM") >= 3 and max(n for s, n in bc if s == "Cen-TFC-WM") >= 3
    cen = bat.computes[(bat.computes["scheme"] == "Cen-Opt-WM") & (bat.computes["update"] >= 1)]
    assert len(cen) >= 10 and cen["iterations"].nunique() > 1 and cen["flops"].nunique() > 1


def test_the_runs_were_batched(pair):
    (bat, bc), (ref, rc) = pair
    # the reference path: one call per on-board computation; batched: far fewer, covering the same runs
    assert len(rc) == len(ref.computes) and all(n == 1 for _, n in rc)
    assert sum(n for _, n in bc) == len(bat.computes) == len(ref.computes)
    assert len(bc) < len(rc) / 3
    assert max(n for s, n in bc if s == "Sep-MMSE") >= 10 and max(n for s, n in bc if s == "Dec-TFC-WM") >= 5


def test_one_agent_per_host_is_the_per_run_path():
    """One agent per host (and no satellite in two regions): only a role's own runs share a call (its
    Sep-MMSE lane and its centralized lanes' Sep-MMSE fallbacks, on the one local problem: computed once), so
    every rate is the reference's bit for bit."""
    cfg = _cfg(duration_s=0.6, region={"count": 2, "min_spacing_km": 8000.0})
    (bat, bc), (ref, _) = _run(cfg, True, pack=1), _run(cfg, False, pack=1)
    assert {s for s, n in bc if n > 1} == {"Sep-MMSE"} and max(n for _, n in bc) == 3
    pd.testing.assert_frame_equal(_exact(bat.steps), _exact(ref.steps), check_exact=True)
    assert bat.summary == ref.summary
