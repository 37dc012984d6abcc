"""Power-constrained regularised solves: the Lagrange multiplier of a sum-power budget.

The WMMSE precoder updates (eq. (24)/(26) of the multi-satellite paper, the
textbook MISO-BC WMMSE, the LP-DFT designs) all share one step: given a
Hermitian PSD ``a`` [..., M, M] and right-hand sides ``v`` [..., M, K], find

    p(lam) = (a + lam I)^{-1} v,    lam >= 0,
    sum_k ||p_k(lam)||^2 <= P,      lam (sum_k ||p_k||^2 - P) = 0.

With the eigendecomposition a = U diag(d) U^H and c_i = ||(U^H v)_{i,:}||^2 the
power is the secular function S(lam) = sum_i c_i / (d_i + lam)^2, strictly
decreasing in lam > 0. If the least-norm solution p(0) = a^+ v meets the budget
(and v lies in the range of a) the budget does not bind and lam = 0; otherwise
lam > 0 is the unique root of S(lam) = P, found here by a safeguarded Newton
iteration on psi(lam) = S^{-1/2} - P^{-1/2} (nearly linear in lam, as in
More-Sorensen trust-region solvers) inside the bracket
[max(0, sqrt(C/P) - d_max), sqrt(C/P)], C = sum_i c_i, falling back to bisection.
Everything is batched over the leading dimensions (no Python loop over batch).

``solve_multiplier_span`` is the cheap form used by the WMMSE schemes when
``a = g diag(rho) g^H`` and ``v = g c`` live in the span of R < M channel
vectors: a reduced QR of g turns the M x M problem into an R x R one
(exactly, not an approximation), and ``||p|| = ||y||`` in the orthonormal basis.

Differentiability: the multiplier search runs without autograd; a final
Newton step from the converged root is taken with autograd on, so the gradient
of lam is the implicit-function gradient (d lam = -(dS - dP) / S'); p is then
formed with a linear solve, which is differentiable.

Units: ``power_w`` in watts (the same units as ||p||^2).
"""
from __future__ import annotations

import torch

__all__ = [
    "multiplier",
    "solve_multiplier",
    "solve_multiplier_subgradient",
    "solve_multiplier_span",
    "secular_power",
    "apply_regularised_inverse",
]


def _real_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.empty((), dtype=dtype).real.dtype if dtype.is_complex else dtype


def _hermitize(a: torch.Tensor) -> torch.Tensor:
    return 0.5 * (a + a.mH)


def _eig_terms(a: torch.Tensor, v: torch.Tensor):
    """Eigenvalues d >= 0 [..., n], eigenvectors U [..., n, n] and c_i = ||(U^H v)_i||^2 [..., n]."""
    d, u = torch.linalg.eigh(_hermitize(a))
    d = d.clamp_min(0.0)
    uv = u.mH @ v
    c = (uv.abs() ** 2).sum(-1)
    return d, u, uv, c


