"""Separate (non-cooperative) baselines of Section VI-A: Sep-MRT and Sep-MMSE.

Each satellite designs its precoders from its own sCSI only, ignoring the other
satellites; the receive vectors are the receive steering vectors b_{s,k} = d0_{s,k}.

* Sep-MRT: p_{s,k} = sqrt(P_s / K) g_{s,k} (equal power per stream, full budget).
* Sep-MMSE: regularised zero-forcing (transmit MMSE) on the effective channel
  seen through b = d0, h_{s,k}^H = sqrt(gamma_{s,k}) g_{s,k}^H with
  gamma_{s,k} = d0^H R^ut_{s,k} d0 = E|d0^H d_{s,k}|^2 (average received power);
  P_s = c H_s^H (H_s H_s^H + (sum_k sigma_k^2 / P_s) I)^{-1}, c scaling to
  ||P_s||_F^2 = P_s (the budget, W).

:func:`sep_mrt` / :func:`sep_mmse` return Precoders only; :func:`sep_mrt_scheme` /
:func:`sep_mmse_scheme` follow the scheme contract (:mod:`agents.precoding.contract`:
``fn(problem) -> (Precoders, history)`` with iterations/objective/flops).
"""
from __future__ import annotations

import torch

from . import flops as flopcount
from .contract import closed_form_history
from .problem import PrecodingProblem, Precoders
from .wmmse import mrt_precoders

__all__ = ["sep_mrt", "sep_mmse", "sep_mrt_scheme", "sep_mmse_scheme"]


def sep_mrt(problem: PrecodingProblem) -> Precoders:
    """Sep-MRT: matched filter per satellite, equal power per stream, b = d0."""
    return mrt_precoders(problem)


def sep_mmse(problem: PrecodingProblem) -> Precoders:
    """Sep-MMSE: per-satellite regularised ZF with noise/power regularisation, b = d0."""
    b = problem.d0
    gamma = torch.einsum("bskn,bsknl,bskl->bsk", b.conj(), problem.r_ut, b).real.clamp_min(0.0)
    hrows = torch.sqrt(gamma).to(problem.dtype)[..., None] * problem.g.conj()   # row k = h_{s,k}^H, [B,S,K,M]
    gram = hrows @ hrows.mH                                                     # [B,S,K,K]
    alpha = problem.noise_w.sum(-1)[:, None] / problem.power_w                  # [B,S]
    k = problem.shape[2]
    eye = torch.eye(k, dtype=problem.dtype)
    x = torch.linalg.solve(gram + alpha.to(problem.dtype)[..., None, None] * eye, eye.expand_as(gram))
    p = (hrows.mH @ x).transpose(-2, -1)                                       # [B,S,K,M], p_{s,k}
    pw = (p.abs() ** 2).sum((-2, -1))
    tiny = torch.finfo(pw.dtype).tiny
    scale = torch.sqrt(problem.power_w / pw.clamp_min(tiny))
    p = torch.where((pw > tiny)[..., None, None], p * scale.to(p.dtype)[..., None, None], mrt_precoders(problem).p)
    return Precoders(p=p, b=b.clone())


def sep_mrt_scheme(problem: PrecodingProblem) -> tuple[Precoders, dict]:
    """Sep-MRT (:func:`sep_mrt`); flops = S * 2 K M (:func:`agents.precoding.flops.sep_mrt_flops`),
    per satellite 2 K M; no objective."""
    b, s, k, m, n = problem.shape
    per_sat = flopcount.sep_mrt_flops(1, k, m)
    return sep_mrt(problem), closed_form_history(b, s * per_sat,
                                                 flops_per_satellite=torch.full((b, s), per_sat, dtype=torch.float64))


def sep_mmse_scheme(problem: PrecodingProblem) -> tuple[Precoders, dict]:
    """Sep-MMSE (:func:`sep_mmse`); flops per satellite :func:`agents.precoding.flops.sep_mmse_flops`
    at S = 1: K cquad(N) + 8 K N^2 + 8 K M + cmatmul(K,M,K) + csolve(K,K) + cmatmul(M,K,K); no objective."""
    b, s, k, m, n = problem.shape
    per_sat = flopcount.sep_mmse_flops(1, k, m, n)
    return sep_mmse(problem), closed_form_history(b, s * per_sat,
                                                  flops_per_satellite=torch.full((b, s), per_sat, dtype=torch.float64))
