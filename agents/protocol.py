"""The ISL exchange protocol of one precoding update: who sends which message to whom.

One place for the rules, used by ``satcoop overhead`` (:func:`update_overhead`) and by
the live simulation (the agents call :func:`report_sends`, :func:`bundle_sends`,
:func:`ssi_sends` and put the returned :class:`Send` s on the bus themselves, at
their own simulated times).

Schemes (names as everywhere in satcoop) and their exchanges, following
"Multi-Satellite Cooperative ... WMMSE / TFC" (Section V and Table III: the
overhead per update of the centralized and decentralized schemes):

* centralized (``Cen-*``: Cen-Opt-WM, Cen-TFC-WM): one cooperating satellite is
  the central one (:func:`elect_central`). Phase 1, every other member sends its
  :class:`~network.messages.SCSIReport` (its SSI + beta, kappa, Sigma per UT) to the
  central satellite; phase 2, the central satellite sends each member its
  :class:`~network.messages.PrecoderBundle` (p_{s,k} for the K UTs). The central
  satellite's own report and precoders never cross an ISL: 2 (S - 1) messages.
* decentralized (``Dec-*``: Dec-TFC-WM): every member sends its
  :class:`~network.messages.SSI` to every other member, S (S - 1) messages; each
  then computes its own precoders from its local sCSI and the peers' SSI.
* separate (``Sep-*``: Sep-MRT, Sep-MMSE, Sep-Opt-WM): as decentralized, the SSI
  broadcast every agent makes anyway (the precoders themselves use only local CSI).

Message payloads are the real arrays (see :mod:`network.messages` for the exact
size of each message in bits).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from network.messages import SIGMA_PACKINGS, SSI, Message, PrecoderBundle, SCSIReport

__all__ = ["CENTRALIZED", "DECENTRALIZED", "SEPARATE", "PAPER_SCHEMES", "Send", "scheme_kind", "ssi_of",
           "ssi_sends", "report_sends", "bundle_sends", "update_sends", "elect_central", "latency_matrix",
           "update_overhead"]

CENTRALIZED, DECENTRALIZED, SEPARATE = "centralized", "decentralized", "separate"
PAPER_SCHEMES = ("Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM")      # Table III / Fig. 8 of the paper
_PREFIX = {"Cen-": CENTRALIZED, "Dec-": DECENTRALIZED, "Sep-": SEPARATE}


@dataclass(frozen=True)
class Send:
    """One message to put on the ISL bus: ``bus.send(message, src, dst, t)``."""

    src: int
    dst: int
    message: Message


def scheme_kind(scheme: str) -> str:
    """"centralized" | "decentralized" | "separate" from the scheme's name prefix (Cen-, Dec-, Sep-)."""
    for prefix, kind in _PREFIX.items():
        if isinstance(scheme, str) and scheme.startswith(prefix):
            return kind
    raise ValueError(f"scheme {scheme!r}: the protocol knows names starting with {sorted(_PREFIX)}")


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


def update_sends(scheme: str, members, central: int | None = None, *, ssis=None, reports=None,
                 bundles=None) -> list[list[Send]]:
    """The phases of one update of ``scheme`` among ``members``, each a list of sends; a phase starts
    once the previous one has arrived. Centralized: ``[report_sends, bundle_sends]`` (needs ``central``,
    ``reports`` and ``bundles`` keyed by satellite id); decentralized / separate: ``[ssi_sends]``."""
    ids = _ids("members", members)
    kind = scheme_kind(scheme)
    if kind == CENTRALIZED:
        if central is None or int(central) not in ids:
            raise ValueError(f"{scheme}: central = {central!r} must be one of the members {ids}")
        if reports is None or bundles is None:
            raise ValueError(f"{scheme}: a centralized update needs reports and bundles")
        return [report_sends(central, {s: reports[s] for s in ids if s in reports}),
                bundle_sends(central, {s: bundles[s] for s in ids if s in bundles})]
    if ssis is None:
        raise ValueError(f"{scheme}: a {kind} update needs the members' SSI")
    return [ssi_sends(ssis, ids)]


