"""Seeded, composable ISL outage models whose output is data: a :class:`FaultTimeline`.

A timeline is a table of down intervals ``[t_start_s, t_end_s)`` (half-open,
seconds since the constellation epoch), each on a *link* (satellite pair u < v)
or a whole *satellite* (v = -1: every link touching it is down), with a
``cause``. It is generated once for a run horizon from a seeded
``numpy.random.Generator`` (or SeedSequence / int seed), saved with the run (parquet) and replayed by
loading it back; queries are vectorised over edges:

    timeline = build_timeline([IIDLinkOutage(p=0.01, dt_s=0.1),
                               GilbertElliott(mean_up_s=60, mean_down_s=2, dt_s=0.1),
                               SatelliteOutage(sat=17, t_start_s=30, t_end_s=90)],
                              links=topology.edges, t0_s=0, t1_s=600, rng=np.random.default_rng(7))
    down = timeline.is_down(t_s, topology.edges)        # bool [E]

Models (discrete time with step ``dt_s`` for the random ones, the tick of the
simulation; step k covers ``[t0 + k dt, t0 + (k+1) dt)``):

``IIDLinkOutage(p, dt_s)``           every link is down in every step independently
                                     with probability p.
``GilbertElliott(mean_up_s, mean_down_s, dt_s)``  a two-state Markov chain per
                                     link: per step P(up->down) = dt/mean_up,
                                     P(down->up) = dt/mean_down, so sojourns are
                                     geometric with means mean_up_s and
                                     mean_down_s; the chain starts in its
                                     stationary law, P(down) = mean_down/(mean_up+mean_down).
``ScheduledFailure(entries)``        named links (a, b) or satellites a (indices or
                                     names) down over given windows.
``SatelliteOutage(sat, t_start_s, t_end_s)``  targeted failure of all links of one satellite.

Randomness is keyed by identity (:mod:`constellation.keyed`): a model turns its
seed into one uint64 key and every draw of link (u, v) (u < v, satellite ids) is
a counter-based hash of (key, what is drawn, u, v, j) with j the index of the
draw on that link (the j-th gap between down steps, the j-th up or down
sojourn). So a link's outages depend only on (seed, u, v) and the step grid
(anchored at t0_s with step dt_s): they do not depend on the horizon (a longer
timeline agrees with a shorter one on their common part) nor on which other
links are in ``links`` or in what order. :func:`build_timeline` gives each model
its own child seed (``rng.spawn``), so adding a model does not change the
others' draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from constellation import keyed

_COLUMNS = ("t_start_s", "t_end_s", "u", "v", "cause")


def _link_keys(edges: np.ndarray) -> np.ndarray:
    e = np.asarray(edges, np.int64).reshape(-1, 2)
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    return (lo << 32) | hi


class _IntervalIndex:
    """Exact vectorised 'is key k down at t / during (t0, t1)' over possibly overlapping intervals.

    Intervals are sorted by (key, start); ``cummax_end`` is the running maximum of
    the end time within each key, so the last interval starting before t decides.
    (key, start) pairs are made one exact int64 by ranking the start times.
    """

    def __init__(self, keys: np.ndarray, start: np.ndarray, end: np.ndarray):
        order = np.lexsort((start, keys))
        keys, start, end = keys[order], start[order], end[order]
        self.ukeys, gid = np.unique(keys, return_inverse=True)
        self.ustart = np.unique(start)
        rank = np.searchsorted(self.ustart, start, side="left")
        self.base = np.int64(len(self.ustart) + 1)
        self.combined = gid.astype(np.int64) * self.base + rank
        self.gid = gid
        self.cummax_end = (pd.Series(end).groupby(gid).cummax().to_numpy()
                           if len(end) else np.zeros(0))

    def _last_before(self, qkeys: np.ndarray, count_starts: np.ndarray):
        g = np.searchsorted(self.ukeys, qkeys)
        g_ok = g < len(self.ukeys)
        g_ok[g_ok] = self.ukeys[g[g_ok]] == qkeys[g_ok]
        q = g.astype(np.int64) * self.base + count_starts
        idx = np.searchsorted(self.combined, q, side="left") - 1
        ok = g_ok & (idx >= 0)
        ok[ok] = self.gid[idx[ok]] == g[ok]
        return idx, ok

    def down_at(self, qkeys: np.ndarray, t: float) -> np.ndarray:
        out = np.zeros(qkeys.shape, bool)
        if not len(self.ukeys) or not qkeys.size:
            return out
        count = np.full(qkeys.shape, np.searchsorted(self.ustart, t, side="right"), np.int64)
        idx, ok = self._last_before(qkeys, count)
        out[ok] = self.cummax_end[idx[ok]] > t
        return out

    def down_during(self, qkeys: np.ndarray, t0, t1) -> np.ndarray:
        """Any interval overlapping the open window (t0, t1) (t0, t1 scalars or arrays like qkeys)."""
        out = np.zeros(qkeys.shape, bool)
        if not len(self.ukeys) or not qkeys.size:
            return out
        t0 = np.broadcast_to(np.asarray(t0, float), qkeys.shape)
        t1 = np.broadcast_to(np.asarray(t1, float), qkeys.shape)
        count = np.searchsorted(self.ustart, t1, side="left").astype(np.int64)
        idx, ok = self._last_before(qkeys, count)
        out[ok] = self.cummax_end[idx[ok]] > t0[ok]
        return out


class FaultTimeline:
    """Down intervals of links and satellites (see module docstring).

    Columns: ``t_start_s``, ``t_end_s`` (s, half-open), ``u``, ``v`` (link u < v,
    or satellite u with v = -1), ``cause`` (str).
    """

    def __init__(self, t_start_s=(), t_end_s=(), u=(), v=(), cause=()):
        self.t_start_s = np.asarray(t_start_s, float).ravel()
        self.t_end_s = np.asarray(t_end_s, float).ravel()
        u = np.asarray(u, np.int64).ravel()
        v = np.asarray(v, np.int64).ravel()
        n = len(self.t_start_s)
        cause = np.broadcast_to(np.asarray(cause, dtype=object), (n,)) if n else np.zeros(0, object)
        for name, a in (("t_end_s", self.t_end_s), ("u", u), ("v", v), ("cause", cause)):
            if len(a) != n:
                raise ValueError(f"FaultTimeline.{name} has {len(a)} rows, expected {n}")
        if np.any(~np.isfinite(self.t_start_s)) or np.any(np.isnan(self.t_end_s)):
            raise ValueError("FaultTimeline.t_start_s must be finite and t_end_s not NaN")
        if np.any(self.t_end_s < self.t_start_s):
            raise ValueError("FaultTimeline: every interval needs t_end_s >= t_start_s")
        if np.any(u < 0):
            raise ValueError("FaultTimeline.u: satellite ids must be >= 0")
        link = v >= 0
        if np.any(u[link] == v[link]):
            raise ValueError("FaultTimeline: a link needs two different satellites (u != v)")
        lo, hi = np.where(link, np.minimum(u, v), u), np.where(link, np.maximum(u, v), -1)
        self.u, self.v = lo, hi
        self.cause = np.array(cause, dtype=object)
        # zero-length intervals are kept as data but take nothing down
        live = self.t_end_s > self.t_start_s
        link, sat = link & live, ~link & live
        self._links = _IntervalIndex(_link_keys(np.stack([lo[link], hi[link]], 1)),
                                     self.t_start_s[link], self.t_end_s[link])
        self._sats = _IntervalIndex(lo[sat], self.t_start_s[sat], self.t_end_s[sat])

    def __len__(self) -> int:
        return len(self.t_start_s)

    def __repr__(self) -> str:
        return f"FaultTimeline({len(self)} intervals, causes={sorted(set(self.cause.tolist()))})"

    # ------------------------------------------------------------------ queries
    def is_down(self, t_s: float, edges) -> np.ndarray:
        """bool [E]: link (u, v) of ``edges`` [E, 2] is down at ``t_s`` (its own fault or an end's)."""
        e = np.asarray(edges, np.int64).reshape(-1, 2)
        t = float(t_s)
        return (self._links.down_at(_link_keys(e), t)
                | self._sats.down_at(e[:, 0].copy(), t) | self._sats.down_at(e[:, 1].copy(), t))

    def down_during(self, t0_s, t1_s, edges) -> np.ndarray:
        """bool [E]: link is down at some instant of the open window (t0_s, t1_s) (scalars or [E])."""
        e = np.asarray(edges, np.int64).reshape(-1, 2)
        return (self._links.down_during(_link_keys(e), t0_s, t1_s)
                | self._sats.down_during(e[:, 0].copy(), t0_s, t1_s)
                | self._sats.down_during(e[:, 1].copy(), t0_s, t1_s))

    def sat_down(self, t_s: float, sats) -> np.ndarray:
        """bool [n]: satellite is failed (all its links down) at ``t_s``."""
        return self._sats.down_at(np.asarray(sats, np.int64).ravel(), float(t_s))

    # ------------------------------------------------------------------ data
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"t_start_s": self.t_start_s, "t_end_s": self.t_end_s,
                             "target": np.where(self.v >= 0, "link", "sat"),
                             "u": self.u, "v": self.v, "cause": self.cause.astype(str)})

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> "FaultTimeline":
        missing = [c for c in _COLUMNS if c not in df.columns]
        if missing:
            raise ValueError(f"fault timeline frame lacks columns {missing}; needs {list(_COLUMNS)}")
        return cls(df["t_start_s"].to_numpy(float), df["t_end_s"].to_numpy(float),
                   df["u"].to_numpy(np.int64), df["v"].to_numpy(np.int64), df["cause"].astype(str).to_numpy(object))

    def to_parquet(self, path) -> None:
        self.frame().to_parquet(path, index=False)

    @classmethod
    def read_parquet(cls, path) -> "FaultTimeline":
        return cls.from_frame(pd.read_parquet(path))

    @classmethod
    def concat(cls, timelines) -> "FaultTimeline":
        tl = list(timelines)
        if not tl:
            return cls()
        return cls(np.concatenate([x.t_start_s for x in tl]), np.concatenate([x.t_end_s for x in tl]),
                   np.concatenate([x.u for x in tl]), np.concatenate([x.v for x in tl]),
                   np.concatenate([x.cause for x in tl]) if len(tl) else ())

    def __or__(self, other: "FaultTimeline") -> "FaultTimeline":
        return FaultTimeline.concat([self, other])

    def equals(self, other: "FaultTimeline") -> bool:
        return self.frame().equals(other.frame())


