"""Cen-Opt-ER: stochastic projected gradient ascent on the ergodic weighted sum rate (16) itself.

Cen-Opt-WM (Algorithm 1 of the multi-satellite paper) maximises the WMMSE surrogate
(18)-(19), whose MSE keeps only the LoS mean b^H d_bar of the wanted signal, while every
scheme is scored by the ergodic rate (16), which also counts the NLoS part of
|b^H d_{s,k}|^2 as signal. Cen-Opt-ER starts from converged Cen-Opt-WM and climbs (16):

* variables: the precoders p_{s,k}, parameterised as p_s = sqrt(P_s) x_s with the per-satellite
  budget ||x_s||_F <= 1, AND the receive vectors b_{s,k} (as free variables; (16) is invariant
  to the scale of b, so b is renormalised to unit norm after each step);
* each step: ``samples_per_step`` fresh draws of the NLoS scalar z ~ CN(0, 1) per stream
  (:func:`sample_wsr`, the estimator of ``agents.precoding.rates.ergodic_rates``, differentiable),
  the gradient of the sample-mean weighted sum rate by autograd, a momentum step normalised PER
  DROP (Adam's first moment per entry, its second moment averaged over the drop's entries: a
  normalised-gradient step; an elementwise Adam amplified round-off into batch-dependent results
  and gained less), step sizes relative to the variables' rms entry (``lr / sqrt(K M)`` for x,
  ``lr / sqrt(N)`` for b) times a cosine decay to ``FLOOR`` = 0.05 over ``steps``, then the
  projection onto each satellite's budget (scale x_s onto ||x_s||_F <= 1: the Euclidean
  projection onto the ball);
* every ``eval_every`` steps the weighted sum rate of the current iterate is estimated on
  ``eval_samples`` FIXED validation draws per drop (common random numbers, a generator
  different from the training one); each drop keeps its best validated iterate (the warm start
  included); a drop whose evaluation did not beat its best goes back to its best iterate and
  halves its step (per drop); a drop whose best has not improved by a relative ``er_tol`` for
  ``patience`` evaluations is frozen (:class:`agents.precoding.convergence.DropFreezer`).

Defaults (300 steps at most, lr 0.3, 16 draws per step, 256 validation draws) measured on
world drops at S=3, K=12, M=64, N=4: see ``satcoop compare --schemes Cen-Opt-WM Cen-Opt-ER``.

Randomness: keyed by identity. Drop i's training and validation draws come from torch generators
seeded by (``seed``, ``keys[i]``), where ``keys[i]`` is a tuple of ints naming the problem: (run seed,
drop index) in ``satcoop compare``, (run seed, region, update) in the live agents (the scheme is
``keyed`` in the catalog); without ``keys`` a problem is keyed by its index in the batch. Never the
global RNG, never the problem's bits (a last-bit difference from another BLAS build or thread count
used to send a fingerprint-keyed ascent down another random path). Every decision (best iterate,
backoff, freeze) is per drop, the estimator keeps each drop's reductions in its own memory, and the
warm start is rounded to ``WARM_BITS`` = 20 bits, so a drop's result is bitwise the same in any batch (tested); the ascent is chaotic enough that
1e-16 differences otherwise grew to 1e-4 .. 1e-1 in the precoders over 300 steps (measured).
The returned rate must be scored on other samples (``satcoop compare`` uses its own
generators): the validation draws select the iterate, so they are optimistic.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import flops as flopcount
from .convergence import DropFreezer, check_iteration_options
from .problem import PrecodingProblem, Precoders
from .rates import stream_terms
from .wmmse import cen_opt_wm

__all__ = ["cen_opt_er", "check_keys", "drop_normals", "sample_wsr", "er_step_flops"]

_TRAIN, _VALID = 0, 1
FLOOR = 0.05


def check_keys(keys, batch: int, name: str = "cen_opt_er") -> list[tuple]:
    """``keys`` as ``batch`` tuples of ints >= 0 (an int is a 1-tuple); ValueError naming ``keys`` otherwise.
    None: the batch index of each problem."""
    if keys is None:
        return [(i,) for i in range(batch)]
    try:
        out = [tuple(int(v) for v in (k if isinstance(k, (tuple, list)) else (k,))) for k in keys]
    except (TypeError, ValueError):
        out = None
    if out is None or len(out) != batch or any(not k or min(k) < 0 for k in out):
        raise ValueError(f"{name}: keys must be {batch} tuples of integers >= 0 (one per problem), got {keys!r}")
    return out


def _generators(seed: int, keys, stream: int) -> list[torch.Generator]:
    """One torch generator per key tuple: a function of (seed, key, stream) only."""
    gens = []
    for k in keys:
        ss = np.random.SeedSequence([int(seed), stream, len(k), *(int(v) for v in k)])
        gens.append(torch.Generator().manual_seed(int(ss.generate_state(1, np.uint64)[0] >> 1)))
    return gens


def drop_normals(gens: list[torch.Generator], samples: int, s: int, k: int, dtype=torch.float64) -> torch.Tensor:
    """Standard complex normals [B,S,K,T] (samples LAST), drop i's from ``gens[i]``."""
    out = []
    for g in gens:
        z = torch.randn((s, k, samples, 2), generator=g, dtype=dtype) * math.sqrt(0.5)
        out.append(torch.complex(z[..., 0], z[..., 1]))
    return torch.stack(out, dim=0)


