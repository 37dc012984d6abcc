"""Cen-Opt-ER (agents.precoding.ergodic): ascent on the ergodic rate (16) from converged Cen-Opt-WM."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.precoding import flops as fl
from agents.precoding.ergodic import cen_opt_er, check_keys, drop_normals, er_step_flops, sample_wsr
from agents.precoding.problem import PrecodingProblem
from agents.precoding.rates import ergodic_rates
from agents.schemes import run as run_scheme
from constellation import scenario
from agents.precoding.wmmse import cen_opt_wm

FAST = {"steps": 60, "samples_per_step": 16, "eval_samples": 128, "eval_every": 10}


def _held_out(prob, prec, seed=987654, samples=2048):
    """The ergodic rate on draws from a generator the scheme never saw (as satcoop compare does)."""
    return ergodic_rates(prob, prec, samples=samples, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def world_problem():
    drops = scenario.World(scenario.WorldConfig(S=3, K=12)).draw_drops(4, np.random.default_rng(77))
    return drops.csi


@pytest.mark.parametrize("pdb", [-10.0, 10.0])
def test_never_below_warm_start_on_held_out_samples(world_problem, pdb):
    """Per drop, on 2048 held-out draws (common to both schemes): Cen-Opt-ER >= Cen-Opt-WM minus 3 standard
    errors, and on average strictly better (it climbs (16), which counts the NLoS part as signal)."""
    prob = PrecodingProblem.from_csi(world_problem, power_dbw=pdb)
    warm, _ = cen_opt_wm(prob, max_iter=100, tol=1e-4)
    er, hist = cen_opt_er(prob, init=warm, **FAST)
    rw, re = _held_out(prob, warm), _held_out(prob, er)
    se = torch.sqrt(rw.wsr_stderr ** 2 + re.wsr_stderr ** 2)
    assert bool((re.wsr >= rw.wsr - 3 * se).all()), (re.wsr, rw.wsr, se)
    assert float((re.wsr - rw.wsr).mean()) > 3 * float(se.mean()) / 2
    # its own (validation-draw) objective is what it selected on; the warm start is its step 0
    assert bool((hist["objective"] >= hist["warm_objective"]).all())
    np.testing.assert_allclose(hist["objective"].numpy(), re.wsr.numpy(), rtol=0.03)


@pytest.mark.parametrize("pdb", [-30.0, 0.0, 30.0])
def test_meets_every_budget(make_csi, pdb):
    prob = PrecodingProblem.from_csi(make_csi(60, B=3, S=3, K=4, M=8, N=2), power_dbw=pdb)
    prob = prob.with_power(prob.power_w * torch.tensor([[1.0, 0.25, 4.0]]))          # unequal budgets
    er, hist = cen_opt_er(prob, steps=30, samples_per_step=8, eval_samples=32)
    assert bool(torch.isfinite(er.p).all()) and bool(torch.isfinite(er.b).all())
    assert bool((er.power_w <= prob.power_w * (1 + 1e-12)).all())
    np.testing.assert_allclose(torch.linalg.vector_norm(er.b, dim=-1).numpy(), 1.0, rtol=1e-12)


def test_trains_on_its_own_draws_and_is_scored_on_others(make_csi):
    """Training and validation draws come from per-drop generators keyed by (seed, key):
    same seed -> bitwise the same result; another seed -> other draws, another result; the validation
    draws differ from the training draws; and the sample-last estimator equals ergodic_rates on the
    same normals (a second implementation of (16))."""
    prob = PrecodingProblem.from_csi(make_csi(61, B=2, S=2, K=4, M=8, N=2), power_dbw=5.0)
    a, ha = cen_opt_er(prob, steps=20, eval_every=5, seed=3)
    b, _ = cen_opt_er(prob, steps=20, eval_every=5, seed=3)
    c, _ = cen_opt_er(prob, steps=20, eval_every=5, seed=4)
    assert torch.equal(a.p, b.p) and torch.equal(a.b, b.b)
    assert not torch.allclose(a.p, c.p)
    from agents.precoding.ergodic import _TRAIN, _VALID, _generators
    keys = check_keys(None, 2)
    assert keys == [(0,), (1,)] and check_keys([5, (3, 4)], 2) == [(5,), (3, 4)]
    zt = drop_normals(_generators(3, keys, _TRAIN), 64, 2, 4)
    zv = drop_normals(_generators(3, keys, _VALID), 64, 2, 4)
    assert zt.shape == (2, 2, 4, 64) and not torch.allclose(zt, zv)
    assert abs(float(zt.abs().pow(2).mean()) - 1.0) < 0.1                               # unit-variance CN(0,1)
    got = sample_wsr(prob, a, zt)
    ref = ergodic_rates(prob, a, normals=zt.permute(3, 0, 1, 2)).wsr
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


def test_flops_follow_what_it_ran(make_csi):
    prob = PrecodingProblem.from_csi(make_csi(62, B=3, S=2, K=4, M=8, N=2), power_dbw=0.0)
    _, h = run_scheme("Cen-Opt-ER", prob, max_iter=50, tol=1e-5, steps=40, samples_per_step=8, eval_samples=32)
    _, hw = cen_opt_wm(prob, max_iter=50, tol=1e-5)
    s, k, m, n = 2, 4, 8, 2
    want = (hw["flops"] + h["iterations"].double() * er_step_flops(s, k, m, n, 8)
            + h["evaluations"].double() * fl.ergodic_rate_flops(s, k, m, n, 32))
    np.testing.assert_allclose(h["flops"].numpy(), want.numpy(), rtol=1e-12)
    assert bool((h["evaluations"] == h["iterations"] // 10 + 1).all())


@pytest.mark.parametrize("kw, word", [({"steps": -1}, "steps"), ({"samples_per_step": 1}, "samples_per_step"),
                                      ({"lr": float("nan")}, "lr"), ({"seed": -2}, "seed"),
                                      ({"max_iter": 0}, "max_iter"), ({"schedule": "linear"}, "schedule"),
                                      ({"keys": [1]}, "keys"), ({"keys": [(1, -1), (2,)]}, "keys")])
def test_bad_options_name_the_option(make_csi, kw, word):
    prob = PrecodingProblem.from_csi(make_csi(63, B=2, S=2, K=2, M=4, N=2), power_dbw=0.0)
    with pytest.raises(ValueError, match=word):
        cen_opt_er(prob, **kw)


def test_zero_steps_returns_the_warm_start(make_csi):
    prob = PrecodingProblem.from_csi(make_csi(64, B=2, S=2, K=3, M=4, N=2), power_dbw=0.0)
    er, h = cen_opt_er(prob, steps=0)
    warm, _ = cen_opt_wm(prob)
    np.testing.assert_allclose(er.p.numpy(), warm.p.numpy(), rtol=1e-5, atol=1e-6 * float(warm.p.abs().max()))
    assert bool((h["iterations"] == 0).all()) and bool((h["best_step"] == 0).all())


@pytest.mark.slow
def test_world_drop_alone_equals_it_in_a_batch():
    """On world drops Cen-Opt-WM's result for a drop differs between batches by ~1e-14 (batched reductions),
    and 300 steps of stochastic ascent used to amplify that to 1e-4 .. 1e-1 in the precoders. The warm start
    is rounded and the estimator keeps a drop's reductions in its own memory: drop 5 alone == drop 5 of 6."""
    drops = scenario.World(scenario.WorldConfig(S=3, K=12)).draw_drops(6, np.random.default_rng(7))
    prob = PrecodingProblem.from_csi(drops.csi, power_dbw=10.0)
    er, h = cen_opt_er(prob, keys=[(7, i) for i in range(6)])
    one, h1 = cen_opt_er(prob.take(batch=[5]), keys=[(7, 5)])
    assert h1["iterations"].item() == h["iterations"][5].item() and h1["best_step"].item() == h["best_step"][5].item()
    np.testing.assert_allclose(one.p[0].numpy(), er.p[5].numpy(), rtol=1e-9, atol=1e-12 * float(er.p.abs().max()))
    np.testing.assert_allclose(one.b[0].numpy(), er.b[5].numpy(), rtol=1e-9, atol=1e-12)


