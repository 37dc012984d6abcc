"""On-board scheme runs as requests, and the host's batched execution of them.

A lane does not call a scheme itself: at an event time it asks for a run (:class:`ComputeRequest`:
the scheme, the drop's problem [1,S,K,...], its options, its draw key, whose warm start it reads),
and its host runs every request of that time (:func:`run_requests`). With ``batch`` the requests of
one host are grouped by (scheme, entry, S, K, M, N, dtype, options, warm-started or not, number of
peers in view) and each group is ONE call of the scheme on the drops concatenated along the batch
axis (the schemes are batched per drop, :mod:`agents.precoding.contract`); without, each request is
its own call (the per-agent reference path), in the order they were asked.

What stays per drop: each request gets its own drop's precoders (a copy, not a view into the batch),
flops and outer iterations from the scheme's per-drop history, so every role is charged its own run
on its own processor (:class:`agents.live.lanes.ComputeQueue`) exactly as if it had run alone; a
warm start is read from and written back to the request's own lane; a keyed scheme's draw key is the
drop's own (``keys=[key]``). The same inputs asked more than once (a centralized lane's fallback and a
separate lane running the same scheme on the one local problem) are computed once, each request
charged in full. Only ``wall_s`` (real time on this machine, not part of the simulation) is the
batch's wall time split equally over its requests.

A keyed scheme (Cen-Opt-ER, a stochastic ascent: it amplifies round-off) runs alone: batched, with
each drop's key, its draws are the lone run's, but the batched kernels round differently and its
rates moved by up to 1.8e-9 relative (measured: 10 regions, default options, every central computing
at its update tick), where the others stay within 1e-12. Its runs start at the centrals' own report
times anyway, so they rarely share a time.

A lane's second request of one time that reads the same lane's warm start (none of today's lanes asks
twice) waits for the first: requests run in rounds, the n-th request per warm-start lane in round n.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import torch

from agents import schemes as catalog
from agents.precoding.contract import check_history
from agents.precoding.problem import PrecodingProblem, Precoders

__all__ = ["ComputeRequest", "SchemeRun", "run_requests", "concat_problems"]


@dataclass(frozen=True)
class SchemeRun:
    """One scheme run on board: its precoders, counted flops, outer iterations, wall time (s), and whether it
    stopped at its iteration limit without meeting its tolerance (None: the scheme reports no convergence)."""

    prec: Precoders
    flops: float
    iterations: int
    wall_s: float
    at_limit: bool | None = None

    @property
    def p(self):          # this satellite's slot [K,M] of a one-satellite run (numpy)
        return self.prec.p[0, 0].numpy()

    @property
    def b(self):
        return self.prec.b[0, 0].numpy()

    @property
    def p_all(self):      # every slot [S,K,M] of a central's run
        return self.prec.p[0].numpy()

    @property
    def b_all(self):
        return self.prec.b[0].numpy()


@dataclass(eq=False)
class ComputeRequest:
    """One on-board run a lane asks for at time ``t_s`` (episode s).

    lane: the lane whose processor runs it (charged there); kind: "own" | "fallback" | "central";
    scheme: the catalog name; update: the update it belongs to; seq: its order among the role's
    computations; problem: the drop's problem [1,S,K,M,N]; options: the scheme's options (no ``keys`` /
    ``init``: those are per drop, below); key: this drop's draw key of a keyed scheme (None otherwise);
    warm: the lane whose warm start it reads and keeps (None: none); sats: the satellites of its slots
    (a warm start is used only for the same satellites); use_warm: the run's ``warm_start`` setting;
    others: the :class:`agents.nets.dec_tfc.OthersView` [1,O,...] of a decentralized scheme's on-board
    entry (None: the scheme's ``fn``); payload: what the lane needs to turn the result into what it holds.
    run: the :class:`SchemeRun`, set by :func:`run_requests`.
    """

    lane: object
    kind: str
    scheme: str
    update: int
    t_s: float
    seq: int
    problem: PrecodingProblem
    options: dict
    key: tuple | None = None
    warm: object = None
    sats: tuple = ()
    use_warm: bool = True
    others: object = None
    payload: object = None
    run: SchemeRun | None = None
    _init: Precoders | None = field(default=None, repr=False)

    def resolve_init(self) -> None:
        """The warm start this run starts from now: the lane's last solution for the same satellites."""
        entry = catalog.get(self.scheme)
        w = None if self.warm is None else self.warm.warm
        ok = self.use_warm and entry.warm_start and w is not None and w[0] == self.sats and "init" not in self.options
        self._init = w[1] if ok else None

    def signature(self) -> tuple:
        """What must be equal for requests to share one batched call."""
        p = self.problem
        if "keys" in self.options or "init" in self.options or self.key is not None:
            return ("alone", id(self))         # per-drop options given by hand, or a keyed scheme (docstring)
        opts = repr(sorted(self.options.items()))
        peers = None if self.others is None else (tuple(self.others.g.shape[1:]), tuple(self.others.d0.shape[1:]))
        return (self.scheme, self.others is not None, p.shape[1:], p.dtype, opts, self._init is not None,
                self.key is not None, peers)


def concat_problems(problems) -> PrecodingProblem:
    """Drops of several problems (same S, K, M, N) as one batch, in order."""
    if len(problems) == 1:
        return problems[0]
    return PrecodingProblem(**{f.name: torch.cat([getattr(p, f.name) for p in problems])
                               for f in fields(PrecodingProblem) if f.init})


def _concat(objs, cls):
    if len(objs) == 1:
        return objs[0]
    return cls(**{f.name: torch.cat([getattr(o, f.name) for o in objs]) for f in fields(cls) if f.init})


def _run_group(group: list) -> None:
    head = group[0]
    entry = catalog.get(head.scheme)
    # the same inputs asked twice (a member's fallback and a separate lane on the one local problem): one drop
    slot: dict = {}
    drops = []
    for r in group:
        same = (id(r.problem), id(r.others), id(r._init), r.key)
        if same not in slot:
            slot[same] = len(drops)
            drops.append(r)
    n = len(drops)
    prob = concat_problems([r.problem for r in drops])
    opts = dict(head.options)
    if head.key is not None:
        opts["keys"] = [r.key for r in drops]
    if head._init is not None:
        opts["init"] = _concat([r._init for r in drops], Precoders)
    t0 = time.perf_counter()
    if head.others is not None:
        local_opts = {k: v for k, v in opts.items() if k not in ("keys", "init")}   # e.g. the run's weights
        out = entry.local(prob, _concat([r.others for r in drops], type(head.others)), **local_opts)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{head.scheme}: its on-board entry must return (Precoders, history)")
        prec, hist = out
        check_history(head.scheme, hist, n)           # never charge 0 flops and call it counted
    else:
        prec, hist = entry(prob, **opts)
    wall = (time.perf_counter() - t0) / len(group)
    flops = hist["flops"].double()
    conv = hist["converged"].reshape(n, -1) if "converged" in hist else None     # per drop (per satellite)
    for r in group:
        i = slot[(id(r.problem), id(r.others), id(r._init), r.key)]
        mine = prec if len(group) == 1 else Precoders(p=prec.p[i:i + 1].clone(), b=prec.b[i:i + 1].clone())
        its = 0 if head.others is not None else int(hist["iterations"][i])
        r.run = SchemeRun(mine, float(flops[i]), its, wall, None if conv is None else not bool(conv[i].all()))
        if r.warm is not None and entry.warm_start:
            r.warm.warm = (r.sats, mine)


def run_requests(requests, batch: bool = True) -> None:
    """Run every request (sets ``req.run``): with ``batch`` one call per group of equal
    :meth:`ComputeRequest.signature` (round by round, module docstring), else one call per request in order."""
    if not batch:
        for r in requests:
            r.resolve_init()
            _run_group([r])
        return
    rounds: dict[int, list] = {}
    asked: dict[int, int] = {}
    for r in requests:
        n = 0
        if r.warm is not None:
            n = asked.get(id(r.warm), 0)
            asked[id(r.warm)] = n + 1
        rounds.setdefault(n, []).append(r)
    for n in sorted(rounds):
        groups: dict[tuple, list] = {}
        for r in rounds[n]:
            r.resolve_init()
            groups.setdefault(r.signature(), []).append(r)
        for group in groups.values():
            _run_group(group)