def sample_wsr(problem: PrecodingProblem, prec: Precoders, z: torch.Tensor) -> torch.Tensor:
    """Sample-mean weighted sum rate (16) [B] (bit/s/Hz) on the given normals z [B,S,K,T].

    The same estimator as :func:`agents.precoding.rates.ergodic_rates` (x = b^H d = mean + sd z),
    laid out with the samples in the last (contiguous) dimension so that every reduction,
    forward and backward, runs over one drop's own contiguous memory: the result and its
    gradient are bitwise the same whatever other drops share the batch (reductions over an
    outer sample dimension are vectorised across drops, with a batch-size dependent order).
    """
    t = stream_terms(problem, prec)
    var = t["var"]
    pos = var > 0
    sd = torch.where(pos, torch.sqrt(torch.where(pos, var, torch.ones_like(var))), torch.zeros_like(var))
    x2 = (t["mean"][..., None] + sd[..., None].to(z.dtype) * z).abs() ** 2            # [B,S,K,T]
    tiny = torch.finfo(x2.dtype).tiny
    num = (t["sig"] + t["intra"])[..., None] * x2 + t["inter"][..., None]
    den = t["intra"][..., None] * x2 + t["inter"][..., None]
    r = (torch.log(num.clamp_min(tiny)) - torch.log(den.clamp_min(tiny))).mean(-1) / math.log(2.0)   # [B,S,K]
    return (problem.weights.to(r.dtype) * r).flatten(1).sum(-1)


def er_step_flops(S: int, K: int, M: int, N: int, samples: int) -> float:
    """One ascent step: forward ergodic rate on ``samples`` draws, backward charged at twice the
    forward (reverse-mode autodiff costs a small multiple of the forward evaluation), Adam on the
    2 S K (M + N) real parameters (10 flops each), the budget projection (4 S K M + S) and the
    renormalisation of b (6 S K N)."""
    fwd = flopcount.ergodic_rate_flops(S, K, M, N, samples)
    return 3.0 * fwd + 10.0 * 2 * S * K * (M + N) + 4.0 * S * K * M + S + 6.0 * S * K * N


WARM_BITS = 20


def _round_bits(z: torch.Tensor, bits: int = WARM_BITS) -> torch.Tensor:
    """Round the real and imaginary parts of z to ``bits`` significant bits."""
    v = torch.view_as_real(z) if z.is_complex() else z
    m, e = torch.frexp(v)
    v = torch.ldexp(torch.round(m * 2.0 ** bits) / 2.0 ** bits, e)
    return torch.view_as_complex(v.contiguous()) if z.is_complex() else v


def _project(x: torch.Tensor) -> torch.Tensor:
    """Scale each satellite's x_s [B,S,K,M] onto ||x_s||_F <= 1."""
    nrm = torch.sqrt((x.abs() ** 2).sum((-2, -1)))
    return x / nrm.clamp_min(1.0).to(x.dtype)[..., None, None]


def _unit(b: torch.Tensor) -> torch.Tensor:
    nrm = torch.linalg.vector_norm(b, dim=-1, keepdim=True)
    return b / nrm.clamp_min(torch.finfo(nrm.dtype).tiny)


