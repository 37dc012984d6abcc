"""The rules of the ISL exchange: who sends which message to whom, the election of the central, failover.

Used by the live agents (:mod:`agents.live.lanes` put the returned :class:`Send` s on the bus at
their own simulated times), the episode driver (election, failover) and ``satcoop overhead``
(:mod:`agents.experiments.overhead` sends one update's messages over a bus and counts them).

The exchanges per architecture (the scheme catalog :mod:`agents.schemes` says which scheme has which),
following the multi-satellite WMMSE / TFC paper (Section V and Table III: the overhead per update):

* centralized (Cen-Opt-WM, Cen-Opt-ER, Cen-TFC-WM): one cooperating satellite is the central one
  (:func:`elect_central`). Phase 1, every other member sends its :class:`~network.messages.SCSIReport`
  (its SSI + beta, kappa, Sigma per UT) to the central satellite (:func:`report_sends`); phase 2, the
  central satellite sends each member its :class:`~network.messages.PrecoderBundle` (p_{s,k} for the K
  UTs; :func:`bundle_sends`). The central's own report and precoders never cross an ISL: 2 (S - 1)
  messages.
* decentralized (Dec-TFC-WM): every member sends its :class:`~network.messages.SSI` to every other
  member (:func:`ssi_sends`), S (S - 1) messages; each then computes its own precoders from its local
  sCSI and the peers' SSI.
* separate (Sep-MRT, Sep-MMSE, Sep-Opt-WM): as decentralized, the SSI broadcast every agent makes
  anyway (the precoders themselves use only local CSI).

Election: the member with the minimum total ISL latency to the others over the links up
(:func:`latency_matrix`, the one latency function); failover (:func:`failover`): a central that can
reach no member for ``timeout_s`` is replaced. Message payloads are the real arrays (see
:mod:`network.messages` for the exact size of each message in bits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from network.messages import SSI, Message, PrecoderBundle, SCSIReport

__all__ = ["CENTRALIZED", "DECENTRALIZED", "SEPARATE", "Send", "ssi_of", "ssi_sends", "report_sends",
           "bundle_sends", "update_sends", "elect_central", "latency_matrix", "failover"]

CENTRALIZED, DECENTRALIZED, SEPARATE = "centralized", "decentralized", "separate"


@dataclass(frozen=True)
class Send:
    """One message to put on the ISL bus: ``bus.send(message, src, dst, t)``."""

    src: int
    dst: int
    message: Message


def ssi_of(r_itrs_m, axes, power_w: float, bits_per_real: int = 32, cls: type = SSI, **header) -> SSI:
    """The SSI of a satellite at position ``r_itrs_m`` [3] (m) with body axes ``axes`` [3, 3]
    (rows x, y, z in ITRS) and power budget ``power_w`` (W); the attitude is sent as a quaternion
    (:func:`constellation.ephemeris.quaternion_from_axes`, w >= 0). ``cls`` / ``header``: a subclass
    of SSI and its extra (uncounted) header fields, e.g. the live simulation's
    :class:`agents.live.messages.LiveSSI` with ``sat`` and ``t_meas_s``."""
    from constellation.ephemeris import quaternion_from_axes

    return cls(np.asarray(r_itrs_m, float), quaternion_from_axes(axes), float(power_w), bits_per_real=bits_per_real,
               **header)


def _ids(name: str, values) -> list[int]:
    out = [int(v) for v in values]
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: satellite ids must be distinct, got {out}")
    return out


def ssi_sends(ssis: Mapping[int, SSI], members: Iterable[int] | None = None) -> list[Send]:
    """Every member's SSI to every other member (sender order, then receiver order of ``members``,
    default the keys of ``ssis``): S (S - 1) sends. A member without an SSI in ``ssis`` sends nothing."""
    ids = _ids("members", ssis.keys() if members is None else members)
    return [Send(s, t, ssis[s]) for s in ids if s in ssis for t in ids if t != s]


def report_sends(central: int, reports: Mapping[int, SCSIReport]) -> list[Send]:
    """Phase 1 of a centralized update: each member's sCSI report to ``central`` (the central
    satellite's own report, if present, stays on board)."""
    return [Send(int(s), int(central), r) for s, r in reports.items() if int(s) != int(central)]


def bundle_sends(central: int, bundles: Mapping[int, PrecoderBundle]) -> list[Send]:
    """Phase 2 of a centralized update: ``central`` sends each member its precoder bundle (its own
    stays on board)."""
    return [Send(int(central), int(s), b) for s, b in bundles.items() if int(s) != int(central)]


def update_sends(architecture: str, members, central: int | None = None, *, ssis=None, reports=None,
                 bundles=None) -> list[list[Send]]:
    """The phases of one update of a scheme of ``architecture`` among ``members``, each a list of sends; a
    phase starts once the previous one has arrived. Centralized: ``[report_sends, bundle_sends]`` (needs
    ``central``, ``reports`` and ``bundles`` keyed by satellite id); decentralized / separate: ``[ssi_sends]``."""
    ids = _ids("members", members)
    if architecture not in (CENTRALIZED, DECENTRALIZED, SEPARATE):
        raise ValueError(f"architecture = {architecture!r}: one of {(CENTRALIZED, DECENTRALIZED, SEPARATE)}")
    if architecture == CENTRALIZED:
        if central is None or int(central) not in ids:
            raise ValueError(f"centralized update: central = {central!r} must be one of the members {ids}")
        if reports is None or bundles is None:
            raise ValueError("a centralized update needs reports and bundles")
        return [report_sends(central, {s: reports[s] for s in ids if s in reports}),
                bundle_sends(central, {s: bundles[s] for s in ids if s in bundles})]
    if ssis is None:
        raise ValueError(f"a {architecture} update needs the members' SSI")
    return [ssi_sends(ssis, ids)]