# ---------------------------------------------------------------------- models
def _check_horizon(t0_s, t1_s):
    if not (math.isfinite(t0_s) and math.isfinite(t1_s) and t1_s > t0_s):
        raise ValueError(f"horizon t0_s={t0_s!r}, t1_s={t1_s!r}: need finite t0_s < t1_s (s)")


def _check_dt(owner, dt_s):
    if not (isinstance(dt_s, (int, float)) and math.isfinite(dt_s) and dt_s > 0):
        raise ValueError(f"{owner}.dt_s = {dt_s!r}: must be a step length > 0 (s)")


def _check_rng(owner, rng):
    ok = isinstance(rng, (np.random.Generator, np.random.SeedSequence)) or (
        isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0)
    if not ok:
        raise ValueError(f"{owner}: rng is a {type(rng).__name__}: pass a seeded numpy.random.Generator "
                         "(or a numpy.random.SeedSequence or an int seed >= 0)")


# What is drawn (keyed streams private to this module; the key is a fault model's own seed).
_S_IID_GAP, _S_GE_START, _S_GE_UP, _S_GE_DOWN = 1001, 1002, 1003, 1004
# Cells (links x draws) per vectorised block: bounds memory, does not change any draw.
_BLOCK_CELLS = 1 << 21


def _link_ids(links):
    """[E, 2] links -> (lo, hi) int64 [E, 1] satellite ids with lo < hi: the link's identity."""
    links = np.asarray(links, np.int64).reshape(-1, 2)
    return np.minimum(links[:, 0], links[:, 1])[:, None], np.maximum(links[:, 0], links[:, 1])[:, None]