def cen_opt_er(problem: PrecodingProblem, init: Precoders | None = None, max_iter: int = 100, tol: float = 1e-4,
               steps: int = 300, lr: float = 0.3, samples_per_step: int = 16, eval_samples: int = 256,
               eval_every: int = 10, er_tol: float = 2e-4, patience: int = 4, seed: int = 0,
               keys=None, schedule: str = "cosine", backoff: bool = True):
    """Cen-Opt-ER (see module docstring): stochastic projected ascent on (16), warm-started from Cen-Opt-WM.

    Parameters
    ----------
    problem : batched [B,S,K,M,N]
    init : warm start; default: converged :func:`agents.precoding.wmmse.cen_opt_wm` with
        ``max_iter`` / ``tol`` (the same options ``satcoop compare`` passes to Cen-Opt-WM)
    steps : ascent steps at most (each drop may stop earlier, see ``patience``)
    lr : initial Adam step relative to the variables' rms entry (halved per drop on a failed evaluation)
    samples_per_step : fresh NLoS draws per stream per step
    eval_samples, eval_every : validation draws (fixed per drop) and evaluation period (steps)
    er_tol, patience : freeze a drop after ``patience`` evaluations without a relative gain > ``er_tol``
    schedule : "cosine" (step multiplier decays from 1 to ``FLOOR`` = 0.05 over ``steps``) or "constant"
    backoff : on an evaluation that does not beat the drop's best, return to the best iterate and halve its step
    seed, keys : randomness; drop i's generators from (seed, keys[i]), keys[i] a tuple of ints naming the
        problem ((seed, drop) offline, (seed, region, update) live); default: its index in the batch

    Returns (Precoders, history) with the contract keys: ``iterations`` long [B] (ascent steps each
    drop ran), ``objective`` [B] (weighted sum rate (16) of the returned iterate on the drop's
    validation draws, bit/s/Hz), ``flops`` [B]::

        flops = Cen-Opt-WM flops (warm start) + iterations * er_step_flops(S,K,M,N,samples_per_step)
                + evaluations * ergodic_rate_flops(S,K,M,N,eval_samples)

    and ``warm_objective`` [B] (the warm start's validation rate), ``wm_iterations`` [B],
    ``evaluations`` [B], ``best_step`` [B] (step of the returned iterate; 0 = the warm start).
    """
    max_iter = check_iteration_options("cen_opt_er", max_iter, tol)
    for name, v, lo in (("steps", steps, 0), ("samples_per_step", samples_per_step, 2),
                        ("eval_samples", eval_samples, 2), ("eval_every", eval_every, 1), ("patience", patience, 1),
                        ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"cen_opt_er: {name} must be an integer >= {lo}, got {v!r}")
    for name, v in (("lr", lr), ("er_tol", er_tol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v >= 0):
            raise ValueError(f"cen_opt_er: {name} must be a finite number >= 0, got {v!r}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"cen_opt_er: schedule must be 'cosine' or 'constant', got {schedule!r}")
    if not isinstance(backoff, bool):
        raise ValueError(f"cen_opt_er: backoff must be True or False, got {backoff!r}")
    bsz, s_num, k_num, m_num, n_num = problem.shape
    keys = check_keys(keys, bsz)

    with torch.no_grad():
        if init is None:
            warm, wm_hist = cen_opt_wm(problem, max_iter=max_iter, tol=tol)
            wm_flops, wm_iters = wm_hist["flops"], wm_hist["iterations"]
        else:
            if init.p.shape != problem.g.shape or init.b.shape != problem.d0.shape:
                raise ValueError(f"cen_opt_er: init has p {tuple(init.p.shape)}, b {tuple(init.b.shape)}; expected "
                                 f"p {tuple(problem.g.shape)}, b {tuple(problem.d0.shape)}")
            warm = init
            wm_flops = torch.zeros(bsz, dtype=torch.float64)
            wm_iters = torch.zeros(bsz, dtype=torch.long)
        sqrt_p = torch.sqrt(problem.power_w).to(problem.dtype)[..., None, None]       # [B,S,1,1]
        # the warm start rounded to WARM_BITS significant bits: Cen-Opt-WM's result carries
        # batch-dependent round-off (~1e-14, from batched reductions), which the stochastic ascent
        # would amplify; rounded, a drop starts from the same point in any batch (a 2^-20 change is
        # physically nothing; the chance that round-off straddles a rounding boundary is ~1e-8 per entry)
        x = _project(_round_bits(warm.p.detach() / sqrt_p))
        b = _unit(_round_bits(warm.b.detach()))
        train_gens = _generators(seed, keys, _TRAIN)
        val_z = drop_normals(_generators(seed, keys, _VALID), eval_samples, s_num, k_num)     # [B,S,K,V]

        def validate(sub, xs, bs, z):
            return sample_wsr(sub, Precoders(p=xs * torch.sqrt(sub.power_w).to(xs.dtype)[..., None, None], b=bs), z)

        best_val = validate(problem, x, b, val_z)
        warm_val = best_val.clone()
        best_x, best_b = x.clone(), b.clone()
        best_step = torch.zeros(bsz, dtype=torch.long)
        stall = torch.zeros(bsz, dtype=torch.long)
        evals = torch.ones(bsz, dtype=torch.long)
        iters = torch.zeros(bsz, dtype=torch.long)

    n_evals = -(-int(steps) // int(eval_every))
    lr_x, lr_b = lr / math.sqrt(k_num * m_num), lr / math.sqrt(n_num)
    beta1, beta2, tiny = 0.9, 0.999, 1e-300
    if n_evals > 0:
        freezer = DropFreezer(bsz, n_evals, 0.0)
        sub, gens, vz, xs, bs = problem, train_gens, val_z, x, b
        mx = torch.zeros_like(torch.view_as_real(xs))
        mb = torch.zeros_like(torch.view_as_real(bs))
        vx = torch.zeros(bsz, dtype=mx.dtype)              # per-drop second moments (scalars)
        vb = torch.zeros(bsz, dtype=mx.dtype)
        scale = torch.ones(bsz, dtype=mx.dtype)            # per-drop step multiplier (halved on a failed evaluation)
        t = 0
        for _ in freezer.iterations_range():
            active = freezer.active
            todo = min(int(eval_every), int(steps) - t)
            for _ in range(todo):
                t += 1
                xr = torch.view_as_real(xs).clone().requires_grad_(True)
                br = torch.view_as_real(bs).clone().requires_grad_(True)
                z = drop_normals(gens, samples_per_step, s_num, k_num)
                with torch.enable_grad():
                    xc, bc = torch.view_as_complex(xr), torch.view_as_complex(br)
                    p = xc * torch.sqrt(sub.power_w).to(xc.dtype)[..., None, None]
                    wsr = sample_wsr(sub, Precoders(p=p, b=bc), z)
                    gx, gb = torch.autograd.grad(wsr.sum(), (xr, br))
                with torch.no_grad():
                    c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                    mx.mul_(beta1).add_(gx, alpha=1 - beta1)
                    mb.mul_(beta1).add_(gb, alpha=1 - beta1)
                    vx.mul_(beta2).add_((gx * gx).mean((1, 2, 3, 4)), alpha=1 - beta2)
                    vb.mul_(beta2).add_((gb * gb).mean((1, 2, 3, 4)), alpha=1 - beta2)
                    decay = 1.0 if schedule == "constant" else \
                        FLOOR + (1 - FLOOR) * 0.5 * (1 + math.cos(math.pi * (t - 1) / steps))
                    sx = (lr_x * decay * scale / c1 / ((vx / c2).sqrt() + tiny))[:, None, None, None, None]
                    sb = (lr_b * decay * scale / c1 / ((vb / c2).sqrt() + tiny))[:, None, None, None, None]
                    xs = _project(torch.view_as_complex((xr.detach() + sx * mx).contiguous()))
                    bs = _unit(torch.view_as_complex((br.detach() + sb * mb).contiguous()))
            with torch.no_grad():
                iters[active] += todo
                evals[active] += 1
                val = validate(sub, xs, bs, vz)
                prev_best = best_val[active]
                gain = (val - prev_best) / prev_best.abs().clamp_min(1e-12)
                better = gain > 0
                ab = active[better]
                best_val[ab] = val[better]
                best_x[ab], best_b[ab] = xs[better], bs[better]
                best_step[ab] = t
                st = torch.where(gain > er_tol, torch.zeros_like(stall[active]), stall[active] + 1)
                stall[active] = st
                if backoff:
                    # no improvement on the validation draws: back to the drop's best iterate, half the step
                    worse = ~better
                    xs = torch.where(worse[:, None, None, None], best_x[active], xs)
                    bs = torch.where(worse[:, None, None, None], best_b[active], bs)
                    scale = torch.where(worse, 0.5 * scale, scale)
                keep = freezer.update(val, val, done=st >= patience)
                if freezer.finished or t >= int(steps):
                    break
                if not bool(keep.all()):
                    sub = sub.take(batch=keep)
                    gens = [g for g, kp in zip(gens, keep.tolist()) if kp]
                    vz = vz[keep]
                    xs, bs, scale = xs[keep], bs[keep], scale[keep]
                    mx, vx, mb, vb = mx[keep], vx[keep], mb[keep], vb[keep]

    with torch.no_grad():
        p = best_x * sqrt_p
        flops = (wm_flops + iters.double() * er_step_flops(s_num, k_num, m_num, n_num, samples_per_step)
                 + evals.double() * flopcount.ergodic_rate_flops(s_num, k_num, m_num, n_num, eval_samples))
        history = {"iterations": iters, "objective": best_val.double(), "flops": flops,
                   "warm_objective": warm_val.double(), "wm_iterations": wm_iters, "evaluations": evals,
                   "best_step": best_step}
    return Precoders(p=p, b=best_b.clone()), history
