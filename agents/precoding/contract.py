"""The scheme contract of the multi-satellite paper's cooperative precoders.

A *scheme* is ``fn(problem: PrecodingProblem, **options) -> (Precoders, history)`` on a
batched problem [B,S,K,M,N], described by a :class:`Scheme` with its ``architecture``:

* ``"separate"``: every satellite designs its own precoders from its own sCSI (Sep-*);
  running it on ``problem.take(sats=[s])`` gives satellite s's slice of the full result,
  so the live simulation runs it on board each satellite with nothing crossing the ISLs;
* ``"centralized"``: one agent collects every satellite's sCSI and computes all precoders
  (Cen-*): sCSI reports up, precoders down over the ISLs;
* ``"decentralized"``: every satellite infers its own precoders from its sCSI and the
  others' SSI (Dec-*): only SSI crosses the ISLs.

``history`` always holds the FIXED keys :data:`HISTORY_KEYS` (checked by :func:`check_history`):

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

Algorithm modules (:mod:`agents.precoding`, :mod:`agents.nets`) import only this contract;
the one catalog of the built-in schemes is :mod:`agents.schemes`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from .problem import PrecodingProblem, Precoders

__all__ = ["ARCHITECTURES", "HISTORY_KEYS", "Scheme", "check_history", "closed_form_history"]

ARCHITECTURES = ("separate", "centralized", "decentralized")
HISTORY_KEYS = ("iterations", "objective", "flops")
_DTYPES = {"iterations": torch.long, "objective": torch.float64, "flops": torch.float64}


@dataclass(frozen=True)
class Scheme:
    """A scheme: where it runs and how to call it.

    name: the paper's name (``"Cen-Opt-WM"``); fn: ``fn(problem, **options) -> (Precoders, history)``;
    architecture: one of :data:`ARCHITECTURES`; description: one line;
    local: the on-board entry of a decentralized scheme, ``local(problem [B,1,K], others) ->
    (Precoders [B,1,K], history)`` with ``others`` an :class:`agents.nets.dec_tfc.OthersView` built
    from the SSI the satellite holds (None: the satellite solves the problem it believes in with ``fn``);
    warm_start: ``fn`` takes ``init=Precoders`` (an iterative scheme the live agents start from their
    previous solution);
    keyed: ``fn`` draws random numbers and takes ``keys=`` (one tuple of ints >= 0 per batch element,
    naming that problem's identity); its draws for a problem are a function of its key only, never of
    its bits or its batch. Callers pass (seed, drop) offline (``compare``) and (seed, region, update)
    live (the agents);
    live_default: the scheme is in the default live set (a run's ``schemes = "default"``); False: a live
    episode runs it only when named (``compare`` runs every scheme).
    """

    name: str
    fn: Callable
    architecture: str
    description: str = ""
    local: Callable | None = None
    warm_start: bool = False
    keyed: bool = False
    live_default: bool = True

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Scheme: name must be a non-empty string, got {self.name!r}")
        if not callable(self.fn):
            raise ValueError(f"Scheme {self.name!r}: fn is not callable")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"Scheme {self.name!r}: architecture must be one of {ARCHITECTURES}, "
                             f"got {self.architecture!r}")
        if self.local is not None and self.architecture != "decentralized":
            raise ValueError(f"Scheme {self.name!r}: only a decentralized scheme has an on-board entry (local)")

    def __call__(self, problem: PrecodingProblem, **options) -> tuple[Precoders, dict]:
        """Run the scheme; returns (Precoders, history) with the contract keys checked."""
        out = self.fn(problem, **options)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"scheme {self.name!r} must return (Precoders, history)")
        prec, history = out
        return prec, check_history(self.name, history, problem.shape[0])


def check_history(name: str, history, batch: int) -> dict:
    """Validate the contract keys of a scheme's history (shapes [B], dtypes long/float64). Returns it."""
    if not isinstance(history, dict):
        raise TypeError(f"scheme {name!r} returned a history of type {type(history).__name__}, expected dict")
    missing = [k for k in HISTORY_KEYS if k not in history]
    if missing:
        raise TypeError(f"scheme {name!r}: history lacks the contract keys {missing}")
    for key, dt in _DTYPES.items():
        v = history[key]
        if not isinstance(v, torch.Tensor) or tuple(v.shape) != (batch,) or v.dtype != dt:
            got = (tuple(v.shape), v.dtype) if isinstance(v, torch.Tensor) else type(v).__name__
            raise TypeError(f"scheme {name!r}: history[{key!r}] must be a {dt} tensor of shape ({batch},), got {got}")
    return history


def closed_form_history(batch: int, flops: float | torch.Tensor, objective: torch.Tensor | None = None,
                        **extra) -> dict:
    """Contract history of a non-iterative scheme: iterations 0, objective NaN (or given), flops."""
    fl = torch.as_tensor(flops, dtype=torch.float64).expand(batch).clone()
    obj = torch.full((batch,), math.nan, dtype=torch.float64) if objective is None else objective.double()
    return {"iterations": torch.zeros(batch, dtype=torch.long), "objective": obj, "flops": fl, **extra}
