"""The routes the episode's messages took, recomputed from the run folder (``messages.parquet`` holds
each message's end points, size, times and fate, not its path).

The bus (:mod:`network.bus`) routes a message at its send time on the minimum-latency path over the
links up at that instant (the ISL topology at that time, minus the fault timeline), forwards it store-
and-forward and, with ``isl.on_failure = "reroute"``, re-routes it at the next step boundary. All of
that is a pure function of (constellation, topology, fault timeline, link model, message size, send
time), and messages do not contend for links, so sending every recorded message again, at its recorded
time and with its recorded size, on a fresh :class:`network.bus.Bus` built the way the episode built
its own reproduces every hop. :func:`replay_routes` does that and checks the replay against the table
(status, end time, hops, hops attempted): ``matched`` counts the messages whose replay agrees, so a page
built by a different satcoop version, or from a changed element-set file, says so instead of drawing
invented routes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from network.bus import Bus
from network.messages import Message


class _Recorded(Message):
    """A message of the table: only its kind and exact size matter to the bus."""

    def __init__(self, kind: str, bits: int):
        self.kind = kind
        self.bits_per_real = 1
        self._bits = int(bits)

    @property
    def n_reals(self) -> int:
        return self._bits


@dataclass
class Routes:
    """Hops of the replayed messages and how well the replay matches ``messages.parquet``.

    hops: one row per hop transmission attempted (``Bus.hops_frame`` columns: msg_id, hop, u, v,
        t_depart_s, t_arrive_s, length_km, latency_s, bits, ok), episode seconds, constellation indices;
    replayed: the bus's message frame of the replay (one row per message replayed);
    matched: messages whose replayed status, end time (to 1 ns), hops and hops attempted equal the table's;
    mismatched_ids: msg_id of the others.
    """

    hops: pd.DataFrame
    replayed: pd.DataFrame
    matched: int
    mismatched_ids: list[int]


def replay_routes(world, config, timeline, messages: pd.DataFrame, msg_ids=None) -> Routes:
    """Send the messages ``msg_ids`` (default all) of ``messages`` (the run's ``messages.parquet``) again
    on a bus over ``world`` (an :class:`agents.live.world.EpisodeWorld` of the run's config) with the
    run's fault timeline ``timeline`` (:class:`network.faults.FaultTimeline`, from ``faults.parquet``) and
    the config's link model.
    Messages are sent in the order of their ids (the episode's send order)."""
    link = config.isl.link_config()
    bus = Bus(world.snapshot, link, faults=timeline, on_failure=config.isl.on_failure, step_s=config.tick_s)
    sel = messages if msg_ids is None else messages[messages["msg_id"].isin(msg_ids)]
    sel = sel.sort_values("msg_id", kind="stable")
    ids = sel["msg_id"].to_numpy(np.int64)
    for kind, src, dst, t, bits in zip(sel["type"], sel["src"], sel["dst"], sel["sent_s"], sel["payload_bits"]):
        bus.send(_Recorded(str(kind), int(bits)), int(src), int(dst), float(t))
    bus.deliver(1e300)                               # every leg and re-route to its end (deliver needs a finite time)
    replayed = bus.messages_frame()
    replayed["msg_id"] = ids                          # the replay numbers its messages 0..n-1
    hops = bus.hops_frame()
    if len(hops):
        hops["msg_id"] = ids[hops["msg_id"].to_numpy()]
    ok = (
        (replayed["status"].to_numpy() == sel["status"].to_numpy())
        & (replayed["hops"].to_numpy() == sel["hops"].to_numpy())
        & (replayed["hops_attempted"].to_numpy() == sel["hops_attempted"].to_numpy())
        & np.isclose(replayed["t_end_s"].to_numpy(float), sel["end_s"].to_numpy(float), rtol=0.0, atol=1e-9,
                     equal_nan=True)
    )
    return Routes(hops=hops, replayed=replayed, matched=int(ok.sum()), mismatched_ids=ids[~ok].tolist())
