"""Cen-Opt-ER: stochastic projected gradient ascent on the ergodic weighted sum rate (16) itself.

Cen-Opt-WM (Algorithm 1 of the multi-satellite paper) maximises the WMMSE surrogate
(18)-(19), whose MSE keeps only the LoS mean b^H d_bar of the wanted signal, while every
scheme is scored by the ergodic rate (16), which also counts the NLoS part of
|b^H d_{s,k}|^2 as signal. Cen-Opt-ER starts from converged Cen-Opt-WM and climbs (16):

* variables: the precoders p_{s,k}, parameterised as p_s = sqrt(P_s) x_s with the per-satellite
  budget ||x_s||_F <= 1, AND the receive vectors b_{s,k} (as free variables; (16) is invariant
  to the scale of b, so b is renormalised to unit norm after each step);
* each step: ``samples_per_step`` fresh draws of the NLoS scalar z ~ CN(0, 1) per stream
  (``agents.precoding.rates.ergodic_rates(normals=...)``, differentiable), the gradient of the
  sample-mean weighted sum rate by autograd, an Adam step (elementwise, so drops do not
  interact; step sizes relative to the variables' rms: ``lr / sqrt(K M)`` for x, ``lr / sqrt(N)``
  for b), then the projection onto each satellite's budget (scale x_s onto ||x_s||_F <= 1: the
  Euclidean projection onto the ball);
* every ``eval_every`` steps the weighted sum rate of the current iterate is estimated on
  ``eval_samples`` FIXED validation draws per drop (common random numbers, a generator
  different from the training one); each drop keeps its best validated iterate (the warm start
  included), and a drop whose best has not improved by a relative ``er_tol`` for ``patience``
  evaluations is frozen (:class:`agents.precoding.convergence.DropFreezer`).

Randomness: drop i's training and validation draws come from torch generators seeded by
(``seed``, a fingerprint of drop i's sCSI and budget), or by ``drop_keys[i]`` if given; never the
global RNG. With the per-drop freeze, a drop's result does not depend on its batch-mates or on
the batch size. The returned rate must be scored on other samples (``satcoop compare`` uses its
own generators): the validation draws select the iterate, so they are optimistic.
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import torch

from . import flops as flopcount
from .convergence import DropFreezer, check_iteration_options
from .problem import PrecodingProblem, Precoders
from .rates import ergodic_rates
from .wmmse import cen_opt_wm

__all__ = ["cen_opt_er", "drop_fingerprints", "drop_normals", "er_step_flops"]

_TRAIN, _VALID = 0, 1


def drop_fingerprints(problem: PrecodingProblem) -> list[int]:
    """A 63-bit key per drop from its content (g, d0, beta, kappa, sigma, noise, budget, weights):
    the same drop gets the same key in any batch."""
    keys = []
    fields = ("g", "d0", "beta", "kappa", "sigma", "noise_w", "power_w", "weights")
    arrays = [getattr(problem, f).detach().cpu().contiguous() for f in fields]
    for i in range(problem.shape[0]):
        h = hashlib.blake2b(digest_size=8)
        for a in arrays:
            h.update(np.ascontiguousarray(a[i].numpy()).tobytes())
        keys.append(int.from_bytes(h.digest(), "little") >> 1)
    return keys


def _generators(seed: int, keys, stream: int) -> list[torch.Generator]:
    gens = []
    for k in keys:
        ss = np.random.SeedSequence([int(seed), int(k) & 0xFFFFFFFF, int(k) >> 32, stream])
        gens.append(torch.Generator().manual_seed(int(ss.generate_state(1, np.uint64)[0] >> 1)))
    return gens


def drop_normals(gens: list[torch.Generator], samples: int, s: int, k: int, dtype=torch.float64) -> torch.Tensor:
    """Standard complex normals [T,B,S,K], drop i's from ``gens[i]``."""
    out = []
    for g in gens:
        z = torch.randn((samples, s, k, 2), generator=g, dtype=dtype) * math.sqrt(0.5)
        out.append(torch.complex(z[..., 0], z[..., 1]))
    return torch.stack(out, dim=1)


def er_step_flops(S: int, K: int, M: int, N: int, samples: int) -> float:
    """One ascent step: forward ergodic rate on ``samples`` draws, backward charged at twice the
    forward (reverse-mode autodiff costs a small multiple of the forward evaluation), Adam on the
    2 S K (M + N) real parameters (10 flops each), the budget projection (4 S K M + S) and the
    renormalisation of b (6 S K N)."""
    fwd = flopcount.ergodic_rate_flops(S, K, M, N, samples)
    return 3.0 * fwd + 10.0 * 2 * S * K * (M + N) + 4.0 * S * K * M + S + 6.0 * S * K * N


def _project(x: torch.Tensor) -> torch.Tensor:
    """Scale each satellite's x_s [B,S,K,M] onto ||x_s||_F <= 1."""
    nrm = torch.sqrt((x.abs() ** 2).sum((-2, -1)))
    return x / nrm.clamp_min(1.0).to(x.dtype)[..., None, None]


def _unit(b: torch.Tensor) -> torch.Tensor:
    nrm = torch.linalg.vector_norm(b, dim=-1, keepdim=True)
    return b / nrm.clamp_min(torch.finfo(nrm.dtype).tiny)


