"""Cooperating sets that can cooperate: the S satellites of a region, chosen where the ISL topology is known.

The geometry (:func:`constellation.ground.visible_candidates`) gives, per region, every satellite
that all its UTs see above the elevation mask, nearest to the centre first. Centralized
cooperation needs more: the members must reach each other over the inter-satellite links that
are up at selection time, fast enough for the sCSI reports and the precoders to make the round
trip. In a multi-shell constellation without links across shells the S nearest satellites are
often in different shells and cannot exchange a single message.

Latency between two satellites is the minimum over paths of the links up at selection time of
the sum of hop latencies ``length / c + processing + bits / rate`` (:mod:`network.links`, the
hop weight :class:`network.bus.Bus` routes with, for a message of ``bits``; default 0 bits:
propagation plus per-hop processing), by Dijkstra on a ``scipy.sparse.csgraph``. Members are
*mutually reachable* when every pair's latency is at most ``max_member_latency_s``
(default 50 ms). Modes (:class:`SelectionRule`):

``"connected"`` (the default)
    the S eligible candidates that are pairwise within the bound, ranked by a score: the sum of
    the members' costs: their straight-line distances (m) to the region centre in
    :func:`choose_cooperating`, their distance ranks when :func:`select_cooperating_sets` is given no
    cost (the caller may pass another per-candidate cost, e.g. minus the large-scale gains). Search: for
    every candidate as anchor, walk the candidates nearest first and add each one compatible with
    all members chosen so far (greedy completion); of the complete sets the one with the smallest
    score wins (ties: the nearest anchor). When the S nearest are mutually reachable this returns
    exactly them (their summed distance is the smallest possible); otherwise it is a heuristic
    (exact minimum-score cliques are NP-hard in general), not guaranteed optimal.
``"nearest"``
    today's rule: the S nearest eligible candidates, reachable or not (the result says whether).
``"shell"``
    as "connected", all members in one shell (``shell``: that one; None: the best-scoring shell).
    Satellites without a shell (-1, e.g. transit) are never eligible here.

Eligibility: every candidate above the mask, except satellites in transit
(``Constellation.transit``) unless ``allow_transit``. If no set of S mutually reachable
satellites exists, the result says so (``status`` "no_connected_set", members -1,
:meth:`CooperatingSets.describe` gives one line for the caller to name the region) -- or, with
``partial=True``, the best partial set: the largest mutually reachable group found (smallest
score among the largest), filled up with the nearest other eligible candidates (status
"partial", not reachable).

Shapes: ``B`` regions, ``C`` candidates, ``S`` members, ``n`` satellites. Vectorised over
regions and candidates; one Dijkstra call per selection over the distinct candidates (bounded by
the latency limit in "connected" / "shell" mode), one more over the chosen members (latency and
hop matrices, unbounded). Nothing random.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from constellation.checks import BadInput, check_int, check_real
from network.links import SPEED_OF_LIGHT_M_S, LinkConfig

SELECTION_MODES = ("connected", "nearest", "shell")
DEFAULT_MAX_MEMBER_LATENCY_S = 0.05
STATUSES = ("ok", "unreachable", "partial", "no_connected_set", "too_few_eligible", "too_few_visible")
_SOURCE_CHUNK = 256


@dataclass(frozen=True)
class SelectionRule:
    """How the S cooperating satellites of a region are chosen (module docstring).

    mode : "connected" | "nearest" | "shell"
    max_member_latency_s : largest min-latency (s) over the links up between two members
    allow_transit : transit satellites may be members
    partial : when no mutually reachable set exists, return the best partial set instead of none
    shell : for mode "shell", the shell to use (None: the best-scoring one)
    bits : message size (bit) whose hop latency weighs the paths (0: propagation + processing)
    max_candidates : search the nearest this many eligible candidates of a region first (None: all);
        regions where they hold no set are searched again over all candidates, so the limit only
        changes a result when a better-scoring set needs a farther candidate (measured: never in 200
        Starlink-shaped regions, where the farthest member of a connected set ranked 31 at most, median
        11). A selection costs one bounded Dijkstra per searched candidate (5.8 -> 1.8 ms per region).
    """

    mode: str = "connected"
    max_member_latency_s: float = DEFAULT_MAX_MEMBER_LATENCY_S
    allow_transit: bool = False
    partial: bool = False
    shell: int | None = None
    bits: float = 0.0
    max_candidates: int | None = 32

    def __post_init__(self):
        if self.mode not in SELECTION_MODES:
            raise BadInput(f"selection = {self.mode!r}: must be one of {', '.join(SELECTION_MODES)}")
        check_real("max_member_latency_s", self.max_member_latency_s, 0.0, None, "s", lo_open=True)
        check_real("bits", self.bits, 0.0, None, "bit")
        for name in ("allow_transit", "partial"):
            if not isinstance(getattr(self, name), bool):
                raise BadInput(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.max_candidates is not None:
            check_int("max_candidates", self.max_candidates, 1)
        if self.shell is not None:
            check_int("shell", self.shell, 0)
            if self.mode != "shell":
                raise BadInput(f"shell = {self.shell!r} applies to selection = 'shell' only, got selection = "
                               f"{self.mode!r}")


@dataclass
class CooperatingSets:
    """The chosen members of B regions and what the ISLs between them are at selection time.

    members : int [B, S], nearest to the centre first; -1 where none (no set, too few)
    shell : int [B, S], the members' shells (-1: none / no member)
    latency_s : float [B, S, S], min latency (s) over the links up; 0 on the diagonal, inf without a
        route, nan where a member is missing
    hops : int [B, S, S], hops of that min-latency path; -1 without a route or member
    reachable : bool [B], S members, pairwise within ``max_member_latency_s``
    routed : bool [B], S members, every pair has a route (any latency)
    status : tuple[str] [B], one of ``STATUSES``: "ok" (reachable), "unreachable" ("nearest" mode,
        members not mutually reachable), "partial", "no_connected_set", "too_few_eligible",
        "too_few_visible"
    n_visible : int [B], candidates above the mask for every UT; n_eligible : int [B], of those eligible
    largest_group : int [B], size of the largest mutually reachable group found among the eligible
        (S when a set exists; -1 in "nearest" mode, which does not search)
    candidates : int [B, C] the visible candidates, eligible : bool [B, C]
    rule : the SelectionRule; S : int
    """

    members: np.ndarray
    shell: np.ndarray
    latency_s: np.ndarray
    hops: np.ndarray
    reachable: np.ndarray
    routed: np.ndarray
    status: tuple
    n_visible: np.ndarray
    n_eligible: np.ndarray
    largest_group: np.ndarray
    candidates: np.ndarray
    eligible: np.ndarray
    candidate_shell: np.ndarray
    candidate_transit: np.ndarray
    rule: SelectionRule
    S: int

    @property
    def max_latency_s(self) -> np.ndarray:
        """float [B]: the largest member-to-member latency (s); inf if a pair has no route, nan without members."""
        lat = np.where(np.eye(self.S, dtype=bool)[None], 0.0, self.latency_s)
        with np.errstate(invalid="ignore"):
            return np.max(lat.reshape(lat.shape[0], -1), axis=1)

    def _shell_counts(self, b: int, which: np.ndarray) -> str:
        ids = self.candidates[b][which]
        if ids.size == 0:
            return "none"
        sh = self.candidate_shell[b][which]
        tr = self.candidate_transit[b][which]
        parts = []
        for s in np.unique(sh[~tr]).tolist():
            parts.append(f"{'no shell' if s < 0 else f'shell {s}'} x{int(np.sum((sh == s) & ~tr))}")
        if tr.any():
            parts.append(f"transit x{int(tr.sum())}")
        return ", ".join(parts)

    def describe(self, b: int = 0) -> str:
        """One line (no region name: the caller prefixes it) saying what was chosen or found."""
        s, st, r = self.S, self.status[b], self.rule
        bound = f"max_member_latency_s = {r.max_member_latency_s:g} s"
        visible = self.candidates[b] >= 0
        if st == "too_few_visible":
            return (f"only {int(self.n_visible[b])} satellites are above the elevation mask for every UT, "
                    f"S = {s} are required")
        if st == "too_few_eligible":
            why = "transit satellites excluded (allow_transit)" if not r.allow_transit else ""
            if r.mode == "shell":
                why = (why + "; " if why else "") + ("satellites outside shell " f"{r.shell}" if r.shell is not None
                                                     else "satellites in no shell excluded")
            return (f"only {int(self.n_eligible[b])} of the {int(self.n_visible[b])} satellites above the mask for "
                    f"every UT are eligible ({why}), S = {s} are required; visible: "
                    f"{self._shell_counts(b, visible)}")
        if st == "no_connected_set":
            return (f"no {s} of the {int(self.n_visible[b])} satellites above the mask for every UT are mutually "
                    f"reachable over the ISLs up within {bound} (visible: {self._shell_counts(b, visible)}; "
                    f"largest mutually reachable group: {int(self.largest_group[b])})")
        m = self.members[b]
        sh = ", ".join("transit" if t else str(x) for x, t in zip(self.shell[b].tolist(), self._member_transit(b)))
        lat = self.max_latency_s[b]
        lat_text = "no route between some members" if not np.isfinite(lat) else f"max ISL latency {lat * 1e3:.1f} ms"
        head = f"members {', '.join(str(int(x)) for x in m)} (shells {sh}), {lat_text}"
        if st == "ok":
            return head
        if st == "partial":
            return (f"{head}: no {s} are mutually reachable within {bound}; partial set, the largest reachable "
                    f"group has {int(self.largest_group[b])}")
        missing = int(np.sum(~np.isfinite(self.latency_s[b][np.triu_indices(s, 1)])))
        return (f"{head}: not mutually reachable within {bound} ({missing} of {s * (s - 1) // 2} member pairs "
                f"without a route over the ISLs up)")

    def _member_transit(self, b: int) -> list:
        pos = {int(i): k for k, i in enumerate(self.candidates[b].tolist()) if i >= 0}
        return [bool(self.candidate_transit[b][pos[int(i)]]) if int(i) in pos else False for i in self.members[b]]

    def region(self, b: int = 0) -> dict:
        """JSON-able record of region ``b``: selection, status, reachable, members, shells, latency (s) and
        hop matrices (None for no route / no member), counts, and the one-line description."""
        def mat(a, cast):
            return [[None if not np.isfinite(x) or (cast is int and x < 0) else cast(x) for x in row] for row in a]
        return {"selection": self.rule.mode, "status": self.status[b], "reachable": bool(self.reachable[b]),
                "members": [int(x) for x in self.members[b]], "shells": [int(x) for x in self.shell[b]],
                "isl_latency_s": mat(self.latency_s[b], float), "isl_hops": mat(self.hops[b].astype(float), int),
                "max_member_latency_s": float(self.rule.max_member_latency_s),
                "n_visible": int(self.n_visible[b]), "n_eligible": int(self.n_eligible[b]),
                "largest_group": int(self.largest_group[b]), "describe": self.describe(b)}


def _weights(snapshot, link_config: LinkConfig, bits: float) -> np.ndarray:
    return np.maximum(snapshot.length_m / SPEED_OF_LIGHT_M_S + link_config.hop_constant_s(bits), 1e-15)


def _csr(snapshot, link_config: LinkConfig, bits: float, up_mask):
    """The graph of the links up (``snapshot.up``, and ``up_mask`` when given) weighted by hop latency;
    cached on the snapshot when no extra mask is given."""
    if up_mask is None:
        key = ("cooperation_csr", link_config.processing_s, link_config.service_rate_bps, float(bits))
        g = snapshot._cache.get(key)
        if g is None:
            g = snapshot.csgraph(_weights(snapshot, link_config, bits))
            snapshot._cache[key] = g
        return g
    mask = np.asarray(up_mask, bool)
    if mask.shape != snapshot.up.shape:
        raise ValueError(f"up_mask must have one entry per link {snapshot.up.shape}, got {mask.shape}")
    return snapshot.csgraph(_weights(snapshot, link_config, bits), snapshot.up & mask)


def _latency_rows(graph, sources: np.ndarray, limit: float, predecessors: bool):
    """Dijkstra from ``sources`` (chunked): (latency [U, n], predecessors [U, n] or None)."""
    dist, pred = [], []
    for lo in range(0, sources.size, _SOURCE_CHUNK):
        idx = sources[lo:lo + _SOURCE_CHUNK]
        out = dijkstra(graph, directed=True, indices=idx, limit=limit, return_predecessors=predecessors)
        if predecessors:
            dist.append(out[0])
            pred.append(out[1])
        else:
            dist.append(out)
    return np.concatenate(dist), (np.concatenate(pred) if predecessors else None)


def member_paths(graph, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min latency (s) and hop count of the min-latency path between the members of each region.

    ``graph``: CSR of the links up weighted by hop latency; ``members`` int [B, S] (-1: none).
    Returns (latency_s [B, S, S]: 0 diagonal, inf without a route, nan for a missing member;
    hops [B, S, S]: -1 without a route or member). Symmetric by construction (i < j from i's tree)."""
    b, s = members.shape
    lat = np.full((b, s, s), np.nan)
    hops = np.full((b, s, s), -1, np.int64)
    present = members >= 0
    if not present.any():
        return lat, hops
    src = np.unique(members[present])
    dist, pred = _latency_rows(graph, src, np.inf, True)
    row = np.searchsorted(src, np.where(present, members, src[0]))            # [B, S]
    ri = np.broadcast_to(row[:, :, None], (b, s, s))
    dst = np.broadcast_to(np.where(present, members, 0)[:, None, :], (b, s, s))
    both = present[:, :, None] & present[:, None, :]
    d = dist[ri, dst]
    lat = np.where(both, d, np.nan)
    # hops by walking the predecessor trees back from each target (vectorised over all pairs)
    cur = dst.copy()
    start = np.broadcast_to(np.where(present, members, -1)[:, :, None], (b, s, s))
    h = np.zeros((b, s, s), np.int64)
    active = both & np.isfinite(d) & (cur != start)
    while active.any():
        cur = np.where(active, pred[ri, cur], cur)
        h += active
        active &= cur != start
    hops = np.where(both & np.isfinite(d), h, -1)
    iu = np.triu_indices(s, 1)
    lat[:, iu[1], iu[0]] = lat[:, iu[0], iu[1]]
    hops[:, iu[1], iu[0]] = hops[:, iu[0], iu[1]]
    return lat, hops


