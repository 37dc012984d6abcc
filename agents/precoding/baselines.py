"""Separate (non-cooperative) baselines of Section VI-A: Sep-MRT and Sep-MMSE, and the scheme registry.

Each satellite designs its precoders from its own sCSI only, ignoring the other
satellites; the receive vectors are the receive steering vectors b_{s,k} = d0_{s,k}.

* Sep-MRT: p_{s,k} = sqrt(P_s / K) g_{s,k} (equal power per stream, full budget).
* Sep-MMSE: regularised zero-forcing (transmit MMSE) on the effective channel
  seen through b = d0, h_{s,k}^H = sqrt(gamma_{s,k}) g_{s,k}^H with
  gamma_{s,k} = d0^H R^ut_{s,k} d0 = E|d0^H d_{s,k}|^2 (average received power);
  P_s = c H_s^H (H_s H_s^H + (sum_k sigma_k^2 / P_s) I)^{-1}, c scaling to
  ||P_s||_F^2 = P_s (the budget, W).

These functions return Precoders only; the registered schemes (contract
``fn(problem, **options) -> (Precoders, history)`` with iterations/objective/flops)
are in :mod:`agents.precoding.schemes` (``PRECODING_SCHEMES``).
"""
from __future__ import annotations

from typing import Callable

import torch

from .problem import PrecodingProblem, Precoders
from .wmmse import mrt_precoders

__all__ = ["sep_mrt", "sep_mmse"]


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


# ---------------------------------------------------------------- legacy registry names
# The registry lives in :mod:`agents.precoding.schemes` (``PRECODING_SCHEMES``, ``register_scheme(name, fn,
# architecture=...)``, ``run_scheme``). The old names stay importable from here (resolved lazily: schemes
# imports this module): ``SCHEMES`` is a read-only name -> fn view of the registry.
_ARCH_BY_PREFIX = {"Sep-": "separate", "Cen-": "centralized", "Dec-": "decentralized"}


def _legacy_register_scheme(name: str, fn: Callable, overwrite: bool = False, architecture: str | None = None):
    """Old ``register_scheme(name, fn)``: the architecture is taken from the name's prefix
    (Sep-/Cen-/Dec-) unless given. Prefer :func:`agents.precoding.schemes.register_scheme`."""
    from . import schemes
    if architecture is None:
        architecture = next((a for pre, a in _ARCH_BY_PREFIX.items() if name.startswith(pre)), None)
        if architecture is None:
            raise ValueError(f"register_scheme: cannot infer the architecture of {name!r} from its name; "
                             f"use agents.precoding.schemes.register_scheme(name, fn, architecture=...)")
    return schemes.register_scheme(name, fn, architecture=architecture, overwrite=overwrite)


def __getattr__(name):
    if name in ("SCHEMES", "register_scheme", "run_scheme"):
        from . import schemes
        return {"SCHEMES": schemes.LegacySchemeView(), "register_scheme": _legacy_register_scheme,
                "run_scheme": schemes.run_scheme}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