def cen_opt_er(problem: PrecodingProblem, init: Precoders | None = None, max_iter: int = 100, tol: float = 1e-4,
               steps: int = 120, lr: float = 0.03, samples_per_step: int = 32, eval_samples: int = 128,
               eval_every: int = 10, er_tol: float = 1e-3, patience: int = 4, seed: int = 0,
               drop_keys=None):
    """Cen-Opt-ER (see module docstring): stochastic projected ascent on (16), warm-started from Cen-Opt-WM.

    Parameters
    ----------
    problem : batched [B,S,K,M,N]
    init : warm start; default: converged :func:`agents.precoding.wmmse.cen_opt_wm` with
        ``max_iter`` / ``tol`` (the same options ``satcoop compare`` passes to Cen-Opt-WM)
    steps : ascent steps at most (each drop may stop earlier, see ``patience``)
    lr : Adam step relative to the variables' rms entry
    samples_per_step : fresh NLoS draws per stream per step
    eval_samples, eval_every : validation draws (fixed per drop) and evaluation period (steps)
    er_tol, patience : freeze a drop after ``patience`` evaluations without a relative gain > ``er_tol``
    seed, drop_keys : randomness; drop i's generators from (seed, drop_keys[i] or its content fingerprint)

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
    bsz, s_num, k_num, m_num, n_num = problem.shape
    if drop_keys is None:
        keys = drop_fingerprints(problem)
    else:
        keys = [int(k) for k in drop_keys]
        if len(keys) != bsz or any(k < 0 for k in keys):
            raise ValueError(f"cen_opt_er: drop_keys must be {bsz} integers >= 0, got {drop_keys!r}")

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
        x = _project(warm.p.detach() / sqrt_p)
        b = _unit(warm.b.detach())
        train_gens = _generators(seed, keys, _TRAIN)
        val_z = drop_normals(_generators(seed, keys, _VALID), eval_samples, s_num, k_num)     # [V,B,S,K]

        def validate(sub, xs, bs, z):
            return ergodic_rates(sub, Precoders(p=xs * torch.sqrt(sub.power_w).to(xs.dtype)[..., None, None], b=bs),
                                 normals=z).wsr

        best_val = validate(problem, x, b, val_z)
        warm_val = best_val.clone()
        best_x, best_b = x.clone(), b.clone()
        best_step = torch.zeros(bsz, dtype=torch.long)
        stall = torch.zeros(bsz, dtype=torch.long)
        evals = torch.ones(bsz, dtype=torch.long)
        iters = torch.zeros(bsz, dtype=torch.long)

    n_evals = -(-int(steps) // int(eval_every))
    lr_x, lr_b = lr / math.sqrt(k_num * m_num), lr / math.sqrt(n_num)
    beta1, beta2, eps, eps_rel = 0.9, 0.999, 1e-300, 1e-3
    if n_evals > 0:
        freezer = DropFreezer(bsz, n_evals, 0.0)
        sub = problem
        gens = train_gens
        vz = val_z
        xs, bs = x, b
        mx = torch.zeros_like(torch.view_as_real(xs))
        vx = torch.zeros_like(mx)
        mb = torch.zeros_like(torch.view_as_real(bs))
        vb = torch.zeros_like(mb)
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
                    wsr = ergodic_rates(sub, Precoders(p=p, b=bc), normals=z).wsr
                    gx, gb = torch.autograd.grad(wsr.sum(), (xr, br))
                with torch.no_grad():
                    c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                    mx.mul_(beta1).add_(gx, alpha=1 - beta1)
                    vx.mul_(beta2).addcmul_(gx, gx, value=1 - beta2)
                    mb.mul_(beta1).add_(gb, alpha=1 - beta1)
                    vb.mul_(beta2).addcmul_(gb, gb, value=1 - beta2)
                    # eps relative to each drop's rms second moment: a gradient entry at round-off
                    # level is not blown up to a full step (keeps a drop's result batch-independent)
                    ex = eps_rel * (vx / c2).mean((1, 2, 3, 4), keepdim=True).sqrt()
                    eb = eps_rel * (vb / c2).mean((1, 2, 3, 4), keepdim=True).sqrt()
                    xr = xr.detach() + lr_x * (mx / c1) / ((vx / c2).sqrt() + ex + eps)
                    br = br.detach() + lr_b * (mb / c1) / ((vb / c2).sqrt() + eb + eps)
                    xs = _project(torch.view_as_complex(xr.contiguous()))
                    bs = _unit(torch.view_as_complex(br.contiguous()))
            with torch.no_grad():
                iters[active] += todo
                evals[active] += 1
                val = validate(sub, xs, bs, vz)
                prev_best = best_val[active]
                better = val > prev_best
                gain = (val - prev_best) / prev_best.abs().clamp_min(1e-12)
                ab = active[better]
                best_val[ab] = val[better]
                best_x[ab], best_b[ab] = xs[better], bs[better]
                best_step[ab] = t
                st = torch.where(gain > er_tol, torch.zeros_like(stall[active]), stall[active] + 1)
                stall[active] = st
                keep = freezer.update(val, val, done=st >= patience)
                if freezer.finished or t >= int(steps):
                    break
                if not bool(keep.all()):
                    sub = sub.take(batch=keep)
                    gens = [g for g, kp in zip(gens, keep.tolist()) if kp]
                    vz = vz[:, keep]
                    xs, bs = xs[keep], bs[keep]
                    mx, vx, mb, vb = mx[keep], vx[keep], mb[keep], vb[keep]

    with torch.no_grad():
        p = best_x * sqrt_p
        flops = (wm_flops + iters.double() * er_step_flops(s_num, k_num, m_num, n_num, samples_per_step)
                 + evals.double() * flopcount.ergodic_rate_flops(s_num, k_num, m_num, n_num, eval_samples))
        history = {"iterations": iters, "objective": best_val.double(), "flops": flops,
                   "warm_objective": warm_val.double(), "wm_iterations": wm_iters, "evaluations": evals,
                   "best_step": best_step}
    return Precoders(p=p, b=best_b.clone()), history