def secular_power(d: torch.Tensor, c: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """S(lam) = sum_i c_i / (d_i + lam)^2, [...]. ``d``, ``c`` [..., n], ``lam`` [...]."""
    return (c / (d + lam[..., None]) ** 2).sum(-1)


def _zero_mask(d: torch.Tensor, rtol: float) -> torch.Tensor:
    """Eigenvalues treated as exactly zero (relative to the largest), [..., n] bool."""
    n = d.shape[-1]
    dmax = d.amax(-1, keepdim=True)
    return d <= rtol * n * dmax.clamp_min(torch.finfo(d.dtype).tiny)


def _nonbinding(d, c, power_w, rtol):
    """Budget does not bind: p(0) = a^+ v is finite and sum ||p||^2 <= P. Returns mask [...]."""
    zero = _zero_mask(d, rtol)
    ctot = c.sum(-1)
    c_null = torch.where(zero, c, torch.zeros_like(c)).sum(-1)
    pinv_power = torch.where(zero, torch.zeros_like(c), c / torch.where(zero, torch.ones_like(d), d) ** 2).sum(-1)
    in_range = c_null <= 1e3 * rtol * ctot.clamp_min(torch.finfo(d.dtype).tiny)
    return in_range & (pinv_power <= power_w)


def _secular_root(d, c, power_w, max_iter=100, tol=1e-13, skip=None):
    """Root lam > 0 of S(lam) = P for every batch element (safeguarded Newton + bisection).

    Assumes a root exists (S(0+) > P). Newton on psi = S^{-1/2} - P^{-1/2}, which
    is concave and increasing in lam, started at the left end of the bracket:
    the iterates then increase monotonically and quadratically to the root. A
    step leaving the bracket (round-off) is replaced by bisection; converged
    elements are frozen, as are those in the mask ``skip`` (no root: budget slack).
    Returns (lam [...], iterations int (batch maximum), steps long [...] (Newton/bisection
    steps each element took: its own count, independent of the batch)).
    """
    ctot = c.sum(-1)
    hi = torch.sqrt(ctot / power_w)
    lo = (hi - d.amax(-1)).clamp_min(0.0)
    lam = torch.maximum(lo, 1e-15 * hi)
    p_isqrt = power_w.rsqrt()
    eps = torch.finfo(d.dtype).eps
    conv = torch.zeros_like(lam, dtype=torch.bool) if skip is None else skip.clone()
    steps = torch.zeros_like(lam, dtype=torch.long)
    it = 0
    for it in range(1, max_iter + 1):
        steps += (~conv).long()
        s = secular_power(d, c, lam)
        f = s - power_w                                 # decreasing in lam
        lo = torch.where(f > 0, lam, lo)
        hi = torch.where(f < 0, lam, hi)
        conv = conv | (f.abs() <= tol * power_w) | (hi - lo <= 4 * eps * hi)
        if bool(conv.all()):
            break
        s3 = (c / (d + lam[..., None]) ** 3).sum(-1)
        psi = s.rsqrt() - p_isqrt
        dpsi = s.pow(-1.5) * s3
        newton = lam - psi / dpsi
        ok = (newton >= lo) & (newton <= hi) & torch.isfinite(newton)
        lam = torch.where(conv, lam, torch.where(ok, newton, 0.5 * (lo + hi)))
    return lam, it, steps


def apply_regularised_inverse(a: torch.Tensor, v: torch.Tensor, lam: torch.Tensor,
                              jitter: float = 1e-12) -> torch.Tensor:
    """(a + lam I)^{-1} v by a linear solve, differentiable; [..., M, K].

    Where ``lam`` is (numerically) zero and ``a`` singular, a relative jitter
    ``jitter * tr(a)/M`` regularises the solve so the result tends to the
    least-norm solution for ``v`` in the range of ``a``; never NaN for finite input.
    """
    m = a.shape[-1]
    rdt = _real_dtype(a.dtype)
    eye = torch.eye(m, dtype=a.dtype, device=a.device)
    scale = torch.diagonal(a, dim1=-2, dim2=-1).real.sum(-1) / m
    floor = jitter * scale.clamp_min(torch.finfo(rdt).tiny) + torch.finfo(rdt).tiny
    reg = torch.maximum(lam.to(rdt), floor)
    return torch.linalg.solve(_hermitize(a) + reg[..., None, None] * eye, v)


def multiplier(a: torch.Tensor, v: torch.Tensor, power_w, *, max_iter: int = 100, tol: float = 1e-13,
               rtol_zero: float = 1e-12, return_steps: bool = False, _return_internals: bool = False):
    """The exact multiplier lam [...] of :func:`solve_multiplier` without forming p
    (``a`` [..., M, M] Hermitian PSD, ``v`` [..., M, K], ``power_w`` [...] W).
    Differentiable (implicit-function gradient) when ``a``/``v``/``power_w`` require grad.
    ``return_steps``: also the Newton/bisection steps of each element, long [...] (for flop counts)."""
    rdt = _real_dtype(a.dtype)
    power_w = torch.as_tensor(power_w, dtype=rdt, device=a.device).expand(a.shape[:-2])
    if bool((power_w <= 0).any()) or not bool(torch.isfinite(power_w).all()):
        raise ValueError("solve_multiplier: power_w must be finite and > 0")
    with torch.no_grad():
        d, u, uv, c = _eig_terms(a.detach(), v.detach())
        free = _nonbinding(d, c, power_w, rtol_zero)
        # Newton/bisection only where the budget binds; avoid 0/0 for all-zero v
        empty = c.sum(-1) <= 0
        c_safe = torch.where(empty[..., None], torch.ones_like(c), c)
        lam0, iters, steps = _secular_root(d, c_safe, power_w, max_iter=max_iter, tol=tol, skip=free | empty)
        lam0 = torch.where(free | empty, torch.zeros_like(lam0), lam0)
    lam = _implicit_step(a, v, power_w, lam0, free | (lam0 <= 0))
    if _return_internals:
        return lam, iters, free, (d, u, uv)
    return (lam, steps) if return_steps else lam


def solve_multiplier(a: torch.Tensor, v: torch.Tensor, power_w, *, max_iter: int = 100,
                     tol: float = 1e-13, rtol_zero: float = 1e-12, return_iterations: bool = False):
    """Exact multiplier of the sum-power budget.

    Parameters
    ----------
    a : [..., M, M] Hermitian PSD (only its Hermitian part is used)
    v : [..., M, K] right-hand sides
    power_w : [...] or scalar, budget P in watts (> 0)

    Returns
    -------
    lam : [...] real, >= 0;  p : [..., M, K] = (a + lam I)^{-1} v with
    sum ||p_k||^2 = P when lam > 0, and the least-norm solution a^+ v (lam = 0)
    when that already meets the budget. With ``return_iterations`` also the
    number of Newton/bisection iterations used (max over the batch).
    """
    lam, iters, free, (d, u, uv) = multiplier(a, v, power_w, max_iter=max_iter, tol=tol, rtol_zero=rtol_zero,
                                              _return_internals=True)
    p = apply_regularised_inverse(a, v, lam)
    if bool(free.any()):
        # least-norm solution where the budget does not bind (pseudo-inverse on the eigenbasis)
        zero = _zero_mask(d, rtol_zero)
        inv = torch.where(zero, torch.zeros_like(d), 1.0 / torch.where(zero, torch.ones_like(d), d))
        if a.requires_grad or v.requires_grad:
            _, u = torch.linalg.eigh(_hermitize(a))
            uv = u.mH @ v
        p_free = u @ (inv.to(a.dtype)[..., None] * uv)
        p = torch.where(free[..., None, None], p_free, p)
    return (lam, p, iters) if return_iterations else (lam, p)


def _implicit_step(a, v, power_w, lam0, fixed):
    """One Newton step from the converged root with autograd on: lam = lam0 - (S(lam0) - P)/S'(lam0).

    The value is lam0 up to round-off; its gradient is the implicit-function gradient.
    Where ``fixed`` (lam = 0, budget slack) the multiplier is a constant 0.
    """
    if not (a.requires_grad or v.requires_grad or power_w.requires_grad):
        return lam0
    d, u = torch.linalg.eigh(_hermitize(a))
    d = d.clamp_min(0.0)
    c = ((u.mH @ v).abs() ** 2).sum(-1)
    lam_safe = torch.where(fixed, torch.ones_like(lam0), lam0)
    s = secular_power(d, c, lam_safe)
    ds = -2.0 * (c / (d + lam_safe[..., None]) ** 3).sum(-1)
    lam = lam_safe - (s - power_w) / ds
    lam = lam - lam.detach() + lam_safe          # exact value, implicit gradient
    return torch.where(fixed, torch.zeros_like(lam), lam)


def solve_multiplier_subgradient(a: torch.Tensor, v: torch.Tensor, power_w, *, step=None,
                                 lam_init=None, max_iter: int = 20000, tol: float = 1e-8,
                                 return_steps: bool = False):
    """Dual subgradient ascent on the multiplier, for comparison with :func:`solve_multiplier`.

    lam <- proj(lam + step (sum ||p(lam)||^2 - P)), with p(lam) from the cached
    eigendecomposition of ``a`` (the same value a linear solve would give, cheaper per step),
    proj the projection onto the bracket [lo, hi] known to hold the optimal multiplier
    (lo = max(0, sqrt(C/P) - d_max) > 0 only when the budget binds, hi = sqrt(C/P)); at
    lam = 0 with a singular ``a`` and ``v`` outside its range the subgradient is +inf and the
    projection sends lam to hi (never inf or NaN).
    Default ``step`` = (d_min + lo) / P, where d_min is the smallest eigenvalue and
    lo the lower end of the root bracket: no larger than 1/|S'(lam)| near the root,
    so the iteration is stable (slow for ill-conditioned ``a``). Stops when
    |S - P| <= tol P (or lam = 0 with S <= P), or after ``max_iter`` steps: then p may
    miss the budget in either direction (callers scale it, see ``cen_opt_wm``). No autograd.

    Returns (lam [...], p [..., M, K], iterations int) (plus, with ``return_steps``, the
    subgradient steps each element took, long [...]).
    """
    rdt = _real_dtype(a.dtype)
    power_w = torch.as_tensor(power_w, dtype=rdt, device=a.device).expand(a.shape[:-2])
    with torch.no_grad():
        d, u, uv, c = _eig_terms(a, v)
        ctot = c.sum(-1)
        hi = torch.sqrt(ctot / power_w)
        lo = (hi - d.amax(-1)).clamp_min(0.0)
        if step is None:
            step = (d.amin(-1) + lo) / power_w
            step = torch.where(step > 0, step, hi / power_w * 1e-3)
        step = torch.as_tensor(step, dtype=rdt).expand(power_w.shape)
        lam = torch.zeros_like(power_w) if lam_init is None else torch.as_tensor(lam_init, dtype=rdt).clone()
        lam = torch.minimum(torch.maximum(lam, lo), hi)

        def inverse(lam):
            """1/(d + lam), with 0 where d + lam = 0 (the pseudo-inverse on a null direction)."""
            x = d + lam[..., None]
            return torch.where(x > 0, 1.0 / torch.where(x > 0, x, torch.ones_like(x)), torch.zeros_like(x))

        it = 0
        steps = torch.zeros_like(power_w, dtype=torch.long)
        for it in range(1, max_iter + 1):
            x = d + lam[..., None]
            # S(lam); a null direction (d + lam = 0) with weight c > 0 makes it +inf
            s = torch.where(x > 0, c * inverse(lam) ** 2, torch.where(c > 0, torch.inf, 0.0)).sum(-1)
            done = ((s - power_w).abs() <= tol * power_w) | ((lam <= 0) & (s <= power_w))
            if bool(done.all()):
                break
            steps += (~done).long()
            lam = torch.where(done, lam, torch.minimum(torch.maximum(lam + step * (s - power_w), lo), hi))
        p = u @ (inverse(lam).to(a.dtype)[..., None] * uv)
    return (lam, p, it, steps) if return_steps else (lam, p, it)


def solve_multiplier_span(g: torch.Tensor, rho: torch.Tensor, coef: torch.Tensor, power_w, *,
                          method: str = "exact", return_iterations: bool = False, **kwargs):
    """Multiplier for a = g diag(rho) g^H, v = g coef, via the R-dimensional span of g.

    Parameters
    ----------
    g : [..., M, R] spanning vectors (e.g. the K steering vectors of a satellite, as columns)
    rho : [..., R] real >= 0 weights
    coef : [..., R, K] coefficients of the right-hand sides in the columns of g
    power_w : [...] budget (W)
    method : "exact" (:func:`solve_multiplier`) or "subgradient"

    Returns (lam [...], p [..., M, K]) (plus iterations with ``return_iterations``),
    identical to ``solve_multiplier(g diag(rho) g^H, g coef, power_w)``. With a
    reduced QR g = Q Rg (Q orthonormal, [M, min(M,R)]) the problem is solved for
    y = (Rg diag(rho) Rg^H + lam I)^{-1} Rg coef and p = Q y, ||p|| = ||y||.
    """
    q, rg = torch.linalg.qr(g, mode="reduced")
    a_small = (rg * rho.to(rg.dtype)[..., None, :]) @ rg.mH
    v_small = rg @ coef.to(rg.dtype)
    if method == "exact":
        lam, y, it = solve_multiplier(a_small, v_small, power_w, return_iterations=True, **kwargs)
    elif method == "subgradient":
        lam, y, it = solve_multiplier_subgradient(a_small, v_small, power_w, **kwargs)
    else:
        raise ValueError(f"solve_multiplier_span: method must be 'exact' or 'subgradient', got {method!r}")
    p = q @ y
    return (lam, p, it) if return_iterations else (lam, p)
