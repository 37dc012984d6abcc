"""Closed-form recovery (CFR, (39) / (59)) shared by Cen-TFC-WM and Dec-TFC-WM.

The FDA output per link ``c [B, S, K, 5 + 2N]`` (float) is mapped to the low-dimensional
WMMSE variables of (29) / (45), then to precoders by (26) (:func:`agents.precoding.wmmse.recover_precoders`)
and an exact rescaling of every satellite onto its budget (sum_k ||p_{s,k}||^2 = P_s):

* ``w_{s,k} = softplus(c_0 + ln(e - 1)) > 0`` (1 at c = 0);
* ``u_{s,k} = (1 + c_1) + j c_2`` (complex);
* ``lam_s = (sum_k sigma_k^2 / P_s) exp(mean_k c_3) >= 0`` -- per satellite, pooled over UTs;
* ``rho_{s,k} = beta_{s,k} exp(c_4) >= 0``;
* ``b_{s,k} = (d0_{s,k} + c_{5:5+N} + j c_{5+N:5+2N}) / ||.||`` (receive vector, predicted directly).

The scales (beta for rho, sum sigma^2 / P for lam) make the untrained network (c ~ 0) a
regularised zero-forcing / MMSE-like precoder, p_k ~ (sum_m beta_m g_m g_m^H + sum sigma^2/P I)^{-1} g_k,
with b = d0: the network learns corrections to a physically sensible point. Everything uses
only satellite s's own sCSI (beta, g, d0, noise, P_s), so the same map serves the
decentralized net. The paper's G = 6 + 2N counts rho as complex; rho is real by its
definition, so G = 5 + 2N here.

Recovery runs in the problem's dtype (complex128 by default) for an accurate solve.
"""
from __future__ import annotations

import math

import torch

from agents.precoding.problem import PrecodingProblem, Precoders
from agents.precoding.wmmse import recover_span, update_receivers

__all__ = ["g_out", "cfr", "cfr_flops", "rescale_to_budget", "interference_aware_receivers"]

_SOFTPLUS_ONE = math.log(math.e - 1.0)
_CLAMP = 30.0


def g_out(n: int) -> int:
    """FDA output size per link: w, Re u, Im u, lam, rho, Re b (N), Im b (N)."""
    return 5 + 2 * n


def rescale_to_budget(p: torch.Tensor, power_w: torch.Tensor) -> torch.Tensor:
    """Scale each satellite's precoders p [B,S,K,M] so that sum_k ||p_{s,k}||^2 = P_s exactly."""
    pw = torch.view_as_real(p).square().sum((-3, -2, -1))
    tiny = torch.finfo(pw.dtype).tiny
    scale = torch.sqrt(power_w / pw.clamp_min(tiny))
    return p * scale.to(p.dtype)[..., None, None]


def cfr(problem: PrecodingProblem, c: torch.Tensor, receiver: str = "predicted",
        b: torch.Tensor | None = None) -> tuple[Precoders, dict]:
    """Variables and precoders from FDA outputs ``c [B,S,K,5+2N]`` (see module docstring).

    ``b`` [B,S,K,N]: receive vectors to use instead of the direct prediction from ``c`` (the
    decentralized net's interference-aware receiver). ``receiver``: "predicted" -- the receive
    vectors returned are the ones used in (26); "mmse" -- after (26), the receive vectors are
    replaced by the closed form (23) at the recovered p, b_{s,k} = C_k^{-1} d_bar_{s,k} / ||.||
    (needs every satellite's p: centralized only).
    Returns (Precoders with p on every budget exactly, dict of w, u, lam, rho, b)."""
    if receiver not in ("predicted", "mmse"):
        raise ValueError(f"cfr: receiver must be 'predicted' or 'mmse', got {receiver!r}")
    b_, s, k, m, n = problem.shape
    if c.shape != (b_, s, k, g_out(n)):
        raise ValueError(f"cfr: outputs have shape {tuple(c.shape)}, expected {(b_, s, k, g_out(n))}")
    rdt = problem.beta.dtype
    c = c.to(rdt)
    w = torch.nn.functional.softplus(c[..., 0] + _SOFTPLUS_ONE)
    u = torch.complex(1.0 + c[..., 1], c[..., 2])
    lam_scale = problem.noise_w.sum(-1)[:, None] / problem.power_w              # [B,S]
    lam = lam_scale * torch.exp(c[..., 3].mean(-1).clamp(-_CLAMP, _CLAMP))
    rho = problem.beta * torch.exp(c[..., 4].clamp(-_CLAMP, _CLAMP))
    if b is None:
        bvec = _unit(problem.d0 + torch.complex(c[..., 5:5 + n], c[..., 5 + n:5 + 2 * n]).to(problem.dtype), problem.d0)
    else:
        bvec = b.to(problem.dtype)
    q, y = recover_span(problem, w, u.to(problem.dtype), lam, rho, bvec)         # p_s = Q Y_s, (26)
    y = rescale_to_budget(y.transpose(-2, -1), problem.power_w).transpose(-2, -1)   # ||p_s|| = ||Y_s||
    p = (q @ y).transpose(-2, -1)
    if receiver == "mmse":                          # p_{s,m}^H g_{s,k} = y_m^H Rg_k: R-wide, not M-wide
        gain = torch.einsum("bsrm,bsrk->bsmk", y.conj(), problem.steering_qr[1])
        b_out = update_receivers(problem, p, gain=gain)
    else:
        b_out = bvec
    return Precoders(p=p, b=b_out), {"w": w, "u": u, "lam": lam, "rho": rho, "b": bvec}


