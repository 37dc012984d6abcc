"""Fast inference of Cen-TFC-WM: the same map as :meth:`.cen_tfc.CenTFC.outputs` + :func:`.cfr.cfr`
(receiver "mmse"), with fewer operations and no change of the outputs beyond rounding (tested
to 1e-12 against the reference path, the full 2M^2 input block and the QR-based recovery).

Used by :meth:`.cen_tfc.CenTFC.forward` at inference (no autograd, UPA steering vectors, K <= M);
training and every other case take the reference path. What differs from it:

* **One input GEMM.** The input row is written in place into one ``[B*S*K, D]`` buffer (the small
  block of :func:`.features.link_features`, then the lags >= 0 of g g^H from the closed form
  ex (x) ey of :func:`.features._lag_feats`) and multiplied once by the input weights, folded per
  lag and per conjugate pair (:meth:`.layers.TEN._lag_weights`). The zero lag is the constant
  1 + 0j (M g g^H has M |g_p|^2 = 1 on its diagonal), so its weight moves into the bias: D = 264.
* **MDE with two full-size adds.** Per layer one ``addmm`` on the full rows; the pattern means
  (over S, over K, over both, the last taken from the K-mean) go through their small Linears,
  the S,K-mean term is added to the K-mean term before broadcasting, and the sums, ReLU are in place.
* **Recovery (26) without a QR.** With the push-through identity
  ``(G D G^H + lam I)^{-1} G = G (D G^H G + lam I)^{-1}`` (G = [g_1..g_K], D = diag(rho)) the
  precoders are ``p_s = G Y'``, ``Y' = (D Gram + lam I)^{-1} diag(w u^* d_bar^H b)``, with the
  K x K Gram matrix ``Gram = G^H G``: a K x K solve per satellite, no M x K QR. The same
  regularisation floor as :func:`agents.precoding.power.apply_regularised_inverse`
  (``jitter * tr(A)/R``, tr(A) = sum_k rho_k ||g_k||^2). ``||p_s||^2 = tr(Y'^H Gram Y')`` gives the
  budget scale and ``p_{s,m}^H g_{s,k} = (Y'^H Gram)_{m,k}`` the gains, K wide.
* **MMSE receivers (23) with one LU per UT.** C_k depends on the UT only: it is factored once
  and solved for the S right-hand sides d_bar_{s,k} (:func:`agents.precoding.wmmse.update_receivers`
  factors it S times).
"""
from __future__ import annotations

import torch

from agents.precoding.problem import Precoders, PrecodingProblem

from .cfr import _CLAMP, _SOFTPLUS_ONE, _unit
from .features import _db, _scalar_slots, direction_cosines, lag_count
from .workspace import buffer

__all__ = ["cen_forward", "fast_applies", "input_width"]

_JITTER = 1e-12        # as agents.precoding.power.apply_regularised_inverse