def _compatible(graph, e_ids, e_ok, e_shell, bound: float) -> np.ndarray:
    """bool [B, Ce, Ce]: pairs of eligible candidates within ``bound`` (s) of each other over ``graph``
    (and in one shell when ``e_shell`` is given); True on the diagonal of the eligible ones."""
    b, ce = e_ids.shape
    if e_ok.any():
        src = np.unique(e_ids[e_ok])
        dist, _ = _latency_rows(graph, src, bound * (1 + 1e-12), False)          # only <= bound matters
        ri = np.searchsorted(src, np.where(e_ok, e_ids, src[0]))                    # [B, Ce]
        lat = dist[ri[:, :, None], np.where(e_ok, e_ids, 0)[:, None, :]]            # [B, Ce, Ce]
        lat = np.minimum(lat, np.swapaxes(lat, 1, 2))
    else:
        lat = np.full((b, ce, ce), np.inf)
    compat = (lat <= bound) & e_ok[:, :, None] & e_ok[:, None, :]
    if e_shell is not None:
        compat &= e_shell[:, :, None] == e_shell[:, None, :]
    idx = np.arange(ce)
    compat[:, idx, idx] = e_ok
    return compat


def _greedy_sets(compat, e_ok, e_cost, s: int):
    """Greedy completion from every anchor (module docstring), vectorised over regions and anchors:
    (chosen bool [B, anchor, candidate], count int [B, anchor], score float [B, anchor])."""
    b, ce = e_ok.shape
    idx = np.arange(ce)
    chosen = np.zeros((b, ce, ce), bool)
    chosen[:, idx, idx] = e_ok
    ok = compat.copy()                                            # compatible with every member so far
    count = e_ok.astype(np.int64)
    for j in range(ce):
        add = ok[:, :, j] & ~chosen[:, :, j] & (count < s) & e_ok[:, None, j]
        chosen[:, :, j] |= add
        count += add
        ok &= np.where(add[:, :, None], compat[:, j, :][:, None, :], True)
    score = np.where(chosen, e_cost[:, None, :], 0.0).sum(axis=2)
    return chosen, count, score


