"""agents.precoding.power: the multiplier of a sum-power budget against independent truths."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import torch

from agents.precoding.power import (solve_multiplier, solve_multiplier_span,
                                    solve_multiplier_subgradient)


def _rand_problem(rng, batch, m, k, rank=None):
    rank = m if rank is None else rank
    x = rng.standard_normal(batch + (m, rank)) + 1j * rng.standard_normal(batch + (m, rank))
    a = x @ np.conj(np.swapaxes(x, -1, -2)) / rank
    v = rng.standard_normal(batch + (m, k)) + 1j * rng.standard_normal(batch + (m, k))
    return a, v


def _brentq_lambda(a, v, power):
    """Independent root of sum_i c_i/(d_i+lam)^2 = P with numpy eigh + scipy brentq."""
    d, u = np.linalg.eigh(a)
    d = np.clip(d, 0, None)
    c = (np.abs(np.conj(u.T) @ v) ** 2).sum(-1)
    f = lambda lam: (c / (d + lam) ** 2).sum() - power
    hi = 1.0
    while f(hi) > 0:
        hi *= 2
    return scipy.optimize.brentq(f, 1e-100, hi, xtol=1e-300, rtol=1e-14, maxiter=500)


def test_exact_multiplier_matches_brentq_and_meets_budget():
    rng = np.random.default_rng(1)
    a, v = _rand_problem(rng, (5,), 6, 3)
    power = rng.uniform(0.01, 0.2, 5)          # binding for these draws (checked below)
    lam, p = solve_multiplier(torch.tensor(a), torch.tensor(v), torch.tensor(power))
    assert lam.shape == (5,) and p.shape == (5, 6, 3)
    for i in range(5):
        ref = _brentq_lambda(a[i], v[i], power[i])
        assert ref > 0
        assert lam[i].item() == pytest.approx(ref, rel=1e-9)
        # p really is (a + lam I)^{-1} v and the budget is met with equality
        np.testing.assert_allclose((a[i] + lam[i].item() * np.eye(6)) @ p[i].numpy(), v[i], atol=1e-9)
        assert (np.abs(p[i].numpy()) ** 2).sum() == pytest.approx(power[i], rel=1e-10)


def test_slack_budget_gives_zero_multiplier_and_least_norm_solution():
    rng = np.random.default_rng(2)
    # rank-deficient a with v in its range: the least-norm (pseudo-inverse) solution is finite
    x = rng.standard_normal((6, 3)) + 1j * rng.standard_normal((6, 3))
    a = x @ x.conj().T
    v = x @ (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2)))
    p_pinv = np.linalg.pinv(a) @ v
    need = (np.abs(p_pinv) ** 2).sum()
    lam, p = solve_multiplier(torch.tensor(a), torch.tensor(v), torch.tensor(10 * need))
    assert lam.item() == 0.0
    np.testing.assert_allclose(p.numpy(), p_pinv, atol=1e-10)
    # the same problem with a tight budget binds
    lam2, p2 = solve_multiplier(torch.tensor(a), torch.tensor(v), torch.tensor(0.5 * need))
    assert lam2.item() == pytest.approx(_brentq_lambda(a, v, 0.5 * need), rel=1e-9)
    assert (p2.abs() ** 2).sum().item() == pytest.approx(0.5 * need, rel=1e-10)


def test_v_outside_range_always_binds():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))
    a = x @ x.conj().T                          # rank 2, v generic -> S(0+) = inf
    v = rng.standard_normal((5, 1)) + 1j * rng.standard_normal((5, 1))
    lam, p = solve_multiplier(torch.tensor(a), torch.tensor(v), torch.tensor(1e3))
    assert lam.item() > 0
    assert (p.abs() ** 2).sum().item() == pytest.approx(1e3, rel=1e-9)
    assert lam.item() == pytest.approx(_brentq_lambda(a, v, 1e3), rel=1e-8)


def test_subgradient_converges_to_exact_multiplier():
    rng = np.random.default_rng(4)
    a, v = _rand_problem(rng, (4,), 5, 2)
    power = np.full(4, 0.1)
    lam, p = solve_multiplier(torch.tensor(a), torch.tensor(v), torch.tensor(power))
    lam_s, p_s, its = solve_multiplier_subgradient(torch.tensor(a), torch.tensor(v), torch.tensor(power),
                                                   tol=1e-10, max_iter=200000)
    assert its > 1
    np.testing.assert_allclose(lam_s.numpy(), lam.numpy(), rtol=1e-6)
    np.testing.assert_allclose(p_s.numpy(), p.numpy(), rtol=1e-5, atol=1e-8)


def test_span_form_equals_full_form():
    rng = np.random.default_rng(5)
    m, r = 12, 4
    g = torch.tensor(rng.standard_normal((3, m, r)) + 1j * rng.standard_normal((3, m, r)))
    rho = torch.tensor(rng.uniform(0.1, 2.0, (3, r)))
    coef = torch.tensor(rng.standard_normal((3, r, r)) + 1j * rng.standard_normal((3, r, r)))
    power = torch.tensor([0.05, 1.0, 1e4])
    a = (g * rho[:, None, :]) @ g.mH
    lam_f, p_f = solve_multiplier(a, g @ coef, power)
    lam_s, p_s = solve_multiplier_span(g, rho, coef, power)
    np.testing.assert_allclose(lam_s.numpy(), lam_f.numpy(), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(p_s.numpy(), p_f.numpy(), rtol=1e-7, atol=1e-9)
    assert lam_s[2].item() == 0.0 and lam_s[0].item() > 0


def test_multiplier_gradient_is_implicit_function_gradient():
    rng = np.random.default_rng(6)
    a, v = _rand_problem(rng, (), 4, 2)
    a_t = torch.tensor(a)
    v_t = torch.tensor(v, requires_grad=True)
    fn = lambda vv: solve_multiplier(a_t, vv, torch.tensor(0.05))[0]
    assert fn(v_t).item() > 0
    assert torch.autograd.gradcheck(fn, (v_t,), eps=1e-7, atol=1e-6)


def test_zero_rhs_and_bad_budget():
    a = torch.eye(3, dtype=torch.complex128)
    lam, p = solve_multiplier(a, torch.zeros(3, 2, dtype=torch.complex128), torch.tensor(1.0))
    assert lam.item() == 0.0 and torch.all(p == 0)
    with pytest.raises(ValueError, match="power_w"):
        solve_multiplier(a, torch.ones(3, 1, dtype=torch.complex128), torch.tensor(0.0))


def test_subgradient_on_singular_systems_stays_finite():
    """Rank-deficient ``a`` (exact zero eigenvalues), as in a WMMSE step with K > M. (1) v in the range
    of a (the WMMSE case; c = 0 on the null directions used to give 0/0 = NaN at lam = 0): the ascent
    reaches the exact multiplier. (2) v outside the range: S(0) = inf, the subgradient at 0 is +inf;
    the projection onto the bracket sends lam to its upper end instead of inf, and it converges."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 2)) + 1j * rng.standard_normal((2, 4, 2))
    a = torch.tensor(x @ np.conj(np.swapaxes(x, -1, -2)))          # rank 2 of 4
    in_range = torch.tensor(x @ (rng.standard_normal((2, 2, 3)) + 1j * rng.standard_normal((2, 2, 3))))
    power = torch.tensor([0.01, 0.05])                               # binding for these draws
    lam_s, p_s, _ = solve_multiplier_subgradient(a, in_range, power, tol=1e-10, max_iter=100000)
    assert bool(torch.isfinite(lam_s).all()) and bool(torch.isfinite(p_s).all())
    for i in range(2):
        ref = _brentq_lambda(a[i].numpy(), in_range[i].numpy(), power[i].item())
        assert ref > 0 and lam_s[i].item() == pytest.approx(ref, rel=1e-6)
    np.testing.assert_allclose((p_s.abs() ** 2).sum((-2, -1)).numpy(), power.numpy(), rtol=1e-8)
    outside = torch.tensor(rng.standard_normal((2, 4, 3)) + 1j * rng.standard_normal((2, 4, 3)))
    lam_f, p_f, its = solve_multiplier_subgradient(a, outside, power, tol=1e-10, max_iter=5000)
    assert bool(torch.isfinite(lam_f).all()) and bool(torch.isfinite(p_f).all())
    exact, _ = solve_multiplier(a, outside, power)
    np.testing.assert_allclose(lam_f.numpy(), exact.numpy(), rtol=1e-6)
