"""Textbook WMMSE for the MISO broadcast channel (Christensen et al. 2008; Shi et al. 2011).

Conventions (shared with the rest of ``agents.precoding``):

* ``h`` complex [B, K, L]: row k is h_k^H, so UT k receives y_k = h_k^H x + n_k,
  n_k ~ CN(0, noise_w[k]); L transmit antennas.
* ``W`` complex [B, L, K]: column k is the precoder of stream k, x = W s, E s s^H = I;
  total power ||W||_F^2 <= power_w [B] (W).
* The receiver estimates s_k as u_k y_k (``u`` complex [B, K]); its MSE is
  e_k = |u_k|^2 (sum_j |h_k^H w_j|^2 + sigma_k^2) - 2 Re(u_k h_k^H w_k) + 1.
* ``w`` real [B, K] is the MSE weight; at its optimum w_k = a_k / e_k (a_k the
  rate weight), and the WMMSE objective sum_k (w_k e_k - a_k ln w_k) is then
  sum_k a_k (ln e_k + 1 - ln a_k), i.e. -ln 2 * WSR + const: minimising it
  maximises the weighted sum rate.

Each of the three block updates minimises the objective exactly in its block,
so ``miso_wmmse`` is monotone. The precoder step uses
:func:`agents.precoding.power.solve_multiplier_span` (the same code as the
multi-satellite Cen-Opt-WM and the LP-DFT designs).
"""
from __future__ import annotations

import math

import torch

from .convergence import DropFreezer
from .power import solve_multiplier_span

__all__ = ["miso_rates", "miso_receive_update", "miso_precoder_update", "miso_wmmse",
           "miso_objective", "mrt_init"]

LN2 = math.log(2.0)