# ------------------------------------------------------------------------------------------- election
def latency_matrix(topology, members, link_config=None, bits: float = 0.0) -> np.ndarray:
    """Minimum ISL latency (s) ``[len(members), n]`` from each member to every satellite over the links
    that are up: ``topology`` a :class:`network.topology.TopologySnapshot` (hop latency of a message of
    ``bits`` under ``link_config``) or a networkx Graph whose every edge has a ``latency_s`` attribute
    (edges with ``up=False`` ignored). inf where unreachable."""
    from scipy.sparse.csgraph import dijkstra

    ids = _ids("members", members)
    if hasattr(topology, "csgraph"):
        lat = topology.latency_s(link_config, bits)
        graph, n = topology.csgraph(np.maximum(lat, 1e-15)), topology.n
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


# ------------------------------------------------------------------------------------------- overhead
def update_overhead(S: int, K: int, M: int, N: int, bits_per_real: int = 32, sigma_packing: str = "full",
                    link_length_km: float = 1000.0, link_config=None, schemes=PAPER_SCHEMES) -> dict:
    """ISL bits of one precoding update of each scheme, S satellites one hop apart (complete graph).

    The messages of :func:`update_sends` are actually sent over a :class:`network.bus.Bus` (phase by
    phase, each after the previous one has arrived) and the figures are read back from the bus's
    accounting. The central satellite is :func:`elect_central` of the graph (all links equal: id 0).
    Returns ``{"per_update": [{"scheme", "bits" (link bits = payload x hops), "messages",
    "payload_bits", "max_hops", "max_latency_s"}], "config": {...}}``.
    """
    from network.bus import Bus
    from network.links import LinkConfig
    from network.topology import TopologySnapshot

    for name, v in (("S", S), ("K", K), ("M", M), ("N", N), ("bits_per_real", bits_per_real)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} = {v!r}: must be an integer >= 1")
    if sigma_packing not in SIGMA_PACKINGS:
        raise ValueError(f"sigma_packing = {sigma_packing!r}: allowed {SIGMA_PACKINGS}")
    if not (isinstance(link_length_km, (int, float)) and 0 < link_length_km < math.inf):
        raise ValueError(f"link_length_km = {link_length_km!r}: must be a positive length (km)")
    link_config = link_config or LinkConfig()
    pairs = [(a, b) for a in range(S) for b in range(a + 1, S)]
    graph = TopologySnapshot.from_edges(S, np.array(pairs, np.int64).reshape(-1, 2), link_length_km * 1e3)
    members = list(range(S))
    central = elect_central(graph, members) if S > 1 else 0

    # Payload values do not change sizes; the arrays have the real shapes and dtypes (read-only
    # broadcast views, so a large K, M or N costs no memory).
    ssi = {s: SSI(np.zeros(3), np.array([1.0, 0.0, 0.0, 0.0]), 1.0, bits_per_real=bits_per_real) for s in members}
    reports = {s: SCSIReport(ssi[s], np.broadcast_to(1.0, (K,)), np.broadcast_to(1.0, (K,)),
                             np.broadcast_to(np.eye(N, dtype=complex) / N, (K, N, N)),
                             sigma_packing=sigma_packing, bits_per_real=bits_per_real) for s in members}
    bundles = {s: PrecoderBundle(np.broadcast_to(np.complex128(0), (K, M)), bits_per_real=bits_per_real)
               for s in members}

    rows = []
    for scheme in schemes:
        bus = Bus(graph, link_config)
        t = 0.0
        for phase in update_sends(scheme, members, central, ssis=ssi, reports=reports, bundles=bundles):
            for send in phase:
                bus.send(send.message, send.src, send.dst, t)
            # the phase is over once its slowest message has crossed its (single) hop
            t += 2.0 * max((float(link_config.hop_latency_s(link_length_km * 1e3, s.message.size_bits))
                            for s in phase), default=0.0) + 1.0
            bus.deliver(t)
        frame = bus.messages_frame()
        if len(frame) and not (frame["status"] == "delivered").all():
            raise RuntimeError(f"{scheme}: messages not delivered on the complete graph:\n{frame}")
        rows.append({"scheme": scheme, "bits": int(frame["link_bits"].sum()), "messages": int(len(frame)),
                     "payload_bits": int(frame["payload_bits"].sum()),
                     "max_hops": int(frame["hops"].max()) if len(frame) else 0,
                     "max_latency_s": float(frame["latency_s"].max()) if len(frame) else 0.0})
    config = {"S": S, "K": K, "M": M, "N": N, "bits_per_real": bits_per_real, "sigma_packing": sigma_packing,
              "central": central, "topology": "complete graph: one ISL hop between every pair",
              "link_length_km": float(link_length_km), "link": link_config.to_dict()}
    return {"per_update": rows, "config": config}
