"""Rate evaluators: ergodic (16) by Monte Carlo, and instantaneous SINR on joint channel draws."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.precoding.baselines import sep_mmse
from agents.precoding.problem import PrecodingProblem, Precoders
from agents.precoding.rates import ergodic_rates, instantaneous_rates, weighted_sum_rate
from agents.precoding.wmmse import cen_opt_wm


def _random_precoders(rng, b, s, k, m, n):
    c = lambda *shp: torch.tensor(rng.standard_normal(shp) + 1j * rng.standard_normal(shp))
    return Precoders(p=c(b, s, k, m) * 0.2, b=c(b, s, k, n))


def test_monte_carlo_converges(make_csi):
    csi = make_csi(20, B=3, S=2, K=4, M=8, N=2, kappa_db=(-3.0, 3.0))
    prob = PrecodingProblem.from_csi(csi, power_dbw=0.0)
    prec = sep_mmse(prob)
    e1 = ergodic_rates(prob, prec, samples=4000, generator=torch.Generator().manual_seed(1))
    e2 = ergodic_rates(prob, prec, samples=8000, generator=torch.Generator().manual_seed(2))
    assert torch.all(e1.wsr_stderr > 0)
    # doubling the sample count: the means agree within their combined standard error ...
    diff = (e1.wsr - e2.wsr).abs()
    assert torch.all(diff < 4 * torch.sqrt(e1.wsr_stderr ** 2 + e2.wsr_stderr ** 2))
    assert torch.all((e1.rates - e2.rates).abs() < 4.5 * torch.sqrt(e1.stderr ** 2 + e2.stderr ** 2))
    # ... and the standard error shrinks like 1/sqrt(T)
    ratio = (e2.wsr_stderr / e1.wsr_stderr).numpy()
    assert np.all((ratio > 0.6) & (ratio < 0.85)), ratio
    # same seed, same estimate
    e3 = ergodic_rates(prob, prec, samples=4000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(e1.wsr, e3.wsr)
    wsr, se = weighted_sum_rate(prob, prec, samples=4000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(wsr, e1.wsr) and torch.equal(se, e1.wsr_stderr)


def test_ergodic_matches_explicit_formula_16(make_csi):
    """Eq. (16) with alpha from (12), written with explicit loops and N-dimensional NLoS draws."""
    rng = np.random.default_rng(21)
    b_num, s_num, k_num, m, n = 1, 2, 3, 6, 2
    csi = make_csi(21, B=b_num, S=s_num, K=k_num, M=m, N=n, kappa_db=(0.0, 6.0))
    prob = PrecodingProblem.from_csi(csi, power_dbw=0.0)
    prec = _random_precoders(rng, b_num, s_num, k_num, m, n)
    est = ergodic_rates(prob, prec, samples=6000, generator=torch.Generator().manual_seed(3))
    p, bv = prec.p.numpy()[0], prec.b.numpy()[0]
    g, r_ut = csi.g[0], csi.r_ut[0]
    d_samples = csi.sample_channels(np.random.default_rng(4), samples=6000)   # [T,1,S,K,N,M]
    for s in range(s_num):
        for k in range(k_num):
            bb = bv[s, k]
            r_cov = csi.noise_w[0, k] * np.eye(n, dtype=complex)
            for t in range(s_num):
                if t != s:
                    for mm in range(k_num):
                        r_cov = r_cov + abs(np.vdot(g[t, k], p[t, mm])) ** 2 * r_ut[t, k]
            # d_{s,k} realisations: H = d g^H, so d = H g (||g|| = 1)
            d = d_samples[:, 0, s, k] @ g[s, k]
            bd2 = np.abs(d @ bb.conj()) ** 2
            sig = abs(np.vdot(p[s, k], g[s, k])) ** 2
            intra = sum(abs(np.vdot(p[s, mm], g[s, k])) ** 2 for mm in range(k_num) if mm != k)
            alpha = intra * bd2 + np.real(np.conj(bb) @ r_cov @ bb)
            r = np.log2(1 + sig * bd2 / alpha)
            ref, ref_se = r.mean(), r.std(ddof=1) / np.sqrt(len(r))
            got, se = est.rates[0, s, k].item(), est.stderr[0, s, k].item()
            assert abs(got - ref) < 4 * np.hypot(se, ref_se), (s, k, got, ref)


def test_single_satellite_ergodic_equals_mean_instantaneous(make_csi):
    """With S = 1 there is no inter-satellite term, so (16) is the mean instantaneous rate."""
    csi = make_csi(22, B=2, S=1, K=4, M=8, N=2, kappa_db=(0.0, 5.0))
    prob = PrecodingProblem.from_csi(csi, power_dbw=5.0)
    prec, _ = cen_opt_wm(prob, max_iter=10)
    est = ergodic_rates(prob, prec, samples=4000, generator=torch.Generator().manual_seed(7))
    h = torch.tensor(csi.sample_channels(np.random.default_rng(8), samples=4000))
    inst = instantaneous_rates(h, prec, prob.noise_w)                   # [T,B,S,K]
    m, se = inst.mean(0), inst.std(0) / np.sqrt(inst.shape[0])
    assert torch.all((m - est.rates).abs() < 4 * torch.sqrt(se ** 2 + est.stderr ** 2))


def test_instantaneous_rates_against_loops(make_csi):
    rng = np.random.default_rng(23)
    b_num, s_num, k_num, m, n = 2, 2, 3, 5, 2
    csi = make_csi(23, B=b_num, S=s_num, K=k_num, M=m, N=n)
    prec = _random_precoders(rng, b_num, s_num, k_num, m, n)
    h = csi.sample_channels(np.random.default_rng(9))                  # [B,S,K,N,M]
    got = instantaneous_rates(torch.tensor(h), prec, torch.tensor(csi.noise_w)).numpy()
    p, bv = prec.p.numpy(), prec.b.numpy()
    for bi in range(b_num):
        for s in range(s_num):
            for k in range(k_num):
                bb = bv[bi, s, k]
                sig = abs(bb.conj() @ h[bi, s, k] @ p[bi, s, k]) ** 2
                interf = sum(abs(bb.conj() @ h[bi, t, k] @ p[bi, t, mm]) ** 2
                             for t in range(s_num) for mm in range(k_num) if (t, mm) != (s, k))
                noise = csi.noise_w[bi, k] * np.vdot(bb, bb).real
                assert abs(got[bi, s, k] - np.log2(1 + sig / (interf + noise))) < 1e-10


def test_rate_gradient_is_finite_for_pure_los_links(make_csi):
    """Training through (16): a pure-LoS link (kappa = inf, no NLoS spread) must not give NaN gradients."""
    csi = make_csi(24, B=2, S=2, K=3, M=8, N=2, kappa=np.inf)
    prob = PrecodingProblem.from_csi(csi, power_dbw=0.0)
    prec = _random_precoders(np.random.default_rng(24), 2, 2, 3, 8, 2)      # not a stationary point
    p = prec.p.clone().requires_grad_(True)
    b = prec.b.clone().requires_grad_(True)
    est = ergodic_rates(prob, Precoders(p=p, b=b), samples=8, generator=torch.Generator().manual_seed(0))
    est.wsr.sum().backward()
    for t in (p, b):
        assert bool(torch.isfinite(t.grad).all()) and bool((t.grad != 0).any())
    # with no NLoS the rate is deterministic: (16) is the SINR on H = sqrt(beta) d0 g^H, and so is its gradient
    b2 = prec.b.clone().requires_grad_(True)
    h = torch.tensor(np.sqrt(csi.beta)[..., None, None] * csi.d0[..., :, None] * csi.g.conj()[..., None, :])
    instantaneous_rates(h, Precoders(p=prec.p, b=b2), prob.noise_w).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), b2.grad.numpy(), rtol=1e-8, atol=1e-10 * b2.grad.abs().max().item())


def test_bad_sample_options_raise_naming_the_option(make_csi):
    prob = PrecodingProblem.from_csi(make_csi(25, B=1, S=1, K=2, M=4, N=2), power_dbw=0.0)
    prec = sep_mmse(prob)
    for kw, word in (({"samples": 1}, "samples"), ({"samples": 10.5}, "samples"), ({"chunk": 0}, "chunk")):
        with pytest.raises(ValueError, match=word):
            ergodic_rates(prob, prec, **kw)


def test_instantaneous_rates_accept_numpy_channels_and_mixed_precision(make_csi):
    """The live evaluator gets channels from the world model (numpy complex128) and precoders that may be
    complex64: same rates as the all-complex128 computation (to float32 accuracy)."""
    csi = make_csi(26, B=2, S=2, K=3, M=8, N=2)
    h = csi.sample_channels(np.random.default_rng(10))
    ref_prob = PrecodingProblem.from_csi(csi, power_dbw=0.0)
    ref = instantaneous_rates(torch.tensor(h), sep_mmse(ref_prob), ref_prob.noise_w)
    prob = PrecodingProblem.from_csi(csi, power_dbw=0.0, dtype=torch.complex64)
    got = instantaneous_rates(h, sep_mmse(prob), prob.noise_w)
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-4)