def select_cooperating_sets(candidates, snapshot, s: int, *, shell, transit=None, cost=None,
                            rule: SelectionRule | None = None, link_config: LinkConfig | None = None,
                            up_mask=None) -> CooperatingSets:
    """Choose S members per region among ``candidates`` (module docstring).

    candidates : int [B, C], the satellites every UT of region b sees above the mask, nearest first,
        -1 padded (:func:`constellation.ground.visible_candidates`)
    snapshot : :class:`network.topology.TopologySnapshot` at selection time (links up)
    s : S, members per region
    shell : int [n] shell of every satellite (-1: none); transit : optional bool [n]
    cost : optional float [B, C], lower is better (default: the candidate's rank, i.e. nearest first;
        pass the distances (m) to rank by summed distance, or e.g. minus large-scale gains)
    rule : :class:`SelectionRule` (default "connected", 50 ms, no transit, no partial sets)
    link_config : hop latency model (default :class:`network.links.LinkConfig`)
    up_mask : optional bool [E]: links also up in the fault timeline at selection time
    """
    rule = rule or SelectionRule()
    link_config = link_config or LinkConfig()
    s = check_int("S", s, 1)
    cand = np.atleast_2d(np.asarray(candidates, np.int64))
    b, c = cand.shape
    n = snapshot.n
    shell = np.asarray(shell, np.int64)
    if shell.shape != (n,):
        raise ValueError(f"shell must have shape ({n},), got {shell.shape}")
    transit = np.zeros(n, bool) if transit is None else np.asarray(transit, bool)
    if transit.shape != (n,):
        raise ValueError(f"transit must have shape ({n},), got {transit.shape}")
    if cand.size and cand.max() >= n:
        raise ValueError(f"candidates must be satellite indices in [0, {n}) or -1")
    if rule.max_candidates is not None and rule.max_candidates < s:
        raise BadInput(f"max_candidates = {rule.max_candidates}: must be >= S = {s}")
    if cost is None:
        cost = np.broadcast_to(np.arange(c, dtype=float), (b, c))
    cost = np.asarray(cost, float)
    if cost.shape != (b, c):
        raise ValueError(f"cost must have the shape of candidates {(b, c)}, got {cost.shape}")

    visible = cand >= 0
    safe = np.where(visible, cand, 0)
    c_shell = np.where(visible, shell[safe], -1)
    c_transit = visible & transit[safe]
    eligible = visible & (rule.allow_transit | ~c_transit)
    if rule.mode == "shell":
        eligible &= c_shell >= 0
        if rule.shell is not None:
            eligible &= c_shell == rule.shell
    graph = _csr(snapshot, link_config, rule.bits, up_mask)
    limit = None if rule.mode == "nearest" else rule.max_candidates
    members, largest, status = _choose(cand, cost, eligible, c_shell, graph, rule, s, limit)
    if limit is not None:                 # regions without a set among the nearest `limit`: search them all
        retry = np.flatnonzero(np.isin(status, ("no_connected_set", "partial")) & (eligible.sum(axis=1) > limit))
        if retry.size:
            m2, l2, s2 = _choose(cand[retry], cost[retry], eligible[retry], c_shell[retry], graph, rule, s, None)
            members[retry], largest[retry] = m2, l2
            status[retry] = s2

    bound = float(rule.max_member_latency_s)
    m_lat, m_hops = member_paths(graph, members)
    have = (members >= 0).all(axis=1)
    off = ~np.eye(s, dtype=bool)[None]
    with np.errstate(invalid="ignore"):
        routed = have & np.all(np.isfinite(m_lat) | ~off, axis=(1, 2))
        reachable = routed & np.all((m_lat <= bound) | ~off, axis=(1, 2))
    status = tuple(("ok" if reachable[r] else "unreachable") if st == "?" else str(st) for r, st in enumerate(status))
    m_shell = np.where(members >= 0, shell[np.where(members >= 0, members, 0)], -1)
    return CooperatingSets(members=members, shell=m_shell, latency_s=m_lat, hops=m_hops, reachable=reachable,
                           routed=routed, status=status, n_visible=visible.sum(axis=1),
                           n_eligible=eligible.sum(axis=1), largest_group=largest, candidates=cand, eligible=eligible,
                           candidate_shell=c_shell, candidate_transit=c_transit, rule=rule, S=s)


