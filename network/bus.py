"""A simulated-time message transport over the ISL graph that accounts every bit on every hop.

Usage by the (future) live simulation, once per tick::

    bus = Bus(topology_provider, LinkConfig(), faults=timeline, on_failure="drop", step_s=0.1)
    bus.set_topology(grid.at(constellation, t))      # or let a callable provider do it
    bus.send(msg, src, dst, t)                       # any number of times
    for d in bus.deliver(t):                         # what has arrived by t
        agents[d.dst].receive(d.msg, d.src, d.t_send_s)

Semantics
---------
* Routing (at send time ``t``): minimum-latency path on the links that are up at
  ``t`` (geometrically, in the topology at ``t``, and not failed in the fault
  timeline at ``t``). The hop weight is the hop latency for this message,
  ``length/c + processing + bits/rate`` (:mod:`network.links`), so the path
  minimises the message's own latency. Dijkstra on a ``scipy.sparse.csgraph``
  (default) or networkx (``router="networkx"``, for comparison; the scipy one
  is 8-15x faster in ``scripts/bench_network.py``), with single-source trees cached per
  (topology, fault state, message size class) so many messages per tick are cheap.
  No path -> the message is lost, reason ``"no_route"``.
* Forwarding: store-and-forward over FIFO links (:mod:`network.queueing`). Each
  link direction serialises one message at a time at
  ``LinkConfig.service_rate_bps`` (the link rate less its background load): a
  hop that reaches node u at ``t_ready`` waits until the link u -> v is free
  (``queue_s = t_start - t_ready``), holds it for ``bits / service_rate`` and
  arrives ``length/c + processing`` after its serialisation ends; the next hop
  joins the next link's queue at that arrival. The bus serves every link in
  order of simulated time, so the order of service is that of arrival at the
  link (ties in the order the events were scheduled); on idle links a path's
  latency is exactly the sum of the hop latencies above. Routing ignores the
  queues (minimum idle-link latency). A hop fails if its link (or either end
  satellite) is down at any instant of its transmission window
  ``(t_depart, t_arrive)`` (``t_depart`` = start of serialisation; waiting in
  the node's buffer needs no link) according to the fault timeline; a failed
  transmission holds the link as a successful one would. The geometric
  topology is taken as it was at routing time (geometry changes over seconds
  to minutes; hops take milliseconds).
* On a failed hop: ``on_failure="drop"`` -> lost, reason
  ``"link_failed_in_flight"``; ``on_failure="reroute"`` -> the node that was
  sending (the last node the message reached) re-routes it at the next step
  boundary ``(floor(t_fail / step_s) + 1) * step_s`` after the failure was
  noticed (``t_fail`` = the failed hop's would-be arrival time), on the graph
  as it is then; lost with ``"no_route"`` if there is none, or
  ``"reroute_limit"`` after ``max_reroutes`` attempts.
* ``deliver(t)`` processes every event up to ``t`` and returns the messages
  that arrived by ``t`` and were not yet handed out, sorted by (arrival time,
  source id, message id). Nothing is random: same inputs -> same outputs.
* Queue state is one free-at time per directed satellite pair: it survives
  topology rebuilds and re-routed messages join the queues of their new links.
* With :meth:`set_topology` (one snapshot per tick), a re-route scheduled inside
  the interval processed by ``deliver(t)`` uses the snapshot current at that call.

Accounting (``messages_frame()``, ``hops_frame()``): per message its payload
bits, hops traversed, hops attempted, ``link_bits = payload_bits x hops
attempted`` (the bits put on links, failed transmissions included; equal to
payload x hops for a message delivered without re-routing), latency, the
total time it waited for busy links (``queue_s``), status (delivered / lost /
in_flight) and reason; per hop the link, times (``t_depart_s`` = start of
serialisation), length, latency (arrival - departure), bits, whether it
succeeded and its wait (``queue_s``; a hop's row is appended at its (would-be)
arrival); ``link_load_frame()`` sums bits, transmissions and waits per link.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from network.faults import FaultTimeline
from network.links import SPEED_OF_LIGHT_M_S, LinkConfig
from network.messages import Message
from network.queueing import FifoLinks
from network.topology import TopologySnapshot

ON_FAILURE = ("drop", "reroute")
ROUTERS = ("scipy", "networkx")
_READY, _ARRIVE, _REROUTE = 0, 1, 2


class _Any:
    def __contains__(self, item) -> bool:
        return True


@dataclass(frozen=True)
class Delivery:
    """A message handed to its destination by :meth:`Bus.deliver`."""

    msg_id: int
    msg: Message
    src: int
    dst: int
    t_send_s: float
    t_arrive_s: float
    hops: int

    @property
    def latency_s(self) -> float:
        return self.t_arrive_s - self.t_send_s


@dataclass
class _Record:
    msg_id: int
    msg: Message
    kind: str
    src: int
    dst: int
    t_send_s: float
    bits: int
    status: str = "in_flight"
    reason: str = ""
    t_end_s: float = math.nan
    hops: int = 0
    hops_attempted: int = 0
    reroutes: int = 0
    queue_s: float = 0.0
    ser_s: float = 0.0
    # current route (leg) and the hop on its link: (t_ready, t_start, t_arrive, ok)
    path: list = field(default_factory=list)
    lengths_m: list = field(default_factory=list)
    flight_s: list = field(default_factory=list)
    i: int = 0
    hop: tuple = ()
    at_node: int = -1


class Bus:
    """Simulated-time message bus (see module docstring).

    Parameters
    ----------
    topology : TopologySnapshot, networkx.Graph (nodes 0..n-1, edge ``length_km``,
        optional ``up``), or a callable ``t_s -> TopologySnapshot`` (topology provider).
    link_config : LinkConfig (per-hop processing, link rate)
    faults : FaultTimeline or None
    on_failure : "drop" or "reroute"
    step_s : simulation step (s), used to time re-routing
    max_reroutes : re-routing attempts before a message is given up
    router : "scipy" (default) or "networkx"
    """

    def __init__(self, topology, link_config: LinkConfig | None = None, faults: FaultTimeline | None = None,
                 on_failure: str = "drop", step_s: float = 0.1, max_reroutes: int = 8, router: str = "scipy"):
        if on_failure not in ON_FAILURE:
            raise ValueError(f"Bus.on_failure = {on_failure!r}: allowed {ON_FAILURE}")
        if router not in ROUTERS:
            raise ValueError(f"Bus.router = {router!r}: allowed {ROUTERS}")
        if not (isinstance(step_s, (int, float)) and math.isfinite(step_s) and step_s > 0):
            raise ValueError(f"Bus.step_s = {step_s!r}: must be a step length > 0 (s)")
        if (isinstance(max_reroutes, bool) or not isinstance(max_reroutes, (int, np.integer))
                or max_reroutes < 0):
            raise ValueError(f"Bus.max_reroutes = {max_reroutes!r}: must be an integer >= 0")
        if faults is not None and not isinstance(faults, FaultTimeline):
            raise ValueError(f"Bus.faults is a {type(faults).__name__}: a FaultTimeline or None is expected")
        self.link_config = link_config or LinkConfig()
        self.faults = faults
        self.on_failure, self.step_s, self.max_reroutes, self.router = on_failure, float(step_s), int(max_reroutes), router
        self._provider = None
        self._snapshot: TopologySnapshot | None = None
        self._snapshot_t = None
        if callable(topology) and not isinstance(topology, (TopologySnapshot, nx.Graph)):
            self._provider = topology
        else:
            self.set_topology(topology)
        self._records: list[_Record] = []
        self._hops: list[tuple] = []
        self._events: list[tuple] = []
        self._seq = 0
        self._arrived: list[tuple] = []
        self._clock = -math.inf
        self._processed_s = -math.inf
        self._kinds_arrived = None
        self.queues = FifoLinks()
        self._mask_cache: tuple | None = None     # (snapshot, t, mask)
        self._route_cache: dict = {}
        self._route_cache_snapshot = None

    # ------------------------------------------------------------------ topology
    def set_topology(self, topology) -> None:
        """Replace the current topology (a TopologySnapshot or networkx Graph)."""
        if isinstance(topology, nx.Graph):
            topology = TopologySnapshot.from_graph(topology)
        if not isinstance(topology, TopologySnapshot):
            raise ValueError(f"topology is a {type(topology).__name__}: expected a TopologySnapshot, "
                             "a networkx Graph or a callable t_s -> TopologySnapshot")
        self._provider = None
        self._snapshot = topology

    def topology_at(self, t_s: float) -> TopologySnapshot:
        """The topology used for routing at ``t_s``: the provider's answer for ``t_s`` (asked once per
        distinct time), or the snapshot last given to :meth:`set_topology`."""
        if self._provider is not None and (self._snapshot is None or self._snapshot_t != t_s):
            snap = self._provider(t_s)
            if not isinstance(snap, TopologySnapshot):
                raise ValueError(f"topology provider returned a {type(snap).__name__}, not a TopologySnapshot")
            self._snapshot, self._snapshot_t = snap, t_s
        return self._snapshot

    def up_mask(self, t_s: float, snapshot: TopologySnapshot | None = None) -> np.ndarray:
        """bool [E]: links of the topology at ``t_s`` that are up geometrically and not failed."""
        snap = snapshot if snapshot is not None else self.topology_at(t_s)
        c = self._mask_cache
        if c is not None and c[0] is snap and c[1] == t_s:
            return c[2]
        mask = snap.up.copy()
        if self.faults is not None and len(self.faults):
            mask &= ~self.faults.is_down(t_s, snap.edges)
        self._mask_cache = (snap, t_s, mask)
        return mask

    # ------------------------------------------------------------------ routing
    def route(self, src: int, dst: int, t_s: float, bits: float = 0.0):
        """Minimum-latency route at ``t_s`` for a message of ``bits``: (nodes, hop lengths m,
        hop latencies s), or None if ``dst`` is unreachable."""
        snap = self.topology_at(t_s)
        self._check_node("src", src, snap.n)
        self._check_node("dst", dst, snap.n)
        if src == dst:
            return [src], [], []
        mask = self.up_mask(t_s, snap)
        c0 = self.link_config.hop_constant_s(bits)
        if self._route_cache_snapshot is not snap:
            self._route_cache = {}
            self._route_cache_snapshot = snap
        key = (np.packbits(mask).tobytes(), c0)
        entry = self._route_cache.get(key)
        if entry is None:
            w = np.maximum(snap.length_m / SPEED_OF_LIGHT_M_S + c0, 1e-15)
            entry = {"w": w, "trees": {}}
            if self.router == "scipy":
                entry["csr"] = snap.csgraph(w, mask)
            else:
                g = nx.Graph()
                g.add_nodes_from(range(snap.n))
                sel = np.flatnonzero(mask)
                g.add_weighted_edges_from(zip(snap.edges[sel, 0].tolist(), snap.edges[sel, 1].tolist(),
                                              w[sel].tolist()))
                entry["graph"] = g
            if len(self._route_cache) > 64:
                self._route_cache.clear()
            self._route_cache[key] = entry
        if self.router == "scipy":
            pred = entry["trees"].get(src)
            if pred is None:
                _, pred = dijkstra(entry["csr"], directed=True, indices=src, return_predecessors=True)
                entry["trees"][src] = pred
            if pred[dst] < 0:
                return None
            nodes = [dst]
            while nodes[-1] != src:
                nodes.append(int(pred[nodes[-1]]))
            nodes.reverse()
        else:
            try:
                nodes = nx.dijkstra_path(entry["graph"], src, dst, weight="weight")
            except nx.NetworkXNoPath:
                return None
        rows = snap.edge_rows(nodes[:-1], nodes[1:])
        lengths = snap.length_m[rows].tolist()
        lat = entry["w"][rows].tolist()
        return nodes, lengths, lat

    @staticmethod
    def _check_node(name, value, n):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < n:
            raise ValueError(f"{name} = {value!r}: must be a satellite index in [0, {n})")

    # ------------------------------------------------------------------ transport
    def send(self, msg: Message, src: int, dst: int, t_s: float) -> int:
        """Send ``msg`` from ``src`` to ``dst`` at ``t_s`` (s). Returns the message id."""
        if not isinstance(msg, Message):
            raise ValueError(f"msg is a {type(msg).__name__}: a network.messages.Message is expected")
        t_s = float(t_s)
        if not math.isfinite(t_s):
            raise ValueError(f"t_s = {t_s!r}: must be finite (s)")
        if t_s < self._clock:
            raise ValueError(f"t_s = {t_s}: earlier than the last deliver() time {self._clock} s")
        if t_s < self._processed_s:
            raise ValueError(f"t_s = {t_s}: earlier than {self._processed_s} s, up to which next_event_s() has "
                             "already served the links (pass it before= the next time anything is sent)")
        src, dst = int(src) if isinstance(src, np.integer) else src, int(dst) if isinstance(dst, np.integer) else dst
        bits = int(msg.size_bits)
        rec = _Record(len(self._records), msg, msg.kind, src, dst, t_s, bits)
        route = self.route(src, dst, t_s, bits)
        self._records.append(rec)
        if route is None:
            self._lose(rec, "no_route", t_s)
            return rec.msg_id
        rec.ser_s = self.link_config.serialisation_s(bits)
        self._set_leg(rec, route)
        if len(rec.path) == 1:                           # src == dst
            self._arrive(rec, t_s)
        else:
            self._push(t_s, _READY, rec.msg_id)          # its first hop joins the link's queue in time order
        return rec.msg_id

    def _set_leg(self, rec: _Record, route) -> None:
        rec.path, rec.lengths_m, _ = route
        rec.flight_s = [length / SPEED_OF_LIGHT_M_S + self.link_config.processing_s for length in rec.lengths_m]
        rec.i = 0

    def _request(self, rec: _Record, t_s: float) -> None:
        """Hop ``rec.i`` joins its link's FIFO queue at ``t_s``: it starts when the link is free, holds it for
        its serialisation, and fails if the link is down at any instant of its transmission (start, arrival);
        one event fires at its (would-be) arrival."""
        u, v = rec.path[rec.i], rec.path[rec.i + 1]
        start = self.queues.reserve(u, v, t_s, rec.ser_s)
        arrive = start + rec.ser_s + rec.flight_s[rec.i]
        ok = True
        if self.faults is not None and len(self.faults):
            ok = not bool(self.faults.down_during(start, arrive, ((u, v),))[0])
        rec.hop = (t_s, start, arrive, ok)
        self._push(arrive, _ARRIVE, rec.msg_id)

    def _push(self, t, kind, msg_id):
        heapq.heappush(self._events, (t, self._seq, kind, msg_id))
        self._seq += 1

    def _lose(self, rec: _Record, reason: str, t_s: float) -> None:
        rec.status, rec.reason, rec.t_end_s = "lost", reason, t_s

    def _arrive(self, rec: _Record, t_s: float) -> None:
        rec.status, rec.t_end_s = "delivered", t_s
        self._arrived.append((t_s, rec.src, rec.msg_id))
        if self._kinds_arrived is not None and rec.kind in self._kinds_arrived[0]:
            self._kinds_arrived[1] = min(self._kinds_arrived[1], t_s)

    def _process(self) -> None:
        """Pop the earliest event and apply it (every event of the bus goes through here, in time order)."""
        t_ev, _, kind, mid = heapq.heappop(self._events)
        self._processed_s = max(self._processed_s, t_ev)
        rec = self._records[mid]
        if kind == _READY:
            self._request(rec, t_ev)
            return
        if kind == _REROUTE:
            route = self.route(rec.at_node, rec.dst, t_ev, rec.bits)
            if route is None:
                self._lose(rec, "no_route", t_ev)
            else:
                self._set_leg(rec, route)
                self._request(rec, t_ev)
            return
        t_ready, start, arrive, ok = rec.hop
        i = rec.i
        self._hops.append((rec.msg_id, rec.hops_attempted, rec.path[i], rec.path[i + 1], start, arrive,
                           rec.lengths_m[i] / 1e3, arrive - start, rec.bits, ok, start - t_ready))
        rec.hops_attempted += 1
        rec.queue_s += start - t_ready
        if ok:
            rec.hops += 1
            rec.i += 1
            if rec.i == len(rec.path) - 1:
                self._arrive(rec, t_ev)
            else:
                self._request(rec, t_ev)                 # store-and-forward: the next hop's queue, now
            return
        if self.on_failure == "drop":
            self._lose(rec, "link_failed_in_flight", t_ev)
        elif rec.reroutes >= self.max_reroutes:
            self._lose(rec, "reroute_limit", t_ev)
        else:
            rec.reroutes += 1
            rec.at_node = rec.path[i]
            self._push((math.floor(t_ev / self.step_s) + 1) * self.step_s, _REROUTE, rec.msg_id)

    def deliver(self, t_s: float) -> list[Delivery]:
        """Advance to ``t_s`` and return the messages that arrived by then (not returned before),
        ordered by (arrival time, source id, message id)."""
        t_s = float(t_s)
        if not math.isfinite(t_s):
            raise ValueError(f"t_s = {t_s!r}: must be finite (s)")
        if t_s < self._clock:
            raise ValueError(f"t_s = {t_s}: earlier than the last deliver() time {self._clock} s")
        self._clock = t_s
        while self._events and self._events[0][0] <= t_s:
            self._process()
        ready = sorted(x for x in self._arrived if x[0] <= t_s)
        self._arrived = [x for x in self._arrived if x[0] > t_s]
        out = []
        for t_arr, _, mid in ready:
            r = self._records[mid]
            out.append(Delivery(mid, r.msg, r.src, r.dst, r.t_send_s, t_arr, r.hops))
        return out

    def next_event_s(self, kinds=None, before: float = math.inf) -> float:
        """Time (s) of the next arrival (or loss) of a message whose ``kind`` is in ``kinds`` (None: any) that
        :meth:`deliver` has not yet returned, if nothing is sent before ``before`` (s); inf if there is none.

        To know an arrival time exactly the bus serves the links' queues ahead of :meth:`deliver`, in time
        order, up to that arrival but never at or beyond ``before``: the caller promises to send nothing
        earlier than ``before`` (a later :meth:`send` at an earlier time is refused). When the answer would lie
        at or beyond ``before`` the bus returns ``before`` instead (nothing of those kinds arrives earlier).
        Lets a driver advance to the exact time something arrives."""
        want = (lambda k: True) if kinds is None else (lambda k: k in kinds)
        best = min((t for t, _, mid in self._arrived if want(self._records[mid].kind)), default=math.inf)
        self._kinds_arrived = [_Any() if kinds is None else kinds, best]
        try:
            while self._events and self._events[0][0] < before and self._events[0][0] < self._kinds_arrived[1]:
                self._process()
            best = self._kinds_arrived[1]
        finally:
            self._kinds_arrived = None
        if not self._events or self._events[0][0] >= best:
            return best                  # exact: everything earlier has been served
        return before                    # stopped at `before` (every pending event is at or after it)

    @property
    def in_flight(self) -> int:
        """Number of messages neither delivered nor lost."""
        return sum(1 for r in self._records if r.status == "in_flight")

    # ------------------------------------------------------------------ accounting
    def messages_frame(self) -> pd.DataFrame:
        """One row per message sent."""
        rows = [(r.msg_id, r.kind, r.src, r.dst, r.t_send_s, r.t_end_s,
                 (r.t_end_s - r.t_send_s) if r.status == "delivered" else math.nan, r.queue_s,
                 r.bits, r.hops, r.hops_attempted, r.bits * r.hops_attempted, r.reroutes, r.status, r.reason)
                for r in self._records]
        return pd.DataFrame(rows, columns=["msg_id", "kind", "src", "dst", "t_send_s", "t_end_s", "latency_s",
                                           "queue_s", "payload_bits", "hops", "hops_attempted", "link_bits",
                                           "reroutes", "status", "reason"])

    def link_load_frame(self) -> pd.DataFrame:
        """Bits and transmissions per link (u < v), summed over every hop attempted."""
        h = self.hops_frame()
        lo, hi = np.minimum(h.u, h.v), np.maximum(h.u, h.v)
        h = h.assign(u=lo, v=hi)
        return (h.groupby(["u", "v"], as_index=False)
                .agg(bits=("bits", "sum"), transmissions=("bits", "size"), failed=("ok", lambda x: int((~x).sum())),
                     queue_s=("queue_s", "sum")))

    def hops_frame(self) -> pd.DataFrame:
        """One row per hop transmission attempted."""
        return pd.DataFrame(self._hops, columns=["msg_id", "hop", "u", "v", "t_depart_s", "t_arrive_s",
                                                 "length_km", "latency_s", "bits", "ok", "queue_s"])
