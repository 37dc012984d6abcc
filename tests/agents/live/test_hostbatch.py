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



def _batched_group_sizes(requests) -> list:
    """Run ``requests`` batched; the size of each group the host ran in one call, in order."""
    calls = []
    group = compute._run_group
    compute._run_group = lambda g: (calls.append(len(g)), group(g))[1]
    try:
        compute.run_requests(requests, batch=True)
    finally:
        compute._run_group = group
    return calls


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


# ---------------------------------------------------------------------------- the runner itself
def _problems(make_csi, n, seed=5, **shape):
    from agents.precoding.problem import PrecodingProblem
    csi = make_csi(seed, B=n, **shape)
    full = PrecodingProblem.from_csi(csi, power_dbw=5.0)
    return [full.take(batch=[i]) for i in range(n)]


def _req(prob, scheme, lane=None, key=None, options=None, sats=(1, 2), seq=0):
    from types import SimpleNamespace
    return compute.ComputeRequest(lane=lane or SimpleNamespace(warm=None), kind="own", scheme=scheme, update=0,
                                  t_s=0.0, seq=seq, problem=prob, options=dict(options or {}), key=key,
                                  warm=lane, sats=sats)


def test_a_lanes_second_run_starts_from_its_first(make_csi):
    """Two runs of one lane at one time (its warm start read and written): the second waits for the first
    (rounds) and starts from its result, as one after the other would; a third lane's run shares round 0."""
    from types import SimpleNamespace
    opts = {"max_iter": 60, "tol": 1e-6}
    p = _problems(make_csi, 3, S=2, K=4, M=8, N=2)

    def reqs():
        a, b = SimpleNamespace(warm=None), SimpleNamespace(warm=None)
        return [_req(p[0], "Cen-Opt-WM", a, options=opts), _req(p[1], "Cen-Opt-WM", b, options=opts),
                _req(p[2], "Cen-Opt-WM", a, options=opts, seq=1)], a

    bat, lane_a = reqs()
    calls = _batched_group_sizes(bat)
    one, _ = reqs()
    compute.run_requests(one, batch=False)
    assert calls == [2, 1]                                         # round 0: both lanes' first; round 1: a's second
    for x, y in zip(bat, one):
        assert x.run.iterations == y.run.iterations and x.run.flops == y.run.flops
        np.testing.assert_allclose(x.run.prec.p.numpy(), y.run.prec.p.numpy(), rtol=1e-12, atol=1e-15)
    assert lane_a.warm[1] is bat[2].run.prec                       # the lane keeps its newest solution
    cold = _req(p[2], "Cen-Opt-WM", options=opts)
    compute.run_requests([cold])
    assert cold.run.iterations != bat[2].run.iterations              # the warm start mattered


def test_a_keyed_scheme_runs_alone_with_each_drops_key(make_csi):
    """Cen-Opt-ER (keyed) is never batched (its ascent amplifies the batched kernels' round-off): each run is
    its lone run bit for bit, drawn from its own key (another key gives other precoders). Batched by hand
    (``_run_group``), drop i still draws from its key: its lone run to the ascent's round-off sensitivity."""
    opts = {"max_iter": 20, "tol": 1e-5, "steps": 30, "samples_per_step": 4, "eval_samples": 16}
    p = _problems(make_csi, 3, seed=8, S=2, K=3, M=8, N=2)
    keys = [(0, r, 1) for r in range(3)]
    bat = [_req(p[i], "Cen-Opt-ER", key=keys[i], options=opts) for i in range(3)]
    calls = _batched_group_sizes(bat)
    assert calls == [1, 1, 1]
    by_hand = [_req(p[i], "Cen-Opt-ER", key=keys[i], options=opts) for i in range(3)]
    compute._run_group(by_hand)
    for i in (0, 2):
        one = _req(p[i], "Cen-Opt-ER", key=keys[i], options=opts)
        compute.run_requests([one], batch=False)
        assert (one.run.prec.p == bat[i].run.prec.p).all() and one.run.flops == bat[i].run.flops
        assert one.run.iterations == by_hand[i].run.iterations
        assert one.run.flops == pytest.approx(by_hand[i].run.flops, rel=1e-12)
        np.testing.assert_allclose(one.run.prec.p.numpy(), by_hand[i].run.prec.p.numpy(), rtol=1e-7, atol=1e-12)
    other = _req(p[0], "Cen-Opt-ER", key=(1, 0, 1), options=opts)
    compute.run_requests([other], batch=False)
    ref = bat[0].run.prec.p.numpy()
    assert np.abs(other.run.prec.p.numpy() - ref).max() > 1e-6 * np.abs(ref).max()
