"""One per-drop convergence policy for every iterative precoding loop.

A batched iterative scheme (Cen-Opt-WM / Sep-Opt-WM of the multi-satellite paper,
Algorithm 1; the textbook MISO WMMSE; LP-DFT, Algorithm 1 of the LP-DFT paper;
the ergodic-rate ascent Cen-Opt-ER) runs B independent drops at once. The policy:

* after outer iteration n, drop i's relative change is
  ``|F_n - F_{n-1}| / max(|scale|, floor)`` (``scale`` defaults to ``|F_n|``);
* a drop whose change is below ``tol`` is *converged at n* and frozen: the loop
  removes it from the active set and never touches its result again;
* every drop stops after ``max_iter`` iterations (``converged_at = max_iter``).

Because each drop's update is a function of that drop's data only (all the
batched linear algebra is per batch element) and the stopping decision is per
drop, a drop's result does not depend on which other drops share its batch (up
to floating-point round-off of batched kernels). Earlier, some loops stopped
only when *every* drop had converged, so a drop kept iterating for its slowest
batch-mate.

Usage (the loop keeps its own state for the active drops only)::

    fr = DropFreezer(batch, max_iter, tol)
    for it in fr.iterations_range():
        new_obj = step(...)                      # [A] for the A active drops
        keep = fr.update(old_obj, new_obj)       # bool [A]: still active after this iteration
        write results of all A drops back at fr.last_active
        if fr.finished: break
        shrink the loop state with ``keep``

``iterations`` [B] (long) is the number of outer iterations each drop ran
(= ``converged_at``); it is the per-drop iteration count of the scheme contract
(:mod:`agents.precoding.contract`).
"""
from __future__ import annotations

import math

import torch

__all__ = ["relative_change", "DropFreezer", "check_iteration_options"]


def check_iteration_options(owner: str, max_iter, tol) -> int:
    """Validate ``max_iter`` (integer >= 1) and ``tol`` (finite >= 0); ValueError naming the option."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, float)) or int(max_iter) != max_iter \
            or max_iter < 1:
        raise ValueError(f"{owner}: max_iter must be an integer >= 1, got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"{owner}: tol must be a finite number >= 0, got {tol!r}")
    return int(max_iter)


def relative_change(prev: torch.Tensor, new: torch.Tensor, scale: torch.Tensor | None = None,
                    floor: float = 1e-12) -> torch.Tensor:
    """|new - prev| / max(|scale|, floor), elementwise ([A]); ``scale`` defaults to ``new``."""
    ref = new if scale is None else scale
    return (new - prev).abs() / ref.abs().clamp_min(floor)


class DropFreezer:
    """Per-drop convergence bookkeeping for a batch of B drops (see module docstring).

    Attributes
    ----------
    active : long [A] indices (into the batch of B) of the drops still iterating
    last_active : long [A'] the drops that took part in the last :meth:`update`
    iterations : long [B] outer iterations each drop has run
    converged_at : long [B] iteration at which each drop met ``tol`` (``max_iter`` if never)
    converged : bool [B] whether the drop met ``tol``
    """

    def __init__(self, batch: int, max_iter: int, tol: float, floor: float = 1e-12):
        self.max_iter = check_iteration_options("DropFreezer", max_iter, tol)
        self.tol = float(tol)
        self.floor = float(floor)
        self.active = torch.arange(int(batch))
        self.last_active = self.active
        self.iterations = torch.zeros(int(batch), dtype=torch.long)
        self.converged_at = torch.full((int(batch),), self.max_iter, dtype=torch.long)
        self.converged = torch.zeros(int(batch), dtype=torch.bool)
        self.it = 0

    def iterations_range(self):
        """range(1, max_iter + 1): the outer iteration numbers."""
        return range(1, self.max_iter + 1)

    @property
    def finished(self) -> bool:
        """No active drop left (all converged, or max_iter reached)."""
        return self.active.numel() == 0

    def update(self, prev: torch.Tensor, new: torch.Tensor, scale: torch.Tensor | None = None,
               done: torch.Tensor | None = None) -> torch.Tensor:
        """Record one outer iteration of the active drops.

        ``prev``, ``new`` (and ``scale``) [A]: objective before/after this iteration for
        the A active drops; ``done`` [A] bool, optional, marks drops converged by another
        criterion (OR-ed). Returns ``keep`` bool [A]: the drops that stay active.
        After the iteration at ``max_iter`` no drop stays active.
        """
        self.it += 1
        idx = self.active
        self.last_active = idx
        self.iterations[idx] += 1
        stop = relative_change(prev.detach(), new.detach(), None if scale is None else scale.detach(),
                               self.floor) < self.tol
        if done is not None:
            stop = stop | done
        stop = stop.reshape(-1)
        self.converged[idx[stop]] = True
        self.converged_at[idx[stop]] = self.iterations[idx[stop]]
        keep = ~stop
        if self.it >= self.max_iter:
            keep = torch.zeros_like(keep)
        self.active = idx[keep]
        return keep
