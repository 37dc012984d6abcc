"""The scheme contract of the multi-satellite paper's cooperative precoders, and its registry.

A *scheme* is ``fn(problem: PrecodingProblem, **options) -> (Precoders, history)`` on a
batched problem [B,S,K,M,N], registered in :data:`PRECODING_SCHEMES` under the paper's
name with its ``architecture``:

* ``"separate"``: every satellite designs its own precoders from its own sCSI (Sep-*);
  running it on ``problem.take(sats=[s])`` gives satellite s's slice of the full result,
  so the live simulation runs it on board each satellite with nothing crossing the ISLs;
* ``"centralized"``: one agent collects every satellite's sCSI and computes all precoders
  (Cen-*): sCSI reports up, precoders down over the ISLs;
* ``"decentralized"``: every satellite infers its own precoders from its sCSI and the
  others' SSI (Dec-*): only SSI crosses the ISLs.

``history`` always holds the FIXED keys (checked by :func:`run_scheme`):

* ``iterations`` torch.long [B]: outer iterations each drop ran (0 for closed forms and
  single forward passes);
* ``objective`` torch.float64 [B]: the scheme's own objective at the end (WMMSE (18) in nats
  for the *-Opt-WM schemes, the training-sample estimate of the weighted sum rate (16) in
  bit/s/Hz for Cen-Opt-ER), NaN where the scheme has none;
* ``flops`` torch.float64 [B]: real floating-point operations the scheme performed for that
  drop, all satellites together (:mod:`agents.precoding.flops`; each scheme's docstring gives
  its formula). Separate/decentralized schemes may add ``flops_per_satellite`` [B,S].

Any other keys are scheme-specific (traces, multipliers, ``converged_at``). Iterative schemes
freeze each drop when it converges (:mod:`agents.precoding.convergence`), so a drop's result
does not depend on which other drops share its batch.

This is the registry of the multi-satellite paper; the LP-DFT paper's single-satellite
schemes have their own registry, :data:`agents.lpdft.algorithms.LPDFT_SCHEMES`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

import torch

from . import flops as flopcount
from .baselines import sep_mmse, sep_mrt
from .problem import PrecodingProblem, Precoders
from .wmmse import cen_opt_wm, sep_opt_wm

__all__ = ["ARCHITECTURES", "HISTORY_KEYS", "Scheme", "PRECODING_SCHEMES", "register_scheme", "get_scheme",
           "scheme_names", "run_scheme", "check_history", "closed_form_history", "sep_mrt_scheme",
           "sep_mmse_scheme", "LegacySchemeView"]

ARCHITECTURES = ("separate", "centralized", "decentralized")
HISTORY_KEYS = ("iterations", "objective", "flops")


@dataclass(frozen=True)
class Scheme:
    """A registered scheme: ``fn(problem, **options) -> (Precoders, history)`` and where it runs."""

    name: str
    fn: Callable
    architecture: str
    description: str = ""


PRECODING_SCHEMES: dict[str, Scheme] = {}


def register_scheme(name: str, fn: Callable, *, architecture: str, description: str = "",
                    overwrite: bool = False) -> Scheme:
    """Add ``fn`` to :data:`PRECODING_SCHEMES` under ``name`` with its ``architecture``
    (one of :data:`ARCHITECTURES`). ValueError if the name is taken (unless ``overwrite``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"register_scheme: name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise ValueError(f"register_scheme: fn for {name!r} is not callable")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"register_scheme: architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if name in PRECODING_SCHEMES and not overwrite:
        raise ValueError(f"register_scheme: {name!r} is already registered")
    entry = Scheme(name=name, fn=fn, architecture=architecture, description=description)
    PRECODING_SCHEMES[name] = entry
    return entry


def get_scheme(name: str) -> Scheme:
    """The registered :class:`Scheme`; ValueError naming the registered names otherwise."""
    try:
        return PRECODING_SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; registered: {sorted(PRECODING_SCHEMES)}") from None


def scheme_names(architecture: str | None = None) -> list[str]:
    """Registered names (in registration order), optionally of one architecture."""
    if architecture is not None and architecture not in ARCHITECTURES:
        raise ValueError(f"scheme_names: architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    return [n for n, s in PRECODING_SCHEMES.items() if architecture is None or s.architecture == architecture]


def check_history(name: str, history, batch: int) -> dict:
    """Validate the contract keys of a scheme's history (shapes [B], dtypes long/float64). Returns it."""
    if not isinstance(history, dict):
        raise TypeError(f"scheme {name!r} returned a history of type {type(history).__name__}, expected dict")
    missing = [k for k in HISTORY_KEYS if k not in history]
    if missing:
        raise TypeError(f"scheme {name!r}: history lacks the contract keys {missing}")
    want = {"iterations": torch.long, "objective": torch.float64, "flops": torch.float64}
    for key, dt in want.items():
        v = history[key]
        if not isinstance(v, torch.Tensor) or tuple(v.shape) != (batch,) or v.dtype != dt:
            got = (tuple(v.shape), v.dtype) if isinstance(v, torch.Tensor) else type(v).__name__
            raise TypeError(f"scheme {name!r}: history[{key!r}] must be a {dt} tensor of shape ({batch},), got {got}")
    return history


def run_scheme(name: str, problem: PrecodingProblem, **options) -> tuple[Precoders, dict]:
    """Run a registered scheme; returns (Precoders, history) with the contract keys checked."""
    scheme = get_scheme(name)
    out = scheme.fn(problem, **options)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"scheme {name!r} must return (Precoders, history)")
    prec, history = out
    return prec, check_history(name, history, problem.shape[0])


def closed_form_history(batch: int, flops: float | torch.Tensor, objective: torch.Tensor | None = None,
                        **extra) -> dict:
    """Contract history of a non-iterative scheme: iterations 0, objective NaN (or given), flops."""
    fl = torch.as_tensor(flops, dtype=torch.float64).expand(batch).clone()
    obj = torch.full((batch,), math.nan, dtype=torch.float64) if objective is None else objective.double()
    return {"iterations": torch.zeros(batch, dtype=torch.long), "objective": obj, "flops": fl, **extra}


def sep_mrt_scheme(problem: PrecodingProblem) -> tuple[Precoders, dict]:
    """Sep-MRT (:func:`agents.precoding.baselines.sep_mrt`); flops = S * 2 K M
    (:func:`agents.precoding.flops.sep_mrt_flops`), per satellite 2 K M; no objective."""
    b, s, k, m, n = problem.shape
    per_sat = flopcount.sep_mrt_flops(1, k, m)
    return sep_mrt(problem), closed_form_history(b, s * per_sat,
                                                 flops_per_satellite=torch.full((b, s), per_sat, dtype=torch.float64))


def sep_mmse_scheme(problem: PrecodingProblem) -> tuple[Precoders, dict]:
    """Sep-MMSE (:func:`agents.precoding.baselines.sep_mmse`); flops per satellite
    :func:`agents.precoding.flops.sep_mmse_flops` at S = 1:
    K cquad(N) + 8 K N^2 + 8 K M + cmatmul(K,M,K) + csolve(K,K) + cmatmul(M,K,K); no objective."""
    b, s, k, m, n = problem.shape
    per_sat = flopcount.sep_mmse_flops(1, k, m, n)
    return sep_mmse(problem), closed_form_history(b, s * per_sat,
                                                  flops_per_satellite=torch.full((b, s), per_sat, dtype=torch.float64))


class LegacySchemeView(Mapping):
    """Read-only name -> fn view of :data:`PRECODING_SCHEMES` (the old ``baselines.SCHEMES`` dict)."""

    def __getitem__(self, name):
        return PRECODING_SCHEMES[name].fn

    def __iter__(self):
        return iter(PRECODING_SCHEMES)

    def __len__(self):
        return len(PRECODING_SCHEMES)


register_scheme("Sep-MRT", sep_mrt_scheme, architecture="separate",
                description="matched filter per satellite, equal power per stream")
register_scheme("Sep-MMSE", sep_mmse_scheme, architecture="separate",
                description="regularised ZF per satellite on the b = d0 effective channel")
register_scheme("Sep-Opt-WM", sep_opt_wm, architecture="separate",
                description="Algorithm 1 per satellite, ignoring the others' interference")
register_scheme("Cen-Opt-WM", cen_opt_wm, architecture="centralized",
                description="Algorithm 1: centralized WMMSE on sCSI, per-satellite budgets")

from .ergodic import cen_opt_er  # noqa: E402  (registers after the WMMSE schemes it warm-starts from)

register_scheme("Cen-Opt-ER", cen_opt_er, architecture="centralized",
                description="stochastic projected ascent on the ergodic sum rate (16), warm-started from Cen-Opt-WM")

from agents.nets.schemes import register as _register_learned  # noqa: E402  (H4: Cen-TFC-WM, Dec-TFC-WM; weights load lazily)

_register_learned()