def _choose(cand, cost, eligible, c_shell, graph, rule: SelectionRule, s: int, limit):
    """The search of :func:`select_cooperating_sets` over the nearest ``limit`` eligible candidates of each
    row (None: all): (members int [B, S], largest_group int [B], status object array [B], "?" for
    "nearest" rows whose reachability is decided by the caller)."""
    b = cand.shape[0]
    n_visible, n_eligible = (cand >= 0).sum(axis=1), eligible.sum(axis=1)
    searched = eligible if limit is None else eligible & (np.cumsum(eligible, axis=1) <= limit)
    # compact the searched candidates of each row, keeping their order: [B, Ce]
    ce = max(int(searched.sum(axis=1).max()) if b else 0, 1)
    order = np.argsort(~searched, axis=1, kind="stable")[:, :ce]
    rows = np.arange(b)[:, None]
    e_ok = searched[rows, order]
    e_ids = np.where(e_ok, cand[rows, order], -1)
    e_cost = np.where(e_ok, cost[rows, order], np.inf)
    e_shell = np.where(e_ok, c_shell[rows, order], -1)
    if rule.mode == "nearest":                                   # no search: the first S eligible
        chosen, count, score = None, np.zeros((b, ce), np.int64), None
        largest = np.full(b, -1, np.int64)
    else:
        compat = _compatible(graph, e_ids, e_ok, e_shell if rule.mode == "shell" else None,
                             float(rule.max_member_latency_s))
        chosen, count, score = _greedy_sets(compat, e_ok, e_cost, s)
        largest = count.max(axis=1)
    complete = count == s
    members = np.full((b, s), -1, np.int64)
    status = np.empty(b, object)
    for r in range(b):                                            # B is the number of regions (a handful)
        if n_visible[r] < s:
            status[r] = "too_few_visible"
            continue
        if n_eligible[r] < s:
            status[r] = "too_few_eligible"
            continue
        if rule.mode == "nearest":
            cols, status[r] = np.arange(s), "?"
        elif complete[r].any():
            a = int(np.argmin(np.where(complete[r], score[r], np.inf)))
            cols, status[r] = np.flatnonzero(chosen[r, a]), "ok"
        elif rule.partial:
            best = count[r] == count[r].max()
            a = int(np.argmin(np.where(best & e_ok[r], score[r], np.inf)))
            group = np.flatnonzero(chosen[r, a])
            rest = np.setdiff1d(np.flatnonzero(e_ok[r]), group)[: s - group.size]
            cols, status[r] = np.sort(np.concatenate([group, rest])), "partial"
        else:
            status[r] = "no_connected_set"
            continue
        members[r] = e_ids[r, cols]
    return members, largest, status


