"""LP-DFT (Algorithm 1), Greedy-ZF (Algorithm 2) and baselines against independent truths."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from agents.lpdft.algorithms import (LPDFT_SCHEMES, assignment_candidates, assignment_objective, assignment_step, assignment_terms,
                                     effective_channel, greedy_columns, lp_dft, run_scheme,
                                     scale_to_radiated_budget, solve_assignment, sum_rate_gbps)
from agents.lpdft.dft import dft_codebook, dft_codebook_fft
from agents.lpdft.scenario import LPDFTConfig, LPDFTScenario, channel_from_geometry, draw_scenario
from agents.precoding.miso import miso_objective, miso_receive_update, miso_wmmse

CD = torch.complex128


def _rayleigh_scenario(rng, b=4, k=3, fft=(2, 4), ura=(2, 4), power=10.0, noise=0.1, scale=1.0):
    """A small generic (Rayleigh) instance: exercises the algebra, not the geometry."""
    cfg = LPDFTConfig(n_users=k, fft_shape=fft, ura=ura, power_w=power)
    na = ura[0] * ura[1]
    h = scale * (rng.normal(size=(b, k, na)) + 1j * rng.normal(size=(b, k, na))) / np.sqrt(2)
    return LPDFTScenario(cfg=cfg, h=h, noise_w=np.full((b, k), noise), power_w=np.full(b, power),
                         codebook=dft_codebook(fft, ura), geometry={})


def _all_assignments(n, l_streams):
    return np.array(list(itertools.permutations(range(n), l_streams)))


def _random_state(rng, G, l_streams, noise, power):
    """A feasible (cols, W) and the MMSE (u, w) for it."""
    b, k, n = G.shape
    cols = np.stack([rng.permutation(n)[:l_streams] for _ in range(b)])
    W = torch.as_tensor(rng.normal(size=(b, l_streams, k)) + 1j * rng.normal(size=(b, l_streams, k)), dtype=CD)
    W = W * torch.sqrt(power / (W.abs() ** 2).sum((-2, -1)))[:, None, None]
    u, _, w = miso_receive_update(effective_channel(G, cols), W, noise)
    return cols, W, u, w


# ----------------------------------------------------------------------------- feasibility and power
@pytest.mark.parametrize("ura", [(16, 16), (8, 8)])
def test_assignments_feasible_and_power_budget_met(ura):
    scn = draw_scenario(LPDFTConfig(n_users=6, ura=ura), 5, np.random.default_rng(0))
    for name in LPDFT_SCHEMES:
        res = run_scheme(name, scn)
        power = (res.W.abs() ** 2).sum((-2, -1)).numpy()
        assert np.all(power <= scn.power_w * (1 + 1e-9)), name
        np.testing.assert_allclose(power, scn.power_w, rtol=1e-9, err_msg=name)   # every scheme uses the budget
        if res.cols is None:
            assert res.W.shape == (5, scn.cfg.n_elements, 6)
            continue
        assert res.cols.shape == (5, 6)
        assert res.cols.min() >= 0 and res.cols.max() < 256
        for row in res.cols:                       # each stream one port, each port at most once
            assert len(set(row.tolist())) == len(row)
        # the result's effective channel is the chosen DFT columns of h T F
        np.testing.assert_allclose(res.h_eff.numpy(), np.take_along_axis(scn.beam_channel, res.cols[:, None, :], 2))


def test_subgradient_multiplier_meets_budget_and_matches_exact():
    scn = draw_scenario(LPDFTConfig(n_users=4), 3, np.random.default_rng(1))
    ex = lp_dft(scn, method="exact", max_iter=15)
    sg = lp_dft(scn, method="subgradient", max_iter=15)
    assert np.all((sg.W.abs() ** 2).sum((-2, -1)).numpy() <= scn.power_w * (1 + 1e-9))
    np.testing.assert_allclose(sg.sum_rate_bps_hz, ex.sum_rate_bps_hz, rtol=1e-4)
    assert np.all(np.diff(sg.history["sum_rate"].numpy(), axis=0) >= -1e-9)


def test_radiated_power_of_a_window_and_its_budget_scaling():
    scn = draw_scenario(LPDFTConfig(n_users=6, ura=(8, 8)), 4, np.random.default_rng(2))
    res = run_scheme("LP-DFT", scn, max_iter=10)
    # independent: the payload signal path, ports -> fft2 -> window, one symbol at a time
    z = np.zeros((4, 6, 256), complex)                   # [B, K (symbol), N (port)]
    W = res.W.numpy()
    for b in range(4):
        z[b][:, res.cols[b]] = W[b].T
    x = dft_codebook_fft(z, (16, 16), (8, 8))
    np.testing.assert_allclose(res.radiated_power_w, (np.abs(x) ** 2).sum((-2, -1)), rtol=1e-10)
    capped = scale_to_radiated_budget(res, scn)
    assert np.all(capped.radiated_power_w <= scn.power_w * (1 + 1e-9))
    assert np.all(capped.sum_rate_bps_hz <= res.sum_rate_bps_hz + 1e-12)


# ----------------------------------------------------------------------------- step (ii) is the MISO WMMSE
def test_fixed_assignment_lp_dft_is_the_precoding_modules_miso_wmmse():
    rng = np.random.default_rng(4)
    scn = draw_scenario(LPDFTConfig(n_users=5, power_w=2000.0), 3, rng)
    G = torch.as_tensor(scn.beam_channel, dtype=CD)
    cols = np.stack([rng.permutation(256)[:5] for _ in range(3)])
    h_eff = effective_channel(G, cols)
    # an arbitrary feasible start (not a fixed point)
    W0 = torch.as_tensor(rng.normal(size=(3, 5, 5)) + 1j * rng.normal(size=(3, 5, 5)), dtype=CD)
    W0 = W0 * torch.sqrt(torch.tensor(2000.0) / (W0.abs() ** 2).sum((-2, -1)))[:, None, None]
    ours = lp_dft(scn, update_assignment=False, init_cols=cols, init_W=W0, max_iter=12, tol=0.0)
    W_ref, hist = miso_wmmse(h_eff, torch.as_tensor(scn.noise_w), torch.as_tensor(scn.power_w),
                             init=W0, max_iter=12, tol=0.0)
    np.testing.assert_array_equal(ours.cols, cols)
    np.testing.assert_allclose(ours.W.numpy(), W_ref.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.history["sum_rate"].numpy(), hist["wsr"].numpy(), rtol=1e-10)
    assert ours.history["iterations"] == 12 and bool((hist["iterations"] == 12).all())


# ----------------------------------------------------------------------------- step (iii): the assignment
def test_hungarian_solves_the_linear_assignment_problem_exactly():
    rng = np.random.default_rng(5)
    cost = rng.normal(size=(6, 8, 3))                   # [B, N ports, L streams]
    cols = solve_assignment(cost)
    every = _all_assignments(8, 3)                      # [336, 3]
    for b in range(6):
        totals = cost[b][every, np.arange(3)].sum(-1)
        assert np.isclose(cost[b][cols[b], np.arange(3)].sum(), totals.min())
        assert len(set(cols[b].tolist())) == 3


def test_objective_in_A_is_the_quadratic_form_of_the_derivation():
    rng = np.random.default_rng(6)
    scn = _rayleigh_scenario(rng, b=3, k=3)
    G = torch.as_tensor(scn.beam_channel, dtype=CD)
    noise = torch.as_tensor(scn.noise_w)
    cols, W, u, w = _random_state(rng, G, 3, noise, 10.0)
    Q, R, P = assignment_terms(G, W, u, w)
    const = (w * (u.abs() ** 2 * noise + 1.0) - torch.log(w)).sum(-1)
    for trial in range(5):
        c = np.stack([rng.permutation(8)[:3] for _ in range(3)])
        A = torch.zeros((3, 8, 3), dtype=CD)
        A.scatter_(1, torch.as_tensor(c)[:, None, :], 1.0)
        quad = torch.einsum("bnl,blm,bpm,bpn->b", A, R, A, Q).real          # tr(A R A^T Q)
        lin = (A * P).sum((-2, -1)).real
        np.testing.assert_allclose((quad - 2 * lin + const).numpy(),
                                   assignment_objective(G, c, W, u, w, noise).numpy(), rtol=1e-10)
    # and at the MMSE (u, w) it is the precoding module's WMMSE objective (K + ln e terms)
    np.testing.assert_allclose(assignment_objective(G, cols, W, u, w, noise).numpy(),
                               miso_objective(effective_channel(G, cols), W, noise).numpy(), rtol=1e-10)


@pytest.mark.parametrize("fft, l_streams", [((2, 4), 2), ((2, 4), 3), ((4, 4), 2), ((4, 4), 3)])
def test_assignment_step_is_brute_force_optimal_when_W_has_orthogonal_rows(fft, l_streams):
    """R = W W^H diagonal: J(A) is exactly linear in A and the Hungarian step is the global optimum."""
    rng = np.random.default_rng(7 + l_streams)
    n = fft[0] * fft[1]
    scn = _rayleigh_scenario(rng, b=4, k=l_streams, fft=fft, ura=fft)
    G = torch.as_tensor(scn.beam_channel, dtype=CD)
    noise = torch.as_tensor(scn.noise_w)
    q, _ = np.linalg.qr(rng.normal(size=(4, l_streams, l_streams)) + 1j * rng.normal(size=(4, l_streams, l_streams)))
    W = torch.as_tensor(q * np.sqrt(10.0 / l_streams), dtype=CD)              # orthogonal rows, ||W||^2 = P
    np.testing.assert_allclose((W @ W.mH).numpy(), np.broadcast_to(np.eye(l_streams) * 10.0 / l_streams, (4, l_streams, l_streams)), atol=1e-12)
    cols0 = np.stack([rng.permutation(n)[:l_streams] for _ in range(4)])
    u, _, w = miso_receive_update(effective_channel(G, cols0), W, noise)
    new, _ = assignment_step(G, cols0, W, u, w, noise)
    paper = assignment_candidates(G, cols0, W, u, w)["paper"]     # the paper's (17) alone
    every = _all_assignments(n, l_streams)
    for b in range(4):
        sl = slice(b, b + 1)
        brute = torch.stack([assignment_objective(G[sl], c[None], W[sl], u[sl], w[sl], noise[sl])[0]
                             for c in every])
        for cand in (new, paper):
            got = assignment_objective(G[sl], cand[sl], W[sl], u[sl], w[sl], noise[sl])[0]
            np.testing.assert_allclose(got.item(), brute.min().item(), rtol=1e-10)


def test_assignment_step_never_worsens_the_objective():
    rng = np.random.default_rng(8)
    improved = 0
    for trial in range(6):
        scn = _rayleigh_scenario(rng, b=5, k=3, fft=(4, 4), ura=(3, 3), power=rng.uniform(1, 100))
        G = torch.as_tensor(scn.beam_channel, dtype=CD)
        noise = torch.as_tensor(scn.noise_w)
        cols, W, u, w = _random_state(rng, G, 3, noise, float(scn.power_w[0]))
        before = assignment_objective(G, cols, W, u, w, noise)
        new, choice = assignment_step(G, cols, W, u, w, noise)
        after = assignment_objective(G, new, W, u, w, noise)
        assert torch.all(after <= before + 1e-12 * before.abs())
        improved += int((after < before - 1e-9).sum())
        for row in new:
            assert len(set(row.tolist())) == 3
        # kept assignments are the old ones
        np.testing.assert_array_equal(new[choice == 0], cols[choice == 0])
    assert improved > 10          # from random starts the step does move


def test_single_move_costs_are_the_exact_objective_changes():
    rng = np.random.default_rng(12)
    scn = _rayleigh_scenario(rng, b=3, k=3, fft=(4, 4), ura=(4, 2))
    G = torch.as_tensor(scn.beam_channel, dtype=CD)
    noise = torch.as_tensor(scn.noise_w)
    cols, W, u, w = _random_state(rng, G, 3, noise, 10.0)
    delta = assignment_candidates(G, cols, W, u, w)["delta"]              # [B, N, L]
    base = assignment_objective(G, cols, W, u, w, noise).numpy()
    for b in range(3):
        for l in range(3):
            for n in range(16):
                if n in cols[b] and n != cols[b, l]:
                    continue                                               # port taken by another stream
                moved = cols.copy()
                moved[b, l] = n
                true = assignment_objective(G, moved, W, u, w, noise).numpy()[b] - base[b]
                assert delta[b, n, l] == pytest.approx(true, abs=1e-9 * abs(base[b]))


# ----------------------------------------------------------------------------- Algorithm 1 as a whole
def test_lp_dft_sum_rate_history_is_monotone_and_reported():
    scn = draw_scenario(LPDFTConfig(n_users=8), 4, np.random.default_rng(9))
    res = lp_dft(scn, max_iter=25, init="random", rng=np.random.default_rng(1))
    hist = res.history
    rate = hist["sum_rate"].numpy()
    assert rate.shape[1] == 4 and rate.shape[0] == hist["iterations"] + 1
    assert np.all(np.diff(rate, axis=0) >= -1e-9 * rate[1:])
    assert np.all(np.diff(hist["objective"].numpy(), axis=0) <= 1e-9)
    np.testing.assert_allclose(rate[-1], res.sum_rate_bps_hz, rtol=1e-12)
    assert (hist["assignment_choice"].numpy() > 0).any()      # the ports moved from the random start
    assert rate[-1].mean() > rate[0].mean() + 5.0


def test_single_user_all_schemes_reach_the_full_array_gain_closed_form():
    cfg = LPDFTConfig(n_users=1, power_w=100.0)
    ux, uy = -2 * 3 / 16, 2 * 5 / 16                            # port (13, 5) on the 16 x 16 grid
    uz = np.sqrt(1 - ux**2 - uy**2)
    rng_m = 1.1e7
    h = channel_from_geometry(cfg, np.array([[[ux, uy, uz]]]), np.array([[np.arccos(uz)]]), np.array([[rng_m]]))
    scn = LPDFTScenario(cfg=cfg, h=h, noise_w=np.array([[cfg.noise_w]]), power_w=np.array([100.0]),
                        codebook=dft_codebook((16, 16), (16, 16)), geometry={})
    g = 4.0 * uz * 1e4 * (299_792_458.0 / (4 * np.pi * rng_m * 20e9)) ** 2
    expect = np.log2(1 + 100.0 * g * 256 / cfg.noise_w)
    for name in LPDFT_SCHEMES:
        res = run_scheme(name, scn)
        np.testing.assert_allclose(res.sum_rate_bps_hz, [expect], rtol=1e-9, err_msg=name)
        if res.cols is not None:
            assert res.cols[0, 0] == 13 * 16 + 5
    np.testing.assert_allclose(sum_rate_gbps(res, 500e6), expect * 0.5, rtol=1e-9)


def test_greedy_picks_the_strongest_free_port_each_step():
    G = np.array([[[5.0, 4.0, 0.0, 1.0],
                   [4.9, 0.0, 3.0, 0.0],
                   [0.0, 0.0, 2.0, 2.5]]])
    # global order: (0, 0)=5 -> user 0 port 0; then user 1: max free is port 2 (3.0) vs user 2 port 3 (2.5)
    np.testing.assert_array_equal(greedy_columns(G), [[0, 2, 3]])
    np.testing.assert_array_equal(greedy_columns(G, 2), [[0, 2]])


def test_on_average_lp_dft_beats_greedy_zf_beats_dft_bf():
    scn = draw_scenario(LPDFTConfig(n_users=8, power_w=4000.0), 12, np.random.default_rng(2024))
    lp = run_scheme("LP-DFT", scn, max_iter=30).sum_rate_bps_hz
    gz = run_scheme("Greedy-ZF", scn).sum_rate_bps_hz
    bf = run_scheme("DFT-BF", scn).sum_rate_bps_hz
    assert np.all(lp >= gz - 1e-9)             # Algorithm 1 starts from Algorithm 2 and is monotone
    assert lp.mean() >= gz.mean()
    assert gz.mean() > bf.mean() + 1.0         # interference-limited regime: LP on top of DFT beams pays


def test_mmse_fdp_is_the_transmit_wiener_filter():
    """MMSE-FDP minimises K - |tr(h W)|^2 / (||h W||_F^2 + sum_k sigma_k^2) over ||W||_F^2 = P (the sum MSE
    with the best common receive scaling; Joham et al. 2005): other regularisations and nearby W do worse."""
    rng = np.random.default_rng(13)
    scn = _rayleigh_scenario(rng, b=3, k=4, fft=(4, 4), ura=(4, 4), power=5.0, noise=0.5)
    res = run_scheme("MMSE-FDP", scn)
    h, noise, budget = scn.h, scn.noise_w.sum(-1), 5.0

    def mse(b, W):
        W = W * np.sqrt(budget / (np.abs(W) ** 2).sum())
        hw = h[b] @ W
        return 4 - abs(np.trace(hw)) ** 2 / ((np.abs(hw) ** 2).sum() + noise[b])

    for b in range(3):
        W = res.W[b].numpy()
        np.testing.assert_allclose((np.abs(W) ** 2).sum(), budget, rtol=1e-10)
        best = mse(b, W)
        for scale in (0.3, 0.7, 1.5, 3.0):
            alt = h[b].conj().T @ np.linalg.inv(h[b] @ h[b].conj().T + scale * noise[b] / budget * np.eye(4))
            assert mse(b, alt) > best
        for _ in range(20):
            d = rng.normal(size=W.shape) + 1j * rng.normal(size=W.shape)
            assert mse(b, W + 1e-2 * np.linalg.norm(W) * d / np.linalg.norm(d)) > best


def test_lp_dft_batched_equals_one_drop_at_a_time():
    """Converged drops are frozen: a drop's result does not depend on the rest of its batch."""
    scn = draw_scenario(LPDFTConfig(n_users=6, ura=(8, 8)), 4, np.random.default_rng(14))
    res = lp_dft(scn, max_iter=40, tol=1e-4)
    assert len(set(res.history["converged_at"].tolist())) > 1          # they really stop at different times
    for i in range(4):
        one = LPDFTScenario(cfg=scn.cfg, h=scn.h[i:i + 1], noise_w=scn.noise_w[i:i + 1],
                            power_w=scn.power_w[i:i + 1], codebook=scn.codebook, geometry={})
        r1 = lp_dft(one, max_iter=40, tol=1e-4)
        assert r1.history["converged_at"].item() == res.history["converged_at"][i].item()
        np.testing.assert_array_equal(r1.cols[0], res.cols[i])
        np.testing.assert_allclose(r1.W[0].numpy(), res.W[i].numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kw, word", [({"max_iter": 0}, "max_iter"), ({"tol": float("nan")}, "tol"),
                                      ({"method": "newton"}, "method"), ({"init": "zeros"}, "init")])
def test_lp_dft_bad_options_raise_naming_the_option(kw, word):
    scn = draw_scenario(LPDFTConfig(n_users=2), 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=word):
        lp_dft(scn, **kw)


def test_radiated_power_bound_n_over_na():
    """The DFT-input budget bounds the radiated power only by (N / N_a) P: lambda_max(B^H B) = N / N_a."""
    for ura in ((16, 16), (8, 8), (4, 4), (1, 1)):
        B = dft_codebook((16, 16), ura)
        ev = np.linalg.eigvalsh(B.conj().T @ B)
        na = ura[0] * ura[1]
        np.testing.assert_allclose(ev[-na:], 256 / na, rtol=1e-9)
        np.testing.assert_allclose(ev[:-na], 0.0, atol=1e-9)
    scn = draw_scenario(LPDFTConfig(n_users=6, ura=(4, 4)), 4, np.random.default_rng(15))
    res = run_scheme("LP-DFT", scn, max_iter=10)
    assert np.all(res.radiated_power_w <= 16 * scn.power_w * (1 + 1e-9))
    assert np.all(res.radiated_power_w > 1.2 * scn.power_w)          # and LP-DFT does exploit it
