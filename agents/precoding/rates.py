"""Rate evaluators: the ergodic rate (16) from sCSI, and rates on instantaneous channels.

Ergodic rate of stream (s,k), eq. (16) with alpha from (12)::

    R_{s,k} = E_d log2(1 + |p_{s,k}^H g_{s,k}|^2 |b^H d_{s,k}|^2 / alpha_{s,k}),
    alpha_{s,k} = sum_{m != k} |p_{s,m}^H g_{s,k}|^2 |b^H d_{s,k}|^2 + b^H R_{s,k} b,
    R_{s,k} = sum_{t != s} sum_m |g_{t,k}^H p_{t,m}|^2 R^ut_{t,k} + sigma_k^2 I,

(b = b_{s,k}): intra-satellite interference shares the link's own realisation
d_{s,k}; inter-satellite interference-plus-noise enters through its mean R^ut.
The only random quantity is the scalar x = b^H d_{s,k} ~ CN(b^H d_bar, beta/(kappa+1) b^H Sigma b),
so the Monte Carlo draws one complex normal per stream and sample (seeded
torch.Generator), exactly, without sampling N-dimensional vectors.

All functions are differentiable in the precoders (the normals are constants),
so the ergodic rate can serve as a training loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .problem import PrecodingProblem, Precoders

__all__ = ["ErgodicRates", "link_gains", "receive_quadratic", "stream_terms", "ergodic_rates", "weighted_sum_rate",
           "instantaneous_rates"]

LOG2E = 1.0 / math.log(2.0)


@dataclass
class ErgodicRates:
    """Monte Carlo estimate of (16).

    rates [B,S,K] and stderr [B,S,K] per stream (bit/s/Hz); wsr [B] weighted sum
    rate sum_{s,k} a_{s,k} R_{s,k} and its standard error wsr_stderr [B]; samples T.
    """

    rates: torch.Tensor
    stderr: torch.Tensor
    wsr: torch.Tensor
    wsr_stderr: torch.Tensor
    samples: int


def link_gains(problem: PrecodingProblem, p: torch.Tensor) -> torch.Tensor:
    """gain[b, s, m, k] = p_{s,m}^H g_{s,k}, complex [B,S,K,K] (stream m of satellite s toward UT k)."""
    return torch.einsum("bsmi,bski->bsmk", p.conj(), problem.g)


def receive_quadratic(problem: PrecodingProblem, b: torch.Tensor) -> torch.Tensor:
    """quad[b, t, s, k] = b_{s,k}^H R^ut_{t,k} b_{s,k}, real [B,T,S,K]."""
    return torch.einsum("bskn,btknl,bskl->btsk", b.conj(), problem.r_ut, b).real


def stream_terms(problem: PrecodingProblem, prec: Precoders) -> dict[str, torch.Tensor]:
    """The per-stream quantities of (16), all real [B,S,K] except ``mean`` (complex):

    ``sig`` |p_{s,k}^H g_{s,k}|^2, ``intra`` sum_{m!=k} |p_{s,m}^H g_{s,k}|^2,
    ``inter`` b^H R_{s,k} b (inter-satellite interference + noise, eq. (12)),
    ``mean`` b^H d_bar, ``var`` beta/(kappa+1) b^H Sigma b  (x = b^H d ~ CN(mean, var)),
    ``recv`` q[b,t,k] = sum_m |g_{t,k}^H p_{t,m}|^2 [B,S,K] and
    ``quad`` b_{s,k}^H R^ut_{t,k} b_{s,k} as [B,T,S,K].
    """
    b = prec.b
    pw = link_gains(problem, prec.p).abs() ** 2                                                 # [B,S,Km,Kk]
    sig = torch.diagonal(pw, dim1=-2, dim2=-1)                           # [B,S,K]
    recv = pw.sum(-2)                                                    # [B,S,K] total from s toward k
    intra = recv - sig
    quad = receive_quadratic(problem, b)                                 # [B,T,S,K]
    s_count = problem.shape[1]
    off = 1.0 - torch.eye(s_count, dtype=quad.dtype, device=quad.device)  # [T,S], t != s
    inter = torch.einsum("btk,ts,btsk->bsk", recv, off, quad)
    bnorm2 = (b.abs() ** 2).sum(-1)
    inter = inter + problem.noise_w[:, None, :] * bnorm2
    mean = (b.conj() * problem.d_bar).sum(-1)
    var = problem.nlos_w * torch.einsum("bskn,bsknl,bskl->bsk", b.conj(), problem.sigma, b).real
    return {"sig": sig, "intra": intra, "inter": inter, "mean": mean, "var": var.clamp_min(0.0),
            "recv": recv, "quad": quad}


def ergodic_rates(problem: PrecodingProblem, prec: Precoders, samples: int = 1024,
                  generator: torch.Generator | None = None, chunk: int = 256,
                  normals: torch.Tensor | None = None) -> ErgodicRates:
    """Ergodic rates (16) of every stream by Monte Carlo over the NLoS component.

    ``samples`` T draws of x_{s,k} per stream (independent over streams), in chunks
    of ``chunk``; ``generator`` a seeded torch.Generator (required for T > 0 with
    NLoS; a fresh ``torch.Generator().manual_seed(0)`` is used if None so the
    result is reproducible, never the global RNG). ``normals``: instead of drawing,
    use these standard complex normals z ~ CN(0, 1), complex [T,B,S,K] (T = their
    count; ``samples``/``generator``/``chunk`` are then ignored) -- e.g. drawn per drop
    from per-drop generators, so a drop's estimate does not depend on its batch.
    Returns :class:`ErgodicRates` (bit/s/Hz).
    """
    if normals is not None:
        b, s, k = problem.shape[:3]
        if normals.dim() != 4 or tuple(normals.shape[1:]) != (b, s, k) or not normals.is_complex() \
                or normals.shape[0] < 2:
            raise ValueError(f"ergodic_rates: normals must be complex [T>=2,B,S,K] = [T,{b},{s},{k}], "
                             f"got {tuple(normals.shape)} {normals.dtype}")
        samples = chunk = int(normals.shape[0])
    if isinstance(samples, bool) or int(samples) != samples or samples < 2:
        raise ValueError(f"ergodic_rates: samples must be an integer >= 2, got {samples!r}")
    if isinstance(chunk, bool) or int(chunk) != chunk or chunk < 1:
        raise ValueError(f"ergodic_rates: chunk must be an integer >= 1, got {chunk!r}")
    samples, chunk = int(samples), int(chunk)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    t = stream_terms(problem, prec)
    rdt = t["sig"].dtype
    var = t["var"]
    # sqrt has an infinite derivative at 0 (pure LoS link, kappa = inf, or b orthogonal to Sigma):
    # take the zero subgradient there so gradients through the rate stay finite
    pos = var > 0
    sd = torch.where(pos, torch.sqrt(torch.where(pos, var, torch.ones_like(var))), torch.zeros_like(var))
    a = problem.weights.to(rdt)
    s1 = torch.zeros_like(t["sig"])
    s2 = torch.zeros_like(t["sig"])
    w1 = torch.zeros(problem.shape[0], dtype=rdt)
    w2 = torch.zeros_like(w1)
    tiny = torch.finfo(rdt).tiny
    done = 0
    while done < samples:
        n = min(chunk, samples - done)
        if normals is not None:
            zc = normals.to(t["mean"].dtype)
        else:
            z = torch.randn((n,) + tuple(sd.shape) + (2,), generator=generator, dtype=rdt) * math.sqrt(0.5)
            zc = torch.complex(z[..., 0], z[..., 1])
        x2 = (t["mean"] + sd * zc).abs() ** 2                                # [T,B,S,K]
        num = (t["sig"] + t["intra"]) * x2 + t["inter"]
        den = t["intra"] * x2 + t["inter"]
        r = LOG2E * (torch.log(num.clamp_min(tiny)) - torch.log(den.clamp_min(tiny)))
        s1 = s1 + r.sum(0)
        s2 = s2 + (r.detach() ** 2).sum(0)
        wr = (a * r).sum((-2, -1))                                          # [T,B]
        w1 = w1 + wr.sum(0)
        w2 = w2 + (wr.detach() ** 2).sum(0)
        done += n
    mean = s1 / samples
    var = (s2 - samples * mean.detach() ** 2).clamp_min(0.0) / (samples - 1)
    wmean = w1 / samples
    wvar = (w2 - samples * wmean.detach() ** 2).clamp_min(0.0) / (samples - 1)
    return ErgodicRates(rates=mean, stderr=torch.sqrt(var / samples), wsr=wmean,
                        wsr_stderr=torch.sqrt(wvar / samples), samples=samples)


def weighted_sum_rate(problem: PrecodingProblem, prec: Precoders, samples: int = 1024,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted sum of the ergodic rates (16): (wsr [B], standard error [B]) in bit/s/Hz."""
    est = ergodic_rates(problem, prec, samples=samples, generator=generator)
    return est.wsr, est.wsr_stderr