def _gains(h: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """G[b, k, j] = h_k^H w_j, complex [B, K, K]."""
    return h @ W


def miso_rates(h: torch.Tensor, W: torch.Tensor, noise_w: torch.Tensor) -> torch.Tensor:
    """Per-UT rates log2(1 + SINR_k) (bit/s/Hz), real [B, K]."""
    p = _gains(h, W).abs() ** 2
    sig = torch.diagonal(p, dim1=-2, dim2=-1)
    tot = p.sum(-1) + noise_w
    return torch.log2(tot / (tot - sig))


def miso_receive_update(h, W, noise_w, weights=None):
    """Optimal receive coefficient u, MSE e and MSE weight w = a/e; each [B, K]."""
    gk = _gains(h, W)
    tot = (gk.abs() ** 2).sum(-1) + noise_w                       # [B,K]
    hw = torch.diagonal(gk, dim1=-2, dim2=-1)                       # h_k^H w_k
    u = hw.conj() / tot
    e = (1.0 - hw.abs() ** 2 / tot).clamp_min(torch.finfo(tot.dtype).tiny)
    a = torch.ones_like(e) if weights is None else weights.to(e.dtype)
    return u, e, a / e


def miso_objective(h, W, noise_w, weights=None) -> torch.Tensor:
    """WMMSE objective at the optimal (u, w): sum_k a_k (ln e_k + 1 - ln a_k), [B]."""
    u, e, w = miso_receive_update(h, W, noise_w, weights)
    a = torch.ones_like(e) if weights is None else weights.to(e.dtype)
    return (a * (torch.log(e) + 1.0) - torch.special.xlogy(a, a)).sum(-1)


def miso_precoder_update(h: torch.Tensor, u: torch.Tensor, w: torch.Tensor, power_w,
                         weights=None, method: str = "exact", **kwargs):
    """Precoder block update: W = (sum_k w_k|u_k|^2 h_k h_k^H + lam I)^{-1} [h_k w_k u_k^*]_k.

    Parameters: ``h`` [B,K,L] (row k = h_k^H), ``u`` [B,K] complex, ``w`` [B,K] MSE
    weight (if ``weights`` [B,K] is given the effective weight is weights * w),
    ``power_w`` [B] total power (W), ``method`` "exact" | "subgradient".
    Returns (W [B,L,K], lam [B]); ||W||_F^2 = power_w whenever lam > 0.
    """
    omega = w if weights is None else weights * w
    hcols = h.mH                                                    # [B,L,K], column k = h_k
    rho = omega * u.abs() ** 2                                      # [B,K]
    coef = torch.diag_embed((omega * u.conj()).to(h.dtype))         # [B,K,K]
    lam, W = solve_multiplier_span(hcols, rho, coef, power_w, method=method, **kwargs)
    return W, lam


def mrt_init(h: torch.Tensor, power_w) -> torch.Tensor:
    """Matched-filter start: w_k proportional to h_k, equal power per stream, ||W||_F^2 = P. [B,L,K]."""
    rdt = h.real.dtype
    k = h.shape[-2]
    power_w = torch.as_tensor(power_w, dtype=rdt).expand(h.shape[:-2])
    hc = h.mH
    norm = torch.linalg.vector_norm(hc, dim=-2, keepdim=True).clamp_min(torch.finfo(rdt).tiny)
    return hc / norm * torch.sqrt(power_w / k)[..., None, None].to(h.dtype)


def miso_wmmse(h: torch.Tensor, noise_w: torch.Tensor, power_w, weights=None, init=None,
               max_iter: int = 200, tol: float = 1e-6, method: str = "exact"):
    """WMMSE for the MISO broadcast channel under a total power budget.

    Parameters: ``h`` [B,K,L], ``noise_w`` [B,K] (W), ``power_w`` [B] (W),
    ``weights`` [B,K] rate weights (default 1), ``init`` W0 [B,L,K] (default MRT).
    Each drop stops (is frozen, :class:`agents.precoding.convergence.DropFreezer`) when its
    relative objective change is below ``tol``, or after ``max_iter`` iterations, so its
    result does not depend on the other drops of the batch.

    Returns (W [B,L,K], history) with ``iterations`` long [B] (per drop), ``objective`` [B]
    (final WMMSE objective at optimal u, w), ``converged_at`` [B], and the per-iteration traces
    ``objective_trace`` [I+1, B] (non-increasing; constant after a drop froze), ``wsr`` [I+1, B]
    (weighted sum rate, bit/s/Hz), ``lam`` [I, B].
    """
    rdt = h.real.dtype
    power_w = torch.as_tensor(power_w, dtype=rdt).expand(h.shape[:-2])
    noise_w = torch.as_tensor(noise_w, dtype=rdt).expand(h.shape[:-1])
    a = torch.ones(h.shape[:-1], dtype=rdt) if weights is None else torch.as_tensor(weights, dtype=rdt)
    W = mrt_init(h, power_w) if init is None else init
    full_W = W.clone()
    obj = [miso_objective(h, W, noise_w, a)]
    wsr = [(a * miso_rates(h, W, noise_w)).sum(-1)]
    lam_full = torch.zeros(h.shape[:-2], dtype=rdt)
    lams = []
    freezer = DropFreezer(h.shape[0], max_iter, tol)
    sh, snoise, spow, sa, sobj = h, noise_w, power_w, a, obj[0]
    for _ in freezer.iterations_range():
        active = freezer.active
        u, e, w = miso_receive_update(sh, W, snoise, sa)
        W, lam = miso_precoder_update(sh, u, w, spow, method=method)
        o = miso_objective(sh, W, snoise, sa)
        full_W[active] = W
        nobj, nwsr, lam_full = obj[-1].clone(), wsr[-1].clone(), lam_full.clone()
        nobj[active], lam_full[active] = o, lam
        nwsr[active] = (sa * miso_rates(sh, W, snoise)).sum(-1)
        obj.append(nobj)
        wsr.append(nwsr)
        lams.append(lam_full)
        keep = freezer.update(sobj, o)
        if freezer.finished:
            break
        if not bool(keep.all()):
            sh, snoise, spow, sa, W, o = sh[keep], snoise[keep], spow[keep], sa[keep], W[keep], o[keep]
        sobj = o
    history = {"iterations": freezer.iterations.clone(), "objective": obj[-1].clone(),
               "converged_at": freezer.converged_at.clone(), "objective_trace": torch.stack(obj),
               "wsr": torch.stack(wsr), "lam": torch.stack(lams)}
    return full_W, history
