"""Separate (non-cooperative) baselines of Section VI-A: Sep-MRT and Sep-MMSE, and the scheme registry.

Each satellite designs its precoders from its own sCSI only, ignoring the other
satellites; the receive vectors are the receive steering vectors b_{s,k} = d0_{s,k}.

* Sep-MRT: p_{s,k} = sqrt(P_s / K) g_{s,k} (equal power per stream, full budget).
* Sep-MMSE: regularised zero-forcing (transmit MMSE) on the effective channel
  seen through b = d0, h_{s,k}^H = sqrt(gamma_{s,k}) g_{s,k}^H with
  gamma_{s,k} = d0^H R^ut_{s,k} d0 = E|d0^H d_{s,k}|^2 (average received power);
  P_s = c H_s^H (H_s H_s^H + (sum_k sigma_k^2 / P_s) I)^{-1}, c scaling to
  ||P_s||_F^2 = P_s (the budget, W).

Every scheme has the signature ``scheme(problem, **options) -> Precoders`` or
``-> (Precoders, history)`` (the WMMSE family); :data:`SCHEMES` maps the
paper's names to them and later issues register the learned schemes.
"""
from __future__ import annotations

from typing import Callable

import torch

from .problem import PrecodingProblem, Precoders
from .wmmse import cen_opt_wm, mrt_precoders, sep_opt_wm

__all__ = ["sep_mrt", "sep_mmse", "SCHEMES", "register_scheme", "run_scheme"]


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


SCHEMES: dict[str, Callable] = {
    "Sep-MRT": sep_mrt,
    "Sep-MMSE": sep_mmse,
    "Sep-Opt-WM": sep_opt_wm,
    "Cen-Opt-WM": cen_opt_wm,
}


def register_scheme(name: str, fn: Callable, overwrite: bool = False) -> None:
    """Add a scheme ``fn(problem, **options) -> Precoders | (Precoders, history)`` to :data:`SCHEMES`."""
    if name in SCHEMES and not overwrite:
        raise ValueError(f"register_scheme: {name!r} is already registered")
    SCHEMES[name] = fn


def run_scheme(name: str, problem: PrecodingProblem, **options) -> tuple[Precoders, dict | None]:
    """Run a registered scheme; always returns (Precoders, history or None)."""
    if name not in SCHEMES:
        raise ValueError(f"unknown scheme {name!r}; registered: {sorted(SCHEMES)}")
    out = SCHEMES[name](problem, **options)
    if isinstance(out, tuple):
        return out[0], out[1]
    return out, None