def instantaneous_rates(h: torch.Tensor, prec: Precoders, noise_w: torch.Tensor) -> torch.Tensor:
    """Rates log2(1 + SINR) of every stream on given channels, [..., B, S, K] (bit/s/Hz).

    ``h`` complex [..., B, S, K, N, M]: H_{s,k} for all links drawn jointly (optionally
    with leading sample dimensions). Stream (s,k) is received with b_{s,k}; every
    other stream (t,m) != (s,k) of every satellite interferes through the true
    channel H_{t,k}: I = sum_{(t,m) != (s,k)} |b_{s,k}^H H_{t,k} p_{t,m}|^2, plus
    sigma_k^2 ||b_{s,k}||^2 noise (``noise_w`` [B,K], W). ``h`` may be a numpy array (e.g. from
    :meth:`constellation.csi.StatisticalCSI.sample_channels`); channels and precoders are
    computed in their common (promoted) dtype.
    """
    h = torch.as_tensor(h)
    dt = torch.promote_types(h.dtype, prec.p.dtype)
    h, p, b = h.to(dt), prec.p.to(dt), prec.b.to(dt)
    noise_w = torch.as_tensor(noise_w).to(h.real.dtype)
    hp = torch.einsum("...btknM,btmM->...btknm", h, p)                 # H_{t,k} p_{t,m}
    amp = torch.einsum("bskn,...btknm->...bsktm", b.conj(), hp)      # b_{s,k}^H H_{t,k} p_{t,m}
    pw = amp.abs() ** 2                                                # [...,B,S,K,T,Km]
    s_count, k_count = p.shape[1], p.shape[2]
    eye_s = torch.eye(s_count, dtype=torch.bool, device=p.device)
    eye_k = torch.eye(k_count, dtype=torch.bool, device=p.device)
    own = eye_s[:, None, :, None] & eye_k[None, :, None, :]            # [S,K,T,Km]: (t,m) == (s,k)
    sig = torch.where(own, pw, torch.zeros_like(pw)).sum((-2, -1))
    interf = torch.where(own, torch.zeros_like(pw), pw).sum((-2, -1))
    noise = noise_w[:, None, :] * (b.abs() ** 2).sum(-1)
    return torch.log2(1.0 + sig / (interf + noise))