_THREADS = """
import hashlib, sys
import torch
torch.set_num_threads(int(sys.argv[1]))
from agents.precoding.ergodic import cen_opt_er
from agents.precoding.problem import PrecodingProblem
from constellation import scenario
drops = scenario.World(scenario.WorldConfig(S=3, K=12)).draw_drops(2, 7)
prob = PrecodingProblem.from_csi(drops.csi, power_dbw=10.0)
er, h = cen_opt_er(prob, keys=[(7, 0), (7, 1)])
print(hashlib.sha256(er.p.numpy().tobytes() + er.b.numpy().tobytes()).hexdigest(), h["objective"].tolist(),
      h["iterations"].tolist())
"""


def test_same_numbers_under_one_and_two_threads():
    """Cen-Opt-ER on world drops (the full default ascent) under torch and numpy BLAS at 1 and at 2 threads,
    each in a fresh interpreter: bitwise the same precoders (its draws are keyed by identity, not by the
    input's bits, which other thread counts may change in the last place)."""
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    out = []
    for n in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": root, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
               "MKL_NUM_THREADS": n}
        res = subprocess.run([sys.executable, "-c", _THREADS, n], env=env, capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stderr
        out.append(res.stdout.strip())
    assert out[0] == out[1]
    assert "[0, 0]" not in out[0]                      # the ascent really ran


def test_a_drop_draws_by_its_key_whatever_its_batch(world_problem):
    """Drop 2 keyed (7, 2) alone == drop 2 of a batch keyed (7, 0..3), bitwise; keyed (7, 0) instead it takes
    another random path (the key, not the content or the position, names the draws)."""
    prob = PrecodingProblem.from_csi(world_problem, power_dbw=10.0)
    keys = [(7, i) for i in range(4)]
    er, h = cen_opt_er(prob, keys=keys, **FAST)
    one, h1 = cen_opt_er(prob.take(batch=[2]), keys=[keys[2]], **FAST)
    assert torch.equal(one.p[0], er.p[2]) and torch.equal(one.b[0], er.b[2])
    assert h1["objective"].item() == h["objective"][2].item()
    other, _ = cen_opt_er(prob.take(batch=[2]), keys=[(7, 0)], **FAST)
    assert not torch.allclose(other.p[0], er.p[2])
