"""WMMSE on statistical CSI: Cen-Opt-WM (Algorithm 1) and Sep-Opt-WM.

Closed forms of Section II-C (b = b_{s,k}, p = p_{s,k}, a = a_{s,k}):

* per UT k the covariance C_k = sum_t q_{t,k} R^ut_{t,k} + sigma_k^2 I with
  q_{t,k} = sum_m |g_{t,k}^H p_{t,m}|^2, so that zeta + eta = b^H C_k b (19);
* xi = b^H d_bar g^H p; (20): u = xi^* / (b^H C_k b), e = 1 - |xi|^2 / (b^H C_k b);
* (21): w = a / e;
* (26)/(24): p_{s,k} = w u^* (sum_m rho_{s,m} g_{s,m} g_{s,m}^H + lam_s I)^{-1} g_{s,k} d_bar^H b,
  rho_{s,m} = sum_t w_{t,m} |u_{t,m}|^2 b_{t,m}^H R^ut_{s,m} b_{t,m};
  lam_s >= 0 the exact multiplier of sum_k ||p_{s,k}||^2 <= P_s (agents.precoding.power);
* (23): b_{s,k} proportional to C_k^{-1} d_bar_{s,k} (the scalar factor
  (g^H p)/u^* of (23) is dropped: the objective at the optimal u, w is invariant
  to the scale of b, and we keep ||b|| = 1).

Objective (18) with rate weights, sum_{s,k} (w e - a ln w), evaluated at the
optimal (u, w) of the current (p, b): F = sum a (ln e + 1 - ln a). Each block
update minimises (18) exactly in its block, so F is non-increasing over outer
iterations (``history["objective"]``). -F/ln 2 + const = sum a log2(1/e) is
the WMMSE surrogate of the WSR (``history["wsr_surrogate"]``).
"""
from __future__ import annotations

import math

import torch

from . import flops as flopcount
from .convergence import DropFreezer, check_iteration_options
from .power import apply_regularised_inverse, multiplier, solve_multiplier_subgradient
from .problem import PrecodingProblem, Precoders
from .rates import link_gains as _gain
from .rates import receive_quadratic as _quad

__all__ = ["mrt_precoders", "receive_statistics", "rho_weights", "optimal_multiplier", "recover_precoders",
           "update_receivers", "wmmse_objective", "cen_opt_wm", "sep_opt_wm"]


def mrt_precoders(problem: PrecodingProblem) -> Precoders:
    """p_{s,k} = sqrt(P_s/K) g_{s,k} (equal power, full budget), b_{s,k} = d0_{s,k}."""
    k = problem.shape[2]
    amp = torch.sqrt(problem.power_w / k).to(problem.dtype)[:, :, None, None]
    return Precoders(p=amp * problem.g, b=problem.d0.clone())


def receive_statistics(problem: PrecodingProblem, prec: Precoders, quad: torch.Tensor | None = None,
                       gain: torch.Tensor | None = None):
    """(20)-(21): dict with xi (complex), den = b^H C_k b, u (complex), e, w, each [B,S,K]
    (and the reusable ``quad`` [B,T,S,K], ``gain`` [B,S,K,K] of the current p, b)."""
    p, b = prec.p, prec.b
    if gain is None:
        gain = _gain(problem, p)                                      # p_{s,m}^H g_{s,k}
    recv = (gain.abs() ** 2).sum(-2)                                  # q_{s,k}
    if quad is None:
        quad = _quad(problem, b)
    den = torch.einsum("btk,btsk->bsk", recv, quad) + problem.noise_w[:, None, :] * (b.abs() ** 2).sum(-1)
    tiny = torch.finfo(den.dtype).tiny
    den = den.clamp_min(tiny)
    mean = (b.conj() * problem.d_bar).sum(-1)                         # b^H d_bar
    xi = mean * torch.diagonal(gain, dim1=-2, dim2=-1).conj()         # b^H d_bar g^H p
    u = xi.conj() / den
    e = ((den - xi.abs() ** 2) / den).clamp(min=tiny, max=1.0)
    w = problem.weights / e
    return {"xi": xi, "den": den, "u": u, "e": e, "w": w, "quad": quad, "gain": gain}


