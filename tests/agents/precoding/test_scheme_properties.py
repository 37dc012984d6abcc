"""Every registered scheme: equivariance, ordering on world drops, extreme powers, degenerate inputs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from agents.schemes import run as run_scheme
from constellation import scenario
from agents.precoding.problem import PrecodingProblem
from agents.precoding.rates import ergodic_rates, instantaneous_rates

BASE = ("Sep-MRT", "Sep-MMSE", "Sep-Opt-WM", "Cen-Opt-WM")


def _opts(name):
    return {"max_iter": 30, "tol": 1e-9} if name.endswith("-WM") else {}


@pytest.mark.parametrize("name", BASE)
def test_permutation_equivariance(make_csi, name):
    csi = make_csi(30, B=2, S=3, K=4, M=8, N=2)
    prob = PrecodingProblem.from_csi(csi, power_w=np.array([[0.5, 1.0, 2.0], [1.0, 0.3, 1.0]]))
    ps, pk = torch.tensor([2, 0, 1]), torch.tensor([3, 1, 0, 2])
    prec, _ = run_scheme(name, prob, **_opts(name))
    prec_perm, _ = run_scheme(name, prob.take(sats=ps, uts=pk), **_opts(name))
    want = prec.take(sats=ps, uts=pk)
    # precoders and receive vectors are defined up to a per-stream phase: compare invariant quantities
    gram = lambda x: torch.einsum("bski,bski->bsk", x.conj(), x)
    np.testing.assert_allclose(gram(prec_perm.p).real.numpy(), gram(want.p).real.numpy(), rtol=1e-7, atol=1e-14)
    cross = lambda x, y: (torch.einsum("bski,bski->bsk", x.conj(), y).abs())
    np.testing.assert_allclose(cross(prec_perm.p, want.p).numpy(), gram(want.p).real.numpy(), rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(cross(prec_perm.b, want.b).numpy(),
                               (gram(want.b).real.sqrt() * gram(prec_perm.b).real.sqrt()).numpy(), rtol=1e-7)
    r = ergodic_rates(prob, prec, samples=64, generator=torch.Generator().manual_seed(0)).rates
    r2 = ergodic_rates(prob.take(sats=ps, uts=pk), prec_perm, samples=64, generator=torch.Generator().manual_seed(0))
    # rates (deterministic functions of sCSI and precoders up to the MC noise of the permuted draw)
    assert torch.allclose(r2.wsr, r.sum((-2, -1)), rtol=0.05)


@pytest.fixture(scope="module")
def world_rates():
    drops = scenario.World(scenario.WorldConfig(S=3, K=12)).draw_drops(12, np.random.default_rng(2026))
    out = {}
    for pdb in (0.0, 10.0):
        prob = PrecodingProblem.from_csi(drops.csi, power_dbw=pdb)
        for name in BASE:
            prec, _ = run_scheme(name, prob, **({"max_iter": 60} if name.endswith("-WM") else {}))
            est = ergodic_rates(prob, prec, samples=256, generator=torch.Generator().manual_seed(1))
            out[(name, pdb)] = est.wsr.numpy()
    return out


@pytest.mark.parametrize("pdb", [0.0, 10.0])
def test_ordering_on_world_drops(world_rates, pdb):
    r = {name: world_rates[(name, pdb)] for name in BASE}
    mean = {k: v.mean() for k, v in r.items()}
    sem = lambda x: x.std(ddof=1) / np.sqrt(len(x))
    # paired comparisons over 12 drops: mean gain beyond 3 standard errors of the paired difference and 5%
    for sep in ("Sep-MRT", "Sep-MMSE", "Sep-Opt-WM"):
        diff = r["Cen-Opt-WM"] - r[sep]
        assert diff.mean() > 3 * sem(diff) and mean["Cen-Opt-WM"] > 1.05 * mean[sep], (sep, mean)
    for better in ("Sep-MMSE", "Sep-Opt-WM"):
        diff = r[better] - r["Sep-MRT"]
        assert diff.mean() > 3 * sem(diff) and mean[better] > 1.05 * mean["Sep-MRT"], (better, mean)
    print(f"P={pdb} dBW mean sum rate (bit/s/Hz) over 12 world drops: "
          + ", ".join(f"{k} {v:.2f}" for k, v in mean.items()))


@pytest.mark.parametrize("pdb", [-30.0, 30.0])
@pytest.mark.parametrize("name", BASE)
def test_finite_at_extreme_power(make_csi, name, pdb):
    csi = make_csi(31, B=2, S=2, K=4, M=8, N=2)
    prob = PrecodingProblem.from_csi(csi, power_dbw=pdb)
    prec, hist = run_scheme(name, prob, **_opts(name))
    assert bool(torch.isfinite(prec.p).all()) and bool(torch.isfinite(prec.b).all())
    assert torch.all(prec.power_w <= prob.power_w * (1 + 1e-8))
    est = ergodic_rates(prob, prec, samples=64)
    assert bool(torch.isfinite(est.rates).all()) and bool((est.rates >= 0).all())
    assert bool(torch.isfinite(hist["flops"]).all()) and bool((hist["flops"] > 0).all())
    if name.endswith("-WM"):
        assert bool(torch.isfinite(hist["objective"]).all())
    else:                                                     # closed forms have no objective
        assert bool(torch.isnan(hist["objective"]).all()) and bool((hist["iterations"] == 0).all())
    h = torch.tensor(csi.sample_channels(np.random.default_rng(0)))
    assert bool(torch.isfinite(instantaneous_rates(h, prec, prob.noise_w)).all())


@pytest.mark.parametrize("name", BASE)
def test_degenerate_inputs_are_regularised(make_csi, name):
    csi = make_csi(32, B=2, S=2, K=4, M=8, N=2)
    f = {fl.name: getattr(csi, fl.name).copy() for fl in dataclasses.fields(csi)}
    # UT 1 duplicates UT 0 on every link (rank-deficient steering matrices), one link has no LoS
    # (kappa = 0, d_bar = 0), one link is dead (beta = 0), one link is pure LoS (kappa = inf)
    for key in ("g", "d0", "beta", "kappa", "sigma"):
        f[key][:, :, 1] = f[key][:, :, 0]
    f["kappa"][0, 0, 2] = 0.0
    f["beta"][1, 1, 3] = 0.0
    f["kappa"][1, 0, 2] = np.inf
    csi2 = type(csi)(**f)
    prob = PrecodingProblem.from_csi(csi2, power_dbw=10.0)
    prec, _ = run_scheme(name, prob, **_opts(name))
    assert bool(torch.isfinite(prec.p).all()) and bool(torch.isfinite(prec.b).all())
    assert torch.all(prec.power_w <= prob.power_w * (1 + 1e-8))
    est = ergodic_rates(prob, prec, samples=64)
    assert bool(torch.isfinite(est.rates).all())


def test_invalid_inputs_raise_clear_errors(make_csi):
    csi = make_csi(33, B=1, S=2, K=3, M=4, N=2)
    f = {fl.name: getattr(csi, fl.name).copy() for fl in dataclasses.fields(csi)}
    f["noise_w"][:] = 0.0
    with pytest.raises(ValueError, match="noise_w"):
        PrecodingProblem.from_csi(type(csi)(**f), power_dbw=0.0)
    with pytest.raises(ValueError, match="power_w"):
        PrecodingProblem.from_csi(csi, power_w=0.0)
    f = {fl.name: getattr(csi, fl.name).copy() for fl in dataclasses.fields(csi)}
    f["g"][0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="g"):
        PrecodingProblem.from_csi(type(csi)(**f), power_dbw=0.0)
    with pytest.raises(ValueError, match="unknown scheme"):
        run_scheme("Nope", PrecodingProblem.from_csi(csi, power_dbw=0.0))


@pytest.mark.parametrize("name", BASE)
def test_complex64_matches_complex128(make_csi, name):
    csi = make_csi(34, B=2, S=2, K=4, M=8, N=2)
    out = {}
    for dt in (torch.complex64, torch.complex128):
        prob = PrecodingProblem.from_csi(csi, power_dbw=0.0, dtype=dt)
        prec, _ = run_scheme(name, prob, **_opts(name))
        assert prec.p.dtype == dt and prec.b.dtype == dt
        est = ergodic_rates(prob, prec, samples=512, generator=torch.Generator().manual_seed(0))
        assert est.wsr.dtype == prob.beta.dtype
        out[dt] = est.wsr.double()
    np.testing.assert_allclose(out[torch.complex64].numpy(), out[torch.complex128].numpy(), rtol=2e-2)


def test_sep_mmse_is_the_transmit_wiener_filter_of_each_satellite(make_csi):
    """Sep-MMSE on h_{s,k} = sqrt(gamma) g_{s,k}, gamma = E|d0^H d|^2 = d0^H R^ut d0: the transmit Wiener
    filter (Joham et al. 2005) minimises the sum MSE with a common receive scaling f,
    min_f ||I - f H P||_F^2 + |f|^2 sum_k sigma_k^2 = K - |tr(H P)|^2 / (||H P||_F^2 + sum_k sigma_k^2),
    over all P with ||P||_F^2 = P_s. Checked against other regularisations and random perturbations."""
    csi = make_csi(35, B=2, S=2, K=4, M=8, N=2)
    prob = PrecodingProblem.from_csi(csi, power_dbw=-3.0)
    prec = run_scheme("Sep-MMSE", prob)[0]
    rng = np.random.default_rng(0)
    for bi in range(2):
        for s in range(2):
            los = csi.kappa[bi, s] * csi.beta[bi, s] / (csi.kappa[bi, s] + 1)
            nlos = csi.beta[bi, s] / (csi.kappa[bi, s] + 1)
            d0 = csi.d0[bi, s]
            gamma = los * 1.0 + nlos * np.einsum("kn,knl,kl->k", d0.conj(), csi.sigma[bi, s], d0).real
            h = np.sqrt(gamma)[:, None] * csi.g[bi, s].conj()                  # rows h_k^H
            noise, budget = csi.noise_w[bi].sum(), prob.power_w[bi, s].item()

            def mse(pm):
                pm = pm * np.sqrt(budget / (np.abs(pm) ** 2).sum())
                hp = h @ pm
                return 4 - abs(np.trace(hp)) ** 2 / ((np.abs(hp) ** 2).sum() + noise)

            p = prec.p[bi, s].numpy().T                                        # [M, K]
            np.testing.assert_allclose((np.abs(p) ** 2).sum(), budget, rtol=1e-10)
            np.testing.assert_allclose(prec.b[bi, s].numpy(), d0)
            best = mse(p)
            for scale in (0.3, 0.7, 1.5, 3.0):                                 # other regularisations
                alt = h.conj().T @ np.linalg.inv(h @ h.conj().T + scale * noise / budget * np.eye(4))
                assert mse(alt) > best
            for _ in range(20):                                                # any nearby precoder
                dp = rng.standard_normal(p.shape) + 1j * rng.standard_normal(p.shape)
                assert mse(p + 1e-2 * np.linalg.norm(p) * dp / np.linalg.norm(dp)) > best


def test_memoised_derived_tensors_follow_edits_of_the_problem(make_csi):
    """R_ut (14) and the steering QR are memoised; editing a field in place or replacing it must not
    return a stale value (the live simulation may refresh a problem's tensors every tick)."""
    csi = make_csi(36, B=1, S=2, K=3, M=8, N=2)
    other = make_csi(37, B=1, S=2, K=3, M=8, N=2)
    prob = PrecodingProblem.from_csi(csi, power_dbw=0.0)
    fresh = lambda: PrecodingProblem(**{f: getattr(prob, f).clone() for f in
                                        ("g", "d0", "beta", "kappa", "sigma", "noise_w", "power_w", "weights")})
    _ = prob.r_ut, prob.steering_qr
    prob.d0.copy_(torch.as_tensor(other.d0))                          # in place
    prob.beta.mul_(2.0)
    np.testing.assert_allclose(prob.r_ut.numpy(), fresh().r_ut.numpy(), rtol=1e-12)
    prob.g = torch.as_tensor(other.g).clone()                         # replaced
    q, rg = prob.steering_qr
    np.testing.assert_allclose((q @ rg).numpy(), prob.g.transpose(-2, -1).numpy(), atol=1e-12)