def input_width(m: int, n: int, upa: tuple[int, int]) -> int:
    """D of the fused input row: 8 + 2N^2 small features + 2 (L // 2) lags > 0 (264 for 8 x 8, N = 4)."""
    return 8 + 2 * n * n + 2 * (lag_count(upa) // 2)


def fast_applies(net, problem: PrecodingProblem) -> bool:
    """The fast path serves this call: inference (no autograd), the Cen net, K <= M (the K x K
    Gram system is then as well posed as the R x R one of the QR path), float64 weights."""
    _, _, k, m, _ = problem.shape
    return (not torch.is_grad_enabled() and net.config.arch == "cen" and k <= m
            and net.ten.inp.weight.dtype == torch.float64 and problem.dtype == torch.complex128)


def _prepared(net) -> dict:
    """Per-net constants: the input weights in the fused row order, folded per lag, zero lag in the
    bias (cached while the input weight and bias are the same tensors at the same version, storage, dtype)."""
    inp = net.ten.inp
    key = tuple((t._version, t.data_ptr(), t.dtype) for t in (inp.weight, inp.bias))
    hit = getattr(net, "_fast_cache", None)           # holds the tensors: an id is never recycled under it
    if hit is not None and hit[0] is inp.weight and hit[1] is inp.bias and hit[2] == key:
        return hit[3]
    from .features import upa_lags
    c = net.config
    w = inp.weight.detach()
    ds = 8 + 2 * c.n * c.n
    feat_map = upa_lags(*c.sat_upa)[0]
    w_lag = net.ten._lag_weights(w[:, ds:], lag_count(c.sat_upa), feat_map)   # [H, 2 (L//2 + 1)], zero lag first
    w_in = torch.cat([w[:, :ds], w_lag[:, 2:]], 1).contiguous()         # Re of the zero lag is 1, Im 0
    prep = {"w_in": w_in, "b_in": inp.bias.detach() + w_lag[:, 0]}
    net._fast_cache = (inp.weight, inp.bias, key, prep)
    return prep


def _rows(problem: PrecodingProblem, cfg, fit) -> torch.Tensor:
    """The input rows [B,S,K,D] (D = :func:`input_width`), float64, written in place: the small block of
    :func:`.features.link_features` (same order) and the lags > 0 of M g g^H (order of
    :func:`.features._lag_feats` with ``half=True``, the zero lag left out). ``fit``: :func:`.features.upa_fit` of g."""
    bsz, s, k, m, n = problem.shape
    nx, ny = cfg.sat_upa
    ds = 8 + 2 * n * n
    cos_g, ex, ey = fit
    x = buffer("fast.rows", (bsz, s, k, input_width(m, n, cfg.sat_upa)), torch.float64)
    x[..., 0:2] = cos_g
    x[..., 2:4] = direction_cosines(problem.d0, cfg.ut_upa, cfg.spacing_wl)
    noise, power, beta_f = _scalar_slots(problem, cfg.inputs)
    x[..., 4] = noise
    x[..., 5] = power
    x[..., 6] = beta_f
    torch.clamp(_db(problem.kappa) / 10.0, -3.0, 6.0, out=x[..., 7])
    inv = (float(n) / problem.beta.clamp_min(1e-300))[..., None, None]
    torch.mul(problem.r_ut, inv, out=torch.view_as_complex(x[..., 8:ds].unflatten(-1, (n, n, 2))))
    # lags (di, dj) of M g g^H = ex_di ey_dj (unit phasors of upa_fit, ey_-j = conj ey_j):
    # di = 0, dj = 1..ny-1, then di = 1..nx-1, dj = -(ny-1)..ny-1
    row0 = ds + 2 * (ny - 1)
    x[..., ds:row0] = torch.view_as_real(ey[..., 1:]).flatten(-2)
    ey_all = torch.cat([ey[..., 1:].flip(-1).conj(), ey], -1)
    torch.mul(ex[..., 1:, None], ey_all[..., None, :],
              out=torch.view_as_complex(x[..., row0:].unflatten(-1, (nx - 1, 2 * ny - 1, 2))))
    return x


def _mde(mde, h: torch.Tensor, lead: tuple[int, int, int]) -> torch.Tensor:
    """:class:`.layers.MDE` over (S, K) of h [B*S*K, H] (patterns (), (S,), (K,), (S, K), in that order)."""
    bsz, s, k = lead
    if mde.patterns != [(), (-3,), (-2,), (-3, -2)]:
        raise ValueError(f"fast MDE: expected the (S, K) patterns of CenTFC, got {mde.patterns}")
    l0, l_s, l_k, l_sk = mde.lin
    h4 = h.view(bsz, s, k, -1)
    m_k = h4.mean(-2)                                                   # [B,S,H]
    y = torch.addmm(l0.bias, h, l0.weight.T, out=buffer("fast.mde", h.shape, h.dtype)).view(bsz, s, k, -1)
    y_k = torch.nn.functional.linear(m_k, l_k.weight) + torch.nn.functional.linear(m_k.mean(-2), l_sk.weight)[:, None]
    y += torch.nn.functional.linear(h4.mean(-3), l_s.weight)[:, None]
    y += y_k[:, :, None]
    return y.view(bsz * s * k, -1)


def cen_forward(net, problem: PrecodingProblem, fit) -> tuple[Precoders, dict]:
    """Cen-TFC-WM at inference, as ``cfr(problem, net.outputs(problem), receiver=net.config.receiver)``
    (module docstring). ``fit``: :func:`.features.upa_fit` of g (not None)."""
    cfg = net.config
    bsz, s, k = problem.shape[:3]
    lead = (bsz, s, k)
    prep = _prepared(net)
    ten = net.ten
    x = _rows(problem, cfg, fit)
    h = torch.addmm(prep["b_in"], x.view(bsz * s * k, -1), prep["w_in"].T)
    for mde, ln in zip(ten.mde, ten.ln):
        h = _mde(mde, h, lead).relu_()
        h = torch.nn.functional.layer_norm(h, ln.normalized_shape, ln.weight, ln.bias, ln.eps)
    t = torch.addmm(ten.out.bias, h, ten.out.weight.T, out=buffer("fast.ten_out", (h.shape[0], ten.d_out), h.dtype))
    c = net.fda(t).view(bsz, s, k, -1)
    return _recover(problem, c, cfg.receiver)


def _recover(problem: PrecodingProblem, c: torch.Tensor, receiver: str) -> tuple[Precoders, dict]:
    """:func:`.cfr.cfr` in the K x K Gram form (module docstring)."""
    _, _, k, m, n = problem.shape
    cdt = problem.dtype
    w = torch.nn.functional.softplus(c[..., 0] + _SOFTPLUS_ONE)
    u = torch.complex(1.0 + c[..., 1], c[..., 2])
    lam_scale = problem.noise_w.sum(-1)[:, None] / problem.power_w
    lam = lam_scale * torch.exp(c[..., 3].mean(-1).clamp(-_CLAMP, _CLAMP))
    rho = problem.beta * torch.exp(c[..., 4].clamp(-_CLAMP, _CLAMP))
    bvec = _unit(problem.d0 + torch.complex(c[..., 5:5 + n], c[..., 5 + n:5 + 2 * n]), problem.d0)
    d_bar = problem.d_bar
    coef = w * u.conj() * (d_bar.conj() * bvec).sum(-1)                 # w u^* d_bar^H b, [B,S,K]
    g = problem.g
    gram = g.conj() @ g.mT                                              # G^H G, [B,S,K,K] (entry k, l: g_k^H g_l)
    r = min(m, k)
    tr = (rho * torch.diagonal(gram, dim1=-2, dim2=-1).real).sum(-1)     # tr(A), A = Rg D Rg^H
    tiny = torch.finfo(torch.float64).tiny
    reg = torch.maximum(lam, _JITTER * (tr / r).clamp_min(tiny) + tiny)
    a = rho.to(cdt)[..., :, None] * gram
    a.diagonal(dim1=-2, dim2=-1).add_(reg.to(cdt)[..., None])
    y = torch.linalg.solve(a, torch.diag_embed(coef))                    # Y', p_s = G Y'
    gy = gram @ y                                                       # Gram Y'
    pw = (torch.view_as_real(y) * torch.view_as_real(gy)).sum((-3, -2, -1))   # tr(Y'^H Gram Y') = ||p_s||^2
    scale = torch.sqrt(problem.power_w / pw.clamp_min(tiny)).to(cdt)[..., None, None]   # onto the budget exactly
    p = (y * scale).mT @ g                                              # [B,S,K,M]
    if receiver == "mmse":
        gain = gy.mH * scale                                            # p_{s,m}^H g_{s,k}, [B,S,K(m),K(k)]
        b_out = _mmse_receivers(problem, gain, d_bar)
    else:
        b_out = bvec
    return Precoders(p=p, b=b_out), {"w": w, "u": u, "lam": lam, "rho": rho, "b": bvec}


def _mmse_receivers(problem: PrecodingProblem, gain: torch.Tensor, d_bar: torch.Tensor) -> torch.Tensor:
    """:func:`agents.precoding.wmmse.update_receivers` with each UT's C_k factored once."""
    gr, gi = gain.real, gain.imag
    recv = torch.mul(gr, gr).addcmul_(gi, gi).sum(-2)                 # sum_m |p_{t,m}^H g_{t,k}|^2, [B,T,K]
    cov = torch.view_as_complex((torch.view_as_real(problem.r_ut) * recv[..., None, None, None]).sum(1))   # [B,K,N,N]
    cov.diagonal(dim1=-2, dim2=-1).add_(problem.noise_w[..., None])
    lu, piv = torch.linalg.lu_factor(cov)                                # [B,K,N,N]
    b = torch.linalg.lu_solve(lu, piv, d_bar.permute(0, 2, 3, 1))        # [B,K,N,S]
    b = b.permute(0, 3, 1, 2)                                            # [B,S,K,N]
    nrm2 = torch.view_as_real(b).square().sum((-2, -1))[..., None]
    return torch.where(nrm2 > 0, b / nrm2.sqrt().clamp_min(torch.finfo(torch.float64).tiny), problem.d0)