def wmmse_objective(problem: PrecodingProblem, prec: Precoders, stats: dict | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(objective (18) at the optimal u, w [B] (nats), WSR surrogate sum a log2(1/e) [B] (bit/s/Hz)).
    ``stats``: :func:`receive_statistics` of (problem, prec) if already computed."""
    st = receive_statistics(problem, prec) if stats is None else stats
    a = problem.weights
    ln_e = torch.log(st["e"])
    obj = (a * (ln_e + 1.0) - torch.special.xlogy(a, a)).sum((-2, -1))
    return obj, -(a * ln_e).sum((-2, -1)) / math.log(2.0)


def rho_weights(problem: PrecodingProblem, w: torch.Tensor, u: torch.Tensor, b: torch.Tensor,
                quad: torch.Tensor | None = None) -> torch.Tensor:
    """rho_{s,m} = sum_t w_{t,m} |u_{t,m}|^2 b_{t,m}^H R^ut_{s,m} b_{t,m}, real [B,S,K]."""
    if quad is None:
        quad = _quad(problem, b)
    return torch.einsum("btm,bstm->bsm", w * u.abs() ** 2, quad)


def _span_system(problem, w, u, rho, b):
    """Reduced form of (26) per satellite: Q [B,S,M,R], A [B,S,R,R], V [B,S,R,K] with
    p_s = Q (A + lam_s I)^{-1} V, where g_s = Q Rg (reduced QR of the K steering vectors),
    A = Rg diag(rho_s) Rg^H, V = Rg diag(w u^* d_bar^H b)."""
    q, rg = problem.steering_qr                                       # g_s = Q Rg, [B,S,M,R], [B,S,R,K]
    coef = w * u.conj() * (problem.d_bar.conj() * b).sum(-1)          # w u^* d_bar^H b, [B,S,K]
    a_small = (rg * rho.to(rg.dtype)[..., None, :]) @ rg.mH
    v_small = rg * coef.to(rg.dtype)[..., None, :]
    return q, a_small, v_small


def optimal_multiplier(problem: PrecodingProblem, w, u, rho, b, method: str = "exact",
                       return_steps: bool = False):
    """Exact lam_s [B,S] of problem (25) for given (w, u, rho, b): the root of
    sum_k ||p_{s,k}(lam_s)||^2 = P_s, or 0 where the budget does not bind.
    ``return_steps``: also the root-finding (or subgradient) steps per satellite, long [B,S]."""
    q, a_small, v_small = _span_system(problem, w, u, rho, b)
    if method == "exact":
        lam, steps = multiplier(a_small, v_small, problem.power_w, return_steps=True)
    elif method == "subgradient":
        lam, _, _, steps = solve_multiplier_subgradient(a_small, v_small, problem.power_w, return_steps=True)
    else:
        raise ValueError(f"optimal_multiplier: method must be 'exact' or 'subgradient', got {method!r}")
    return (lam, steps) if return_steps else lam


def recover_span(problem: PrecodingProblem, w, u, lam, rho, b) -> tuple[torch.Tensor, torch.Tensor]:
    """(26) in the span of each satellite's steering vectors: (Q [B,S,M,R], Y [B,S,R,K]) with
    p_s = Q Y_s (columns: UTs), so ||p_s||_F = ||Y_s||_F and p_{s,m}^H g_{s,k} = y_m^H Rg_k
    (g_s = Q Rg). Arguments as :func:`recover_precoders`."""
    if rho is None:
        rho = rho_weights(problem, w, u, b)
    q, a_small, v_small = _span_system(problem, w, u, rho, b)
    return q, apply_regularised_inverse(a_small, v_small, lam)


def recover_precoders(problem: PrecodingProblem, w: torch.Tensor, u: torch.Tensor, lam: torch.Tensor,
                      rho: torch.Tensor | None, b: torch.Tensor, scale_to_power: bool = False) -> torch.Tensor:
    """Closed-form recovery (26): p [B,S,K,M] from low-dimensional variables.

    ``w`` [B,S,K] real, ``u`` [B,S,K] complex, ``lam`` [B,S] real >= 0, ``rho``
    [B,S,K] real >= 0 (None: computed from w, u, b via its definition), ``b``
    [B,S,K,N]. Differentiable in all of them (a linear solve of size min(M,K)
    per satellite). ``scale_to_power`` rescales any satellite exceeding P_s onto
    its budget (for predicted, not exactly optimal, variables). A ``lam`` below a tiny
    relative floor (``jitter * tr(A)/R``, see :func:`agents.precoding.power.apply_regularised_inverse`),
    including a negative one, is replaced by that floor, with zero gradient there: a
    network predicting lam should produce it >= 0 (e.g. through a softplus).
    Shapes follow ``problem``: a single satellite's recovery (Dec-TFC-WM) is
    ``recover_precoders(problem.take(sats=[s]), ...)`` with that satellite's variables.
    """
    q, y = recover_span(problem, w, u, lam, rho, b)
    p = (q @ y).transpose(-2, -1)                                     # [B,S,K,M]
    if scale_to_power:
        pw = (p.abs() ** 2).sum((-2, -1))
        scale = torch.sqrt(problem.power_w / pw.clamp_min(torch.finfo(pw.dtype).tiny)).clamp(max=1.0)
        p = p * scale.to(p.dtype)[..., None, None]
    return p


def update_receivers(problem: PrecodingProblem, p: torch.Tensor, gain: torch.Tensor | None = None) -> torch.Tensor:
    """(23): b_{s,k} = C_k^{-1} d_bar_{s,k} / ||.||, [B,S,K,N]. ``gain``: p^H g of this p if known."""
    if gain is None:
        gain = _gain(problem, p)
    recv = (gain.abs() ** 2).sum(-2)                                  # [B,T,K]
    n = problem.shape[4]
    eye = torch.eye(n, dtype=problem.dtype)
    c = torch.einsum("btk,btknl->bknl", recv.to(problem.dtype), problem.r_ut) \
        + problem.noise_w.to(problem.dtype)[..., None, None] * eye     # [B,K,N,N]
    b = torch.linalg.solve(c[:, None], problem.d_bar[..., None])[..., 0]
    nrm = torch.linalg.vector_norm(b, dim=-1, keepdim=True)
    # a link with d_bar = 0 (kappa = 0) has no mean direction: keep the LoS steering vector
    return torch.where(nrm > 0, b / nrm.clamp_min(torch.finfo(nrm.dtype).tiny), problem.d0)


def cen_opt_wm(problem: PrecodingProblem, init: Precoders | None = None, max_iter: int = 100,
               tol: float = 1e-4, method: str = "exact"):
    """Cen-Opt-WM, Algorithm 1: centralized WMMSE on sCSI with per-satellite budgets.

    Start from ``init`` (default :func:`mrt_precoders`); each outer iteration:
    u, e, w (20)-(21); rho; exact lam_s (25) (``method`` "exact" | "subgradient": dual
    subgradient ascent, for comparison; it stops after a finite number of steps, so p is then
    scaled onto the budget where it exceeds it and the objective is no longer guaranteed
    monotone); p by :func:`recover_precoders` (26); b (23). A drop stops when its relative
    change of the objective, |F_n - F_{n-1}| / (sum a log(1/e)), falls below
    ``tol`` (:class:`agents.precoding.convergence.DropFreezer`: it is then frozen and removed from
    the batch, so a batch costs the sum of its drops' iterations and every drop's result does
    not depend on the others in the batch), or after ``max_iter`` iterations.

    Returns (Precoders, history); history has the scheme contract's keys
    (:mod:`agents.precoding.contract`): ``iterations`` long [B] (outer iterations each drop ran),
    ``objective`` [B] (final (18), nats; lower is better), ``flops`` [B] (real flops this drop
    cost), and ``objective_trace`` [I+1,B] ((18) per iteration, non-increasing; constant after a
    drop froze), ``wsr_surrogate`` [I+1,B] (bit/s/Hz), ``lam`` [I,B,S] (multiplier of the current
    p), ``converged_at`` [B] (iteration at which each drop met ``tol``; max_iter if never),
    ``converged`` bool [B] (False: the drop stopped at ``max_iter`` without meeting ``tol``),
    ``multiplier_steps`` long [B] (secular Newton / subgradient steps, summed over satellites
    and iterations).

    Flops per drop (:mod:`agents.precoding.flops`, R = min(M, K))::

        flops = wmmse_setup_flops(S,K,M,N) + iterations * wmmse_iteration_flops(S,K,M,N)
                + multiplier_steps * secular_step_flops(R)

    i.e. per outer iteration about S (ceigh(R) + csolve(R,K) + cmatmul(M,R,K) + cmatmul(K,M,K) + ...):
    the precoder step solves R x R systems in the span of the steering vectors instead of the
    M x M systems of the paper's Table II (O(I S K M^3)); the count is what this code runs.
    """
    max_iter = check_iteration_options("cen_opt_wm", max_iter, tol)
    if method not in ("exact", "subgradient"):
        raise ValueError(f"cen_opt_wm: method must be 'exact' or 'subgradient', got {method!r}")
    prec = mrt_precoders(problem) if init is None else init
    if prec.p.shape != problem.g.shape or prec.b.shape != problem.d0.shape:
        raise ValueError(f"cen_opt_wm: init has p {tuple(prec.p.shape)}, b {tuple(prec.b.shape)}; expected "
                         f"p {tuple(problem.g.shape)}, b {tuple(problem.d0.shape)}")
    st = receive_statistics(problem, prec)
    obj, sur = wmmse_objective(problem, prec, st)
    objs, surs, lams = [obj], [sur], []
    bsz, s_num, k_num, m_num, n_num = problem.shape
    mult_steps = torch.zeros(bsz, dtype=torch.long)
    full_p, full_b = prec.p.clone(), prec.b.clone()
    lam_full = torch.zeros((bsz, s_num), dtype=problem.power_w.dtype)
    freezer = DropFreezer(bsz, max_iter, tol)
    sub, sprec, sobj = problem, prec, obj
    for _ in freezer.iterations_range():
        active = freezer.active
        rho = rho_weights(sub, st["w"], st["u"], sprec.b, quad=st["quad"])
        lam, steps = optimal_multiplier(sub, st["w"], st["u"], rho, sprec.b, method=method, return_steps=True)
        mult_steps[active] += steps.sum(-1)
        # a finite dual subgradient run may miss the budget: scale any satellite above it onto it
        p = recover_precoders(sub, st["w"], st["u"], lam, rho, sprec.b, scale_to_power=method == "subgradient")
        gain = _gain(sub, p)
        b = update_receivers(sub, p, gain=gain)
        sprec = Precoders(p=p, b=b)
        st = receive_statistics(sub, sprec, gain=gain)               # reused by the next iteration
        o, su = wmmse_objective(sub, sprec, st)
        obj, sur, lam_full = objs[-1].clone(), surs[-1].clone(), lam_full.clone()
        obj[active], sur[active], lam_full[active] = o, su, lam
        full_p[active], full_b[active] = p, b
        objs.append(obj)
        surs.append(sur)
        lams.append(lam_full)
        keep = freezer.update(sobj, o, scale=su * math.log(2.0))
        if freezer.finished:
            break
        if not bool(keep.all()):
            sub, sprec, o = sub.take(batch=keep), sprec.take(batch=keep), o[keep]
            st = {key: val[keep] for key, val in st.items()}
        sobj = o
    r = min(m_num, k_num)
    flops = (flopcount.wmmse_setup_flops(s_num, k_num, m_num, n_num)
             + freezer.iterations.double() * flopcount.wmmse_iteration_flops(s_num, k_num, m_num, n_num)
             + mult_steps.double() * flopcount.secular_step_flops(r))
    history = {"iterations": freezer.iterations.clone(), "objective": objs[-1].double(), "flops": flops,
               "objective_trace": torch.stack(objs), "wsr_surrogate": torch.stack(surs),
               "lam": torch.stack(lams), "converged_at": freezer.converged_at.clone(),
               "converged": freezer.converged.clone(), "multiplier_steps": mult_steps}
    return Precoders(p=full_p, b=full_b), history


def sep_opt_wm(problem: PrecodingProblem, init: Precoders | None = None, max_iter: int = 100,
               tol: float = 1e-4, method: str = "exact"):
    """Sep-Opt-WM: every satellite runs Cen-Opt-WM alone (S = 1 subproblem, its own budget,
    options as :func:`cen_opt_wm`), ignoring the other satellites' interference.

    Returns (Precoders [B,S,...], history) with the contract keys per drop: ``iterations`` long [B]
    (the largest outer-iteration count over the satellites: they run in parallel), ``objective``
    [B] (sum over satellites of each one's final (18), nats), ``flops`` [B] (sum over satellites),
    ``flops_per_satellite`` [B,S] (each satellite's own on-board cost, :func:`cen_opt_wm`'s count
    at S = 1); per-satellite traces ``objective_trace`` / ``wsr_surrogate`` [I+1,B,S], ``lam``
    [I,B,S], ``converged_at`` / ``converged`` / ``iterations_per_satellite`` [B,S]. Satellite s's result equals
    ``sep_opt_wm(problem.take(sats=[s]))`` (each satellite-drop converges on its own).
    """
    bsz, s, k, m, n = problem.shape
    sub = problem.per_satellite()
    sub_init = None if init is None else Precoders(p=init.p.reshape(bsz * s, 1, k, m),
                                                   b=init.b.reshape(bsz * s, 1, k, n))
    prec, hist = cen_opt_wm(sub, init=sub_init, max_iter=max_iter, tol=tol, method=method)
    out = Precoders(p=prec.p.reshape(bsz, s, k, m), b=prec.b.reshape(bsz, s, k, n))
    iters = hist["iterations"].reshape(bsz, s)
    fl = hist["flops"].reshape(bsz, s)
    history = {"iterations": iters.amax(-1), "objective": hist["objective"].reshape(bsz, s).sum(-1),
               "flops": fl.sum(-1), "flops_per_satellite": fl, "iterations_per_satellite": iters,
               "objective_trace": hist["objective_trace"].reshape(-1, bsz, s),
               "wsr_surrogate": hist["wsr_surrogate"].reshape(-1, bsz, s),
               "lam": hist["lam"].reshape(-1, bsz, s),
               "converged_at": hist["converged_at"].reshape(bsz, s),
               "converged": hist["converged"].reshape(bsz, s)}
    return out, history
