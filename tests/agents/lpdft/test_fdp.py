"""FDP power normalisations of the LP-DFT paper's ref. [10] (agents.lpdft.fdp) against their definitions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.lpdft.algorithms import mmse_fdp
from agents.lpdft.dft import dft_codebook
from agents.lpdft.fdp import FDP_VARIANTS, mmse_fdp_normalised, normalise
from agents.lpdft.scenario import LPDFTConfig, LPDFTScenario
from agents.experiments.lpdft import sweep


def _scenario(rng, b=5, k=3, ura=(2, 4), power=10.0, noise=0.1, h=None):
    cfg = LPDFTConfig(n_users=k, fft_shape=ura, ura=ura, power_w=power)
    na = ura[0] * ura[1]
    if h is None:
        h = (rng.normal(size=(b, k, na)) + 1j * rng.normal(size=(b, k, na))) / np.sqrt(2)
    b = h.shape[0]
    return LPDFTScenario(cfg=cfg, h=h, noise_w=np.full((b, h.shape[1]), noise), power_w=np.full(b, power),
                         codebook=dft_codebook(ura, ura), geometry={})


def test_each_normalisation_meets_its_definition():
    rng = np.random.default_rng(3)
    scn = _scenario(rng)
    na, p = 8, 10.0
    spc = mmse_fdp_normalised(scn, "sum")
    mpc = mmse_fdp_normalised(scn, "max-antenna")
    pac = mmse_fdp_normalised(scn, "per-antenna")
    q = {n: (r.W.abs() ** 2).sum(-1).numpy() for n, r in (("spc", spc), ("mpc", mpc), ("pac", pac))}
    # SPC is the existing MMSE-FDP (independent implementation in algorithms.py), total power P
    assert torch.allclose(spc.W, mmse_fdp(scn).W, atol=1e-12)
    np.testing.assert_allclose(q["spc"].sum(-1), p, rtol=1e-12)
    # MPC: the strongest antenna at P / N_a, the matrix proportional to SPC's (same nulls), total <= P
    np.testing.assert_allclose(q["mpc"].max(-1), p / na, rtol=1e-12)
    ratio = mpc.W / spc.W
    assert torch.allclose(ratio, ratio[:, :1, :1].expand_as(ratio), atol=1e-12)
    assert (q["mpc"].sum(-1) <= p * (1 + 1e-12)).all() and (q["mpc"].sum(-1) < p).any()
    # PAC: every antenna at exactly P / N_a, each row proportional to SPC's row
    np.testing.assert_allclose(q["pac"], p / na, rtol=1e-12)
    rows = pac.W / spc.W
    assert torch.allclose(rows, rows[..., :1].expand_as(rows), atol=1e-12)
    # MPC only scales the SPC precoder down: every user's SINR, hence rate, can only drop
    assert (mpc.rates <= spc.rates + 1e-12).all()


def test_normalisations_coincide_when_the_antennas_are_balanced():
    """One user behind a pure phase-steering channel: |V[n]| equal on every antenna, so the three
    normalisations are the same precoder (the limiting case where they cannot differ)."""
    na = 8
    phase = np.exp(1j * np.linspace(0, 2.5, na))
    scn = _scenario(None, h=np.stack([phase[None, :], 2 * phase[None, :]]))
    w = [mmse_fdp_normalised(scn, n).W for n in ("sum", "max-antenna", "per-antenna")]
    assert torch.allclose(w[0], w[1], atol=1e-12) and torch.allclose(w[0], w[2], atol=1e-12)


def test_bad_normalisation_and_sweep_names():
    with pytest.raises(ValueError, match="normalisation"):
        normalise(torch.ones(1, 2, 2, dtype=torch.complex128), torch.ones(1, dtype=torch.float64), "peak")
    assert set(FDP_VARIANTS) == {f"{k}-FDP-{t}" for k in ("MMSE", "MF") for t in ("SPC", "MPC", "PAC")}
    res = sweep("users", [2], LPDFTConfig(ura=(4, 4), fft_shape=(4, 4)), drops=2,
                schemes=["MMSE-FDP", "MMSE-FDP-SPC", "MMSE-FDP-PAC"])
    r = {x["scheme"]: x["sum_rate_bps_hz"] for x in res["results"]}
    assert r["MMSE-FDP"] == pytest.approx(r["MMSE-FDP-SPC"], rel=1e-12)
    with pytest.raises(ValueError, match="MMSE-FDP-MPC"):
        sweep("users", [2], drops=1, schemes=["Bogus"])
