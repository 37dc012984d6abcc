"""Fully digital precoding (FDP) baselines of the LP-DFT paper with the power normalisations of
its reference [10] (P. Angeletti and R. De Gaudenzi, "A Pragmatic Approach to Massive MIMO for
Broadband Communication Satellites", IEEE Access 8, 2020).

The LP-DFT paper benchmarks against "MF-FDP" and "MMSE-FDP" "presented in [10]" without saying
how they are normalised; [10] (and the satellite precoding literature it follows) normalises the
MMSE / MF precoding matrix in several ways. With the unnormalised precoder ``V`` [B, N_a, K]
(MMSE: ``V = h^H (h h^H + sum_k sigma_k^2 / P I)^{-1}``; MF: ``V = h^H``) and the per-antenna
power ``q_n = sum_k |V[n, k]|^2``:

* ``"sum"`` (SPC, sum power): ``W = sqrt(P / sum_n q_n) V`` -- total power P, each antenna as
  the precoder wants (what :func:`agents.lpdft.algorithms.mmse_fdp` does);
* ``"max-antenna"`` (MPC, maximum per-antenna power): ``W = sqrt(P / (N_a max_n q_n)) V`` --
  the whole matrix scaled so that the strongest antenna radiates P / N_a (an amplifier's
  saturation power); keeps the precoder's directions (interference nulls), total power
  ``P mean_n q_n / max_n q_n <= P``;
* ``"per-antenna"`` (PAC, per-antenna power): ``W = diag(sqrt(P / (N_a q_n))) V`` -- every
  antenna at exactly P / N_a (every amplifier at its operating point), total power P, but the
  row scaling bends the zero-forcing directions (residual interference).

All three meet ``||W||_F^2 <= P``, so they are comparable with the LP-DFT family when its radiated
power is within P (the default full-window URA). :data:`FDP_VARIANTS` names them
``"MMSE-FDP-SPC"``, ``"MMSE-FDP-MPC"``, ``"MMSE-FDP-PAC"`` (and the MF analogues) for
:func:`agents.experiments.lpdft.sweep`.
"""
from __future__ import annotations

import torch

from .algorithms import CDTYPE, _c, _r, _result
from .scenario import LPDFTScenario

__all__ = ["NORMALISATIONS", "normalise", "mmse_fdp_normalised", "mf_fdp_normalised", "FDP_VARIANTS"]

NORMALISATIONS = ("sum", "max-antenna", "per-antenna")
_TAG = {"sum": "SPC", "max-antenna": "MPC", "per-antenna": "PAC"}


def normalise(V: torch.Tensor, power_w: torch.Tensor, normalisation: str = "sum") -> torch.Tensor:
    """Scale the precoder ``V`` [B, N_a, K] onto the power ``power_w`` [B] (W) by ``normalisation``
    (one of :data:`NORMALISATIONS`; see the module docstring). An all-zero antenna row stays zero."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {list(NORMALISATIONS)}, got {normalisation!r}")
    q = (V.abs() ** 2).sum(-1)                                    # [B, N_a] per-antenna power
    n_a = V.shape[-2]
    tiny = 1e-300
    if normalisation == "sum":
        scale = torch.sqrt(power_w / q.sum(-1).clamp_min(tiny))[:, None].expand_as(q)
    elif normalisation == "max-antenna":
        scale = torch.sqrt(power_w / n_a / q.amax(-1).clamp_min(tiny))[:, None].expand_as(q)
    else:
        scale = torch.where(q > 0, torch.sqrt((power_w / n_a)[:, None] / q.clamp_min(tiny)), torch.zeros_like(q))
    return V * scale[..., None].to(V.dtype)


def _mmse_direction(scn: LPDFTScenario) -> torch.Tensor:
    h = _c(scn.h)                                                  # [B, K, N_a]
    power = _r(scn.power_w)
    k = h.shape[1]
    reg = (_r(scn.noise_w).sum(-1) / power).to(CDTYPE)
    gram = h @ h.mH + reg[:, None, None] * torch.eye(k, dtype=CDTYPE)
    return h.mH @ torch.linalg.inv(gram)


def mmse_fdp_normalised(scn: LPDFTScenario, normalisation: str = "sum"):
    """Fully digital MMSE (regularised ZF) with the given power normalisation."""
    W = normalise(_mmse_direction(scn), _r(scn.power_w), normalisation)
    return _result(f"MMSE-FDP-{_TAG[normalisation]}", scn, W, None, _c(scn.h))


def mf_fdp_normalised(scn: LPDFTScenario, normalisation: str = "sum"):
    """Fully digital matched filter ``V = h^H`` with the given power normalisation."""
    h = _c(scn.h)
    W = normalise(h.mH, _r(scn.power_w), normalisation)
    return _result(f"MF-FDP-{_TAG[normalisation]}", scn, W, None, h)


def _variant(fn, normalisation):
    def run(scn, **_):
        return fn(scn, normalisation)
    run.__doc__ = f"{fn.__name__} with normalisation={normalisation!r}"
    return run


FDP_VARIANTS = {f"{kind}-FDP-{_TAG[n]}": _variant(fn, n)
                for kind, fn in (("MMSE", mmse_fdp_normalised), ("MF", mf_fdp_normalised)) for n in NORMALISATIONS}