def choose_cooperating(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, s: int, snapshot, *, shell,
                       transit=None, min_elevation_deg: float = 10.0, ut_lat_deg=None, ut_lon_deg=None,
                       rule: SelectionRule | None = None, link_config: LinkConfig | None = None,
                       up_mask=None, score: str = "distance") -> CooperatingSets:
    """Visible candidates (:func:`constellation.ground.visible_candidates`, shapes as there) and the
    selection among them (:func:`select_cooperating_sets`) in one call. ``score``: "distance"
    (default: summed straight-line distance to the centre, m) or "rank" (summed distance ranks)."""
    from constellation.ground import visible_candidates
    if score not in ("distance", "rank"):
        raise BadInput(f"score = {score!r}: must be 'distance' or 'rank'")
    ids, dist, _ = visible_candidates(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, min_elevation_deg,
                                      ut_lat_deg, ut_lon_deg)
    cost = dist if score == "distance" else None
    return select_cooperating_sets(ids, snapshot, s, shell=shell, transit=transit, cost=cost, rule=rule,
                                   link_config=link_config, up_mask=up_mask)


__all__ = ["SELECTION_MODES", "DEFAULT_MAX_MEMBER_LATENCY_S", "STATUSES", "SelectionRule", "CooperatingSets",
           "select_cooperating_sets", "choose_cooperating", "member_paths"]