def _keyed_geometric(key, stream, lo, hi, j, p) -> np.ndarray:
    """Geometric(p) on {1, 2, ...} of draw j of link (lo, hi): ceil(log U / log(1 - p)), U keyed uniform
    (inverse CDF: P(G > k) = (1 - p)^k exactly), shape broadcast(lo, hi, j)."""
    u = keyed.uniform(key, stream, lo, hi, j)
    if p >= 1.0:
        return np.ones(u.shape, np.int64)
    x = np.minimum(np.log(u) / math.log1p(-p), 2.0**62)
    return np.maximum(np.ceil(x), 1.0).astype(np.int64)


def _keyed_renewals(draw, n_links, n, mean_per_draw):
    """Run the per-link renewal ``pos_j = sum_{i <= j} draw(rows, j)`` until every link passes step n.

    ``draw(rows, j)`` -> (increments [r, b], payload [r, b]) for link rows ``rows`` [r] and draw indices
    ``j`` [b]; it must be a function of (row's link identity, j) only, so the block size (chosen here
    for speed) changes no value. Returns (row, j, pos_before, payload) of every draw with
    pos_before < n (pos_before = position before draw j is added)."""
    rows = np.arange(n_links)
    pos = np.zeros(n_links, np.int64)
    j0 = 0
    out = []
    while len(rows):
        mu = max(n - pos.min(), 0) / mean_per_draw
        b = int(min(max(mu + 6.0 * math.sqrt(mu + 1.0) + 8, 8), max(8, _BLOCK_CELLS // len(rows))))
        j = np.arange(j0, j0 + b, dtype=np.int64)
        inc, payload = draw(rows, j)
        ends = pos[:, None] + np.cumsum(inc, axis=1)
        before = ends - inc
        r, c = np.nonzero(before < n)
        out.append((rows[r], j[c], before[r, c], payload[r, c]))
        pos = ends[:, -1]
        keep = pos < n
        rows, pos = rows[keep], pos[keep]
        j0 += b
    if not out:
        z = np.zeros(0, np.int64)
        return z, z, z, z
    return tuple(np.concatenate([o[i] for o in out]) for i in range(4))


def _n_steps(t0_s, t1_s, dt_s) -> int:
    return max(1, int(math.ceil((t1_s - t0_s) / dt_s - 1e-9)))


def _runs_to_timeline(link_idx, first_step, last_step, links, t0_s, t1_s, dt_s, cause) -> FaultTimeline:
    """Down runs (steps first..last inclusive) of link rows -> timeline (sorted by link row, start)."""
    e = np.asarray(links, np.int64).reshape(-1, 2)
    start = t0_s + first_step * dt_s
    end = np.minimum(t0_s + (last_step + 1) * dt_s, t1_s)
    return FaultTimeline(start, end, e[link_idx, 0], e[link_idx, 1], cause)


def _steps_to_runs(link_idx, step):
    """Sorted (link, step) down steps -> runs of consecutive steps: (link, first, last)."""
    if not len(step):
        z = np.zeros(0, np.int64)
        return z, z, z
    new = np.ones(len(step), bool)
    new[1:] = (link_idx[1:] != link_idx[:-1]) | (step[1:] != step[:-1] + 1)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(step)) - 1
    return link_idx[starts], step[starts], step[ends]


@dataclass(frozen=True)
class IIDLinkOutage:
    """Each link down in each step of ``dt_s`` independently with probability ``p``."""

    p: float
    dt_s: float
    cause: str = "iid"

    def __post_init__(self):
        if not (isinstance(self.p, (int, float)) and 0.0 <= self.p <= 1.0):
            raise ValueError(f"IIDLinkOutage.p = {self.p!r}: must be a probability in [0, 1]")
        _check_dt("IIDLinkOutage", self.dt_s)

    @property
    def stationary_down(self) -> float:
        return float(self.p)

    def timeline(self, links, t0_s: float, t1_s: float, rng: np.random.Generator, names=None) -> FaultTimeline:
        _check_horizon(t0_s, t1_s)
        _check_rng("IIDLinkOutage", rng)
        links = np.asarray(links, np.int64).reshape(-1, 2)
        n_links, n = len(links), _n_steps(t0_s, t1_s, self.dt_s)
        if self.p == 0.0 or n_links == 0:
            return FaultTimeline()
        # Down steps form a Bernoulli(p) process per link: the gaps between them are geometric(p).
        # Gap j of link (u, v) is keyed by (seed, u, v, j): the k-th down step of a link is the same
        # whatever the horizon and whichever other links are drawn.
        key = keyed.seed_key(rng)
        lo, hi = _link_ids(links)

        def draw(rows, j):
            g = _keyed_geometric(key, _S_IID_GAP, lo[rows], hi[rows], j[None, :], self.p)
            return g, g

        row, _, before, gap = _keyed_renewals(draw, n_links, n, 1.0 / self.p)
        step = before + gap - 1                    # the down step ending gap j (first step is 0)
        keep = step < n
        row, step = row[keep], step[keep]
        order = np.lexsort((step, row))
        link_idx, first, last = _steps_to_runs(row[order], step[order])
        return _runs_to_timeline(link_idx, first, last, links, t0_s, t1_s, self.dt_s, self.cause)


@dataclass(frozen=True)
class GilbertElliott:
    """Two-state (up/down) Markov chain per link, step ``dt_s``, mean sojourns ``mean_up_s``, ``mean_down_s``."""

    mean_up_s: float
    mean_down_s: float
    dt_s: float
    cause: str = "gilbert_elliott"

    def __post_init__(self):
        _check_dt("GilbertElliott", self.dt_s)
        for name in ("mean_up_s", "mean_down_s"):
            val = getattr(self, name)
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val >= self.dt_s):
                raise ValueError(f"GilbertElliott.{name} = {val!r}: must be a duration >= dt_s = {self.dt_s} s")

    @property
    def p_fail(self) -> float:
        """P(up -> down) per step."""
        return self.dt_s / self.mean_up_s

    @property
    def p_repair(self) -> float:
        """P(down -> up) per step."""
        return self.dt_s / self.mean_down_s

    @property
    def stationary_down(self) -> float:
        """Stationary probability of being down: mean_down / (mean_up + mean_down)."""
        return self.mean_down_s / (self.mean_up_s + self.mean_down_s)

    def timeline(self, links, t0_s: float, t1_s: float, rng: np.random.Generator, names=None) -> FaultTimeline:
        _check_horizon(t0_s, t1_s)
        _check_rng("GilbertElliott", rng)
        links = np.asarray(links, np.int64).reshape(-1, 2)
        n_links, n = len(links), _n_steps(t0_s, t1_s, self.dt_s)
        if n_links == 0:
            return FaultTimeline()
        # Per link the sojourns alternate U'_0 D_0 U'_1 D_1 ... (steps); U_j ~ geometric(p_fail) and
        # D_j ~ geometric(p_repair) are keyed by (seed, u, v, j), the start state by (seed, u, v).
        # A link that starts down (stationary law) gets a zero-length U'_0 and U'_j = U_{j-1}, so
        # D_0 is its residual down time (geometric again: memoryless).
        key = keyed.seed_key(rng)
        lo, hi = _link_ids(links)
        start_down = (keyed.uniform(key, _S_GE_START, lo, hi)[:, 0] < self.stationary_down).astype(np.int64)

        def draw(rows, j):
            ju = j[None, :] - start_down[rows][:, None]
            up = np.where(ju >= 0, _keyed_geometric(key, _S_GE_UP, lo[rows], hi[rows], np.maximum(ju, 0),
                                                    self.p_fail), 0)
            down = _keyed_geometric(key, _S_GE_DOWN, lo[rows], hi[rows], j[None, :], self.p_repair)
            return up + down, up

        cycle = self.mean_up_s / self.dt_s + self.mean_down_s / self.dt_s
        li, j, before, up = _keyed_renewals(draw, n_links, n, cycle)
        first = before + up                       # first down step of down sojourn j
        keep = first < n
        li, j, first = li[keep], j[keep], first[keep]
        down = _keyed_geometric(key, _S_GE_DOWN, lo[li, 0], hi[li, 0], j, self.p_repair)
        last = np.minimum(first + down - 1, n - 1)
        order = np.lexsort((first, li))
        li, first, last = li[order], first[order], last[order]
        return _runs_to_timeline(li, first, last, links, t0_s, t1_s, self.dt_s, self.cause)


def _resolve(target, names):
    if isinstance(target, (str, np.str_)):
        if names is None:
            raise ValueError(f"target {target!r} is a name but no names were given")
        try:
            return list(names).index(str(target))
        except ValueError:
            raise ValueError(f"target {target!r}: no satellite of that name") from None
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0:
        raise ValueError(f"target {target!r}: must be a satellite index >= 0 or a name")
    return int(target)


@dataclass(frozen=True)
class ScheduledFailure:
    """Deterministic failures: ``entries`` is a sequence of ``(t_start_s, t_end_s, target)`` where
    target is a satellite (index or name) or a link ``(a, b)`` of satellites (indices or names)."""

    entries: tuple
    cause: str = "scheduled"

    def timeline(self, links=None, t0_s=None, t1_s=None, rng=None, names=None) -> FaultTimeline:
        rows = []
        for i, entry in enumerate(self.entries):
            if len(entry) != 3:
                raise ValueError(f"ScheduledFailure.entries[{i}] = {entry!r}: expected (t_start_s, t_end_s, target)")
            t_a, t_b, target = entry
            try:
                t_a, t_b = float(t_a), float(t_b)
            except (TypeError, ValueError):
                t_a = t_b = math.nan
            if not (math.isfinite(t_a) and t_b >= t_a):
                raise ValueError(f"ScheduledFailure.entries[{i}] = {entry!r}: need times (s) with finite "
                                 "t_start_s <= t_end_s")
            if isinstance(target, (tuple, list)):
                if len(target) != 2:
                    raise ValueError(f"ScheduledFailure.entries[{i}] link {target!r}: expected (a, b)")
                a, b = _resolve(target[0], names), _resolve(target[1], names)
                rows.append((t_a, t_b, min(a, b), max(a, b)))
            else:
                rows.append((t_a, t_b, _resolve(target, names), -1))
        if not rows:
            return FaultTimeline()
        a = np.array(rows, dtype=float)
        return FaultTimeline(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3].astype(np.int64), self.cause)


@dataclass(frozen=True)
class SatelliteOutage:
    """Targeted failure of every link of satellite ``sat`` (index or name) over [t_start_s, t_end_s)."""

    sat: object
    t_start_s: float
    t_end_s: float
    cause: str = "targeted"

    def timeline(self, links=None, t0_s=None, t1_s=None, rng=None, names=None) -> FaultTimeline:
        return ScheduledFailure(((self.t_start_s, self.t_end_s, self.sat),), self.cause).timeline(names=names)


def build_timeline(models, links, t0_s: float, t1_s: float, rng: np.random.Generator, names=None) -> FaultTimeline:
    """Compose fault models into one timeline. Each model gets its own child of ``rng`` (``spawn``; an int
    seed is read as ``SeedSequence(seed)``), so adding a model changes no other model's draws."""
    _check_rng("build_timeline", rng)
    if not isinstance(rng, (np.random.Generator, np.random.SeedSequence)):
        rng = np.random.SeedSequence(int(rng))
    models = list(models)
    children = rng.spawn(len(models)) if models else []
    return FaultTimeline.concat([m.timeline(links, t0_s, t1_s, child, names=names)
                                 for m, child in zip(models, children)])