def _unit(v: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """v / ||v|| along the last axis, ``fallback`` where ||v|| <= 1e-12 (no NaN gradient there either)."""
    nrm2 = (v.real.square() + v.imag.square()).sum(-1, keepdim=True)     # (vector_norm is slow on complex)
    return torch.where(nrm2 > 1e-24, v / nrm2.clamp_min(1e-24).sqrt(), fallback)


def interference_aware_receivers(problem: PrecodingProblem, c: torch.Tensor, d0_oth: torch.Tensor,
                                 power_oth_w: torch.Tensor, nu_logit: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Receive vectors of the decentralized net from what satellite s knows (its sCSI, the others' SSI):

        b_{s,k} = (I + sum_{t != s known} nu_{t,k} d0_{t,k} d0_{t,k}^H)^{-1} (d0_{s,k} + delta_{s,k}) / ||.||,
        nu_{t,k} = beta_{s,k} P_t / (K sigma_k^2) exp(o_{t,k}),

    the LoS part of the MMSE receiver (23) with the other satellites' received power per
    stream approximated by s's own path gain (the others' beta is CSI s does not have) and
    corrected by the net (``nu_logit`` o [B,S,O,K] from the other-satellite branch before
    pooling; ``delta`` from ``c``). ``d0_oth`` [B,S,O,K,N] (SSI-derivable), ``power_oth_w``
    [B,S,O], ``mask`` bool [B,S,O]. Equivariant over UTs, invariant to the order of the others."""
    b_, s, k, m, n = problem.shape
    rdt = problem.beta.dtype
    base = _unit(problem.d0 + torch.complex(c[..., 5:5 + n].to(rdt), c[..., 5 + n:5 + 2 * n].to(rdt)).to(problem.dtype),
                 problem.d0)
    snr = problem.beta * (1.0 / (k * problem.noise_w))[:, None, :]                      # [B,S,K]
    nu = snr[:, :, None, :] * power_oth_w.to(rdt)[..., None] * torch.exp(nu_logit.to(rdt).clamp(-_CLAMP, _CLAMP))
    nu = torch.where(mask[..., None], nu, torch.zeros_like(nu))                          # [B,S,O,K]
    d = d0_oth.to(problem.dtype)
    a = torch.einsum("bsok,bsokn,bsokl->bsknl", nu.to(problem.dtype), d, d.conj())
    a = a + torch.eye(n, dtype=problem.dtype)
    return _unit(torch.linalg.solve(a, base[..., None])[..., 0], problem.d0)


def cfr_flops(s: int, k: int, m: int, n: int) -> int:
    """Real flops of the CFR for S satellites (approximate operation counts, complex op = 4 real):
    variable maps ~30 per link + 10N; reduced QR of each M x K steering matrix (Householder,
    8(M R^2 - R^3/3), R = min(M, K)); A = Rg diag(rho) Rg^H (8 R^2 K); V (8 R K); LU solve of the
    R x R system with K right-hand sides (8/3 R^3 + 8 R^2 K); p = Q Y (8 M R K); rescaling (8 M K)."""
    r = min(m, k)
    per_sat = (8 * (m * r * r - r ** 3 // 3) + 8 * r * r * k + 8 * r * k + (8 * r ** 3) // 3 + 8 * r * r * k
               + 8 * m * r * k + 8 * m * k + k * (30 + 10 * n))
    return s * per_sat
