"""The fast inference path of Cen-TFC-WM (agents.nets.fast) gives the reference path's outputs."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from agents.nets import fast
from agents.nets.cen_tfc import NetConfig
from agents.nets.cfr import cfr
from agents.nets.features import direction_cosines, upa_cosines, upa_fit

from .conftest import random_net


def _nets() -> dict:
    """v2: the shipped weights; v3: the same weights re-expressed for the v3 inputs (a trained net with
    v3 features); v3-random: random weights with outputs scaled up (CFR variables far from their prior)."""
    from agents.experiments.train import v3_state_from_v2
    from agents.nets.schemes import load_net, shipped_weights
    from agents.nets.weights import build_net
    v2 = load_net(shipped_weights("cen"))
    v3 = build_net(dataclasses.replace(v2.config, inputs="v3")).double().eval()
    v3.load_state_dict(v3_state_from_v2(v2.state_dict(), "cen"))
    rnd = random_net(NetConfig(arch="cen", inputs="v3"), seed=5).double()
    return {"v2": v2, "v3": v3, "v3-random": rnd}


def _run(net, prob, use_fast: bool):
    net.fast = use_fast
    try:
        with torch.no_grad():
            out = net(prob)
        return out, net.last_used_fast
    finally:
        net.fast = True


@pytest.fixture(scope="module")
def nets():
    return _nets()


@pytest.mark.parametrize("s", [2, 3, 4])
@pytest.mark.parametrize("k", [6, 12, 30])
def test_fast_path_equals_the_reference_path_to_1e_12(world_problem, nets, s, k):
    """Precoders (relative to their largest entry), receive vectors (unit) and the CFR variables of the
    fast path equal the reference path's (per-lag input, QR-based recovery (26), update_receivers)
    to 1e-12, for v2 and v3 inputs, at low and high power."""
    for p_dbw in (-10.0, 10.0):
        prob = world_problem(s, k, batch=2, power_dbw=p_dbw)
        for name, net in nets.items():
            (ref, vr), used_ref = _run(net, prob, False)
            (got, vg), used = _run(net, prob, True)
            assert used and not used_ref
            assert (got.p - ref.p).abs().max() <= 1e-12 * ref.p.abs().max(), (name, p_dbw)
            assert (got.b - ref.b).abs().max() <= 1e-12, (name, p_dbw)
            for key in vr:
                assert (vg[key] - vr[key]).abs().max() <= 1e-12 * vr[key].abs().max(), (name, p_dbw, key)
            # and the budgets hold exactly
            pw = (got.p.abs() ** 2).sum((-2, -1))
            assert torch.allclose(pw, prob.power_w, rtol=1e-12, atol=0)


def test_fast_path_only_where_it_applies(world_problem, small_config):
    net = random_net(small_config("cen")).double()
    prob = world_problem(3, 5)
    with torch.no_grad():
        net(prob)
    assert net.last_used_fast
    net(prob)                                   # autograd on (training): the reference path
    assert not net.last_used_fast
    with torch.no_grad():
        noisy = dataclasses.replace(prob, g=prob.g * (1 + 1e-3 * torch.randn(prob.g.shape, dtype=torch.float64)))
        net(noisy)                              # not UPA responses: the full block, no fast path
        assert not net.last_used_fast and not net.last_used_lags
        net.float()
        net(prob)                               # float32 weights (training precision): reference
        assert not net.last_used_fast


def test_fast_recovery_equals_cfr_for_large_outputs(world_problem):
    """The K x K Gram form of (26) and the once-factored MMSE receivers equal cfr() for FDA outputs
    far from the prior (c ~ N(0, 1)), both receiver options, at every power, K < M and K = M."""
    gen = torch.Generator().manual_seed(1)
    for s, k in ((3, 12), (2, 6)):
        for p_dbw in (-10.0, 0.0, 10.0):
            prob = world_problem(s, k, batch=3, power_dbw=p_dbw)
            c = torch.randn(*prob.shape[:3], 13, dtype=torch.float64, generator=gen)
            for receiver in ("mmse", "predicted"):
                ref, _ = cfr(prob, c, receiver=receiver)
                got, _ = fast._recover(prob, c, receiver)
                assert (got.p - ref.p).abs().max() <= 1e-12 * ref.p.abs().max()
                assert (got.b - ref.b).abs().max() <= 1e-12


def test_upa_fit_phasors_are_the_exponentials_of_the_cosines(world_problem):
    prob = world_problem(3, 5)
    u, ex, ey = upa_fit(prob.g, (8, 8))
    assert torch.equal(u, direction_cosines(prob.g, (8, 8)))
    assert torch.equal(u, upa_cosines(prob.g, (8, 8)))
    i = torch.arange(8, dtype=torch.float64)
    want_x = torch.exp(-2j * math.pi * 0.5 * u[..., 0, None] * i)
    want_y = torch.exp(-2j * math.pi * 0.5 * u[..., 1, None] * i)
    assert (ex - want_x).abs().max() < 1e-13 and (ey - want_y).abs().max() < 1e-13
    # a non-UPA vector is refused, a 1 x N array has the unit phasor along its single row
    bad = prob.g.clone()
    bad[0, 0, 0, 5] *= -1
    assert upa_fit(bad, (8, 8)) is None
    row = torch.exp(-1j * math.pi * 0.3 * torch.arange(4, dtype=torch.float64)) / 2
    u1, ex1, _ = upa_fit(row[None], (1, 4))
    assert torch.allclose(u1, torch.tensor([[0.0, 0.3]], dtype=torch.float64), atol=1e-14)
    assert torch.equal(ex1, torch.ones(1, 1, dtype=torch.complex128))


def test_prepared_input_weights_follow_the_weights(world_problem, small_config):
    """The fused input weights are rebuilt when the weights change in place (an optimizer step,
    load_state_dict): the fast path then still equals the reference path."""
    net = random_net(small_config("cen")).double()
    prob = world_problem(3, 5)
    with torch.no_grad():
        net(prob)
        net.ten.inp.weight.mul_(1.5)
        net.ten.inp.bias.add_(0.1)
        (ref, _), _ = _run(net, prob, False)
        (got, _), used = _run(net, prob, True)
    assert used and (got.p - ref.p).abs().max() <= 1e-12 * ref.p.abs().max()


def test_scratch_buffers_are_per_thread(world_problem):
    """Two threads running the fast path at once (their own scratch buffers) get the single-thread results."""
    import threading

    net = random_net(NetConfig(arch="cen", d_hidden=16, features=16, layers=2, heads=2)).double()
    probs = [world_problem(3, 5, power_dbw=p) for p in (-10.0, 10.0)]
    with torch.no_grad():
        want = [net(p)[0].p for p in probs]
    got = [None, None]

    def work(i):
        with torch.no_grad():
            for _ in range(20):
                got[i] = net(probs[i])[0].p

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w in zip(got, want):
        assert torch.equal(g, w)