# ------------------------------------------------------------------------------------------- election
def latency_matrix(topology, members, link_config=None, bits: float = 0.0, mask=None) -> np.ndarray:
    """Minimum ISL latency (s) ``[len(members), n]`` from each member to every satellite over the links
    that are up: ``topology`` a :class:`network.topology.TopologySnapshot` (hop latency of a message of
    ``bits`` under ``link_config``; ``mask`` bool [E] the links to use, default those up geometrically,
    e.g. :meth:`network.bus.Bus.up_mask` with the faults) or a networkx Graph whose every edge has a
    ``latency_s`` attribute (edges with ``up=False`` ignored). inf where unreachable."""
    from scipy.sparse.csgraph import dijkstra

    ids = _ids("members", members)
    if hasattr(topology, "csgraph"):
        lat = topology.latency_s(link_config, bits)
        graph, n = topology.csgraph(np.maximum(lat, 1e-15), mask), topology.n
    else:
        from scipy import sparse

        nodes = sorted(topology.nodes)
        n = len(nodes)
        if nodes != list(range(n)):
            raise ValueError("graph nodes must be the integers 0..n-1")
        edges = [(u, v, float(d["latency_s"])) for u, v, d in topology.edges(data=True) if d.get("up", True)]
        if any(not w >= 0 for _, _, w in edges):
            raise ValueError("graph edges need a latency_s >= 0 (s)")
        e = np.array(edges, float).reshape(-1, 3)
        u, v, w = e[:, 0].astype(int), e[:, 1].astype(int), np.maximum(e[:, 2], 1e-15)   # explicit 0 = no edge
        graph = sparse.csr_matrix((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                                  shape=(n, n))
    for s in ids:
        if not 0 <= s < n:
            raise ValueError(f"members: satellite id {s} is not a node of the topology (0..{n - 1})")
    return dijkstra(graph, directed=False, indices=ids)


def elect_central(latency, members) -> int:
    """The central satellite of a cooperating set: the member with the minimum total ISL latency to
    the other members (ties: the lowest id).

    latency: pairwise latencies (s) ``[n, n]`` indexed by satellite id (inf = unreachable; e.g. from
    :func:`latency_matrix` over all nodes), or a TopologySnapshot / networkx Graph (then
    :func:`latency_matrix` with zero-bit messages). A member that cannot reach every other member
    loses against one that can: the rule is lexicographic in (members unreachable, total latency to the
    reachable ones, id), so after a failure the election still picks the best connected member. Totals
    within 1 ps of each other are ties.
    """
    ids = _ids("members", members)
    if not ids:
        raise ValueError("members: at least one satellite is needed to elect a central one")
    if isinstance(latency, np.ndarray) or isinstance(latency, (list, tuple)):
        lat = np.asarray(latency, float)
        if lat.ndim != 2 or lat.shape[0] != lat.shape[1]:
            raise ValueError(f"latency must be a square [n, n] matrix (s), got shape {lat.shape}")
        if max(ids) >= lat.shape[0] or min(ids) < 0:
            raise ValueError(f"members {ids} are not all ids of the {lat.shape[0]} x {lat.shape[0]} latency matrix")
        sub = lat[np.ix_(ids, ids)]
    else:
        sub = latency_matrix(latency, ids)[:, ids]
    if np.any(np.isnan(sub)) or np.any(sub < 0):
        raise ValueError("latency must be >= 0 (s) without NaN")
    miss = np.array([int((~np.isfinite(np.delete(sub[r], r))).sum()) for r in range(len(ids))])
    total = np.array([float(np.delete(sub[r], r)[np.isfinite(np.delete(sub[r], r))].sum()) for r in range(len(ids))])
    ok = miss == miss.min()
    best = total[ok].min()
    # ties: totals within 1 ps (plus 1e-12 relative) are equal -- floating-point sums of the same path
    # latencies in another order must not decide the election
    tie = ok & (total <= best + 1e-12 + 1e-12 * best)
    return min(s for s, t in zip(ids, tie) if t)


def failover(latency, members, central: int, since_s: float | None, t_s: float,
             timeout_s: float) -> tuple[float | None, bool]:
    """The failover rule (``centralized.failover = "reelect"``): a central that reaches none of the other
    members over the ISLs up is unreachable; once it has been so for ``timeout_s`` it is replaced.

    latency: [m, m] member-to-member latencies (s; inf = unreachable) in the order of ``members``;
    since_s: when the central became unreachable (None: it was reachable). Returns (since, replace):
    the updated ``since_s`` (None when reachable) and whether to elect another central now."""
    ids = list(members)
    row = ids.index(central)
    reach = np.isfinite(np.delete(np.asarray(latency, float)[row], row))
    if reach.any():
        return None, False
    since = t_s if since_s is None else since_s
    return since, t_s - since >= timeout_s - 1e-9
