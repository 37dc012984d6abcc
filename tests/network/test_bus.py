import networkx as nx
import numpy as np
import pytest

from network.bus import Bus
from network.faults import FaultTimeline, SatelliteOutage, ScheduledFailure, build_timeline, IIDLinkOutage
from network.links import LinkConfig
from network.messages import SSI, Opaque, PrecoderBundle
from network.topology import GridTopology, TopologySnapshot

C = 299_792_458.0
CFG = LinkConfig(processing_s=1e-3, rate_bps=1e9)

# 0 --1000 km-- 1 --1000 km-- 2,  0 --2500 km-- 2,  1 --800 km-- 3 --800 km-- 2
EDGES = [(0, 1), (1, 2), (0, 2), (1, 3), (3, 2)]
LENGTHS_M = [1000e3, 1000e3, 2500e3, 800e3, 800e3]


def diamond(edges=EDGES, lengths=LENGTHS_M):
    return TopologySnapshot.from_edges(4, edges, lengths)


def hop(length_m, bits):
    return length_m / C + 1e-3 + bits / 1e9


def timeline(*entries):
    return ScheduledFailure(tuple(entries)).timeline()


def test_path_latency_against_hand_computation_and_size_aware_routing():
    bus = Bus(diamond(), CFG)
    small, big = Opaque(size=1000), Opaque(size=1_000_000)
    i = bus.send(small, 0, 2, 0.0)
    j = bus.send(big, 0, 2, 0.0)
    # small: via 1 (6.67 ms + 2 x 1.001 ms) beats direct (8.34 ms + 1.001 ms)
    assert bus.route(0, 2, 0.0, 1000)[0] == [0, 1, 2]
    # 1 Mbit: serialisation (1 ms per hop) makes the single 2500 km hop faster
    assert bus.route(0, 2, 0.0, 1_000_000)[0] == [0, 2]
    out = {d.msg_id: d for d in bus.deliver(1.0)}
    assert out[i].latency_s == pytest.approx(2 * hop(1000e3, 1000), rel=1e-12)
    assert out[j].latency_s == pytest.approx(hop(2500e3, 1_000_000), rel=1e-12)
    assert out[i].hops == 2 and out[j].hops == 1
    assert out[i].msg is small


def test_shortest_path_changes_when_a_link_goes_down():
    bus = Bus(diamond(), CFG, faults=timeline((5.0, 6.0, (0, 1))))
    assert bus.route(0, 2, 4.9, 1000)[0] == [0, 1, 2]
    assert bus.route(0, 2, 5.0, 1000)[0] == [0, 2]
    assert bus.route(0, 2, 6.0, 1000)[0] == [0, 1, 2]
    mid = bus.send(Opaque(size=1000), 0, 2, 5.0)
    d, = bus.deliver(6.0)
    assert d.msg_id == mid and d.hops == 1
    assert d.t_arrive_s == pytest.approx(5.0 + hop(2500e3, 1000), rel=1e-12)
    # a failed satellite takes all its links down: 1 out -> 0-2 direct; 2 out -> no route
    bus2 = Bus(diamond(), CFG, faults=SatelliteOutage(1, 0.0, 1.0).timeline())
    assert bus2.route(0, 3, 0.5, 1000)[0] == [0, 2, 3]


def test_message_across_a_hop_failing_in_flight_is_dropped_and_accounted():
    # (1, 2) fails at 6 ms: after the send at t=0 (route 0-1-2), while the second hop is on the link
    bus = Bus(diamond(), CFG, faults=timeline((0.006, 0.2, (1, 2))), on_failure="drop")
    mid = bus.send(Opaque(size=1000), 0, 2, 0.0)
    assert bus.deliver(1.0) == []
    m = bus.messages_frame().iloc[mid]
    assert (m.status, m.reason) == ("lost", "link_failed_in_flight")
    assert m.hops == 1 and m.hops_attempted == 2 and m.link_bits == 2000
    assert m.t_end_s == pytest.approx(2 * hop(1000e3, 1000))
    h = bus.hops_frame()
    assert h.ok.tolist() == [True, False] and h.u.tolist() == [0, 1] and h.v.tolist() == [1, 2]
    assert h.t_depart_s.iloc[1] == pytest.approx(hop(1000e3, 1000))


def test_message_across_a_failed_hop_is_rerouted_at_the_next_step():
    bus = Bus(diamond(), CFG, faults=timeline((0.006, 0.2, (1, 2))), on_failure="reroute", step_s=0.1)
    mid = bus.send(Opaque(size=1000), 0, 2, 0.0)
    assert bus.deliver(0.099) == []
    d, = bus.deliver(0.2)
    # noticed at ~8.7 ms; re-routed from node 1 at the next step (t = 0.1) over 1-3-2
    assert d.t_arrive_s == pytest.approx(0.1 + 2 * hop(800e3, 1000), rel=1e-12)
    m = bus.messages_frame().iloc[mid]
    assert (m.status, m.reroutes, m.hops, m.hops_attempted, m.link_bits) == ("delivered", 1, 3, 4, 4000)
    assert bus.hops_frame()[["u", "v", "ok"]].values.tolist() == [[0, 1, True], [1, 2, False], [1, 3, True],
                                                                    [3, 2, True]]
    # with no re-routing budget left the message is given up
    bus0 = Bus(diamond(), CFG, faults=timeline((0.006, 0.2, (1, 2))), on_failure="reroute", max_reroutes=0)
    bus0.send(Opaque(size=1000), 0, 2, 0.0)
    bus0.deliver(1.0)
    assert bus0.messages_frame().reason.tolist() == ["reroute_limit"]


def test_no_route_at_send_time_is_lost_and_accounted():
    chain = diamond([(0, 1), (1, 2)], [1000e3, 1000e3])
    bus = Bus(chain, CFG, faults=timeline((0.0, 1.0, (1, 2))))
    bus.send(Opaque(size=500), 0, 2, 0.5)
    bus.send(Opaque(size=500), 0, 2, 1.0)                    # link back up
    got = bus.deliver(2.0)
    f = bus.messages_frame()
    assert f.status.tolist() == ["lost", "delivered"] and f.reason.tolist() == ["no_route", ""]
    assert f.link_bits.tolist() == [0, 1000] and f.hops.tolist() == [0, 2]
    assert [d.msg_id for d in got] == [1]


def test_deliver_order_is_arrival_time_then_source_and_nothing_twice():
    # star around 0: spokes 1..4 at 1000 km, node 5 at 500 km
    star = TopologySnapshot.from_edges(6, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)], [1e6, 1e6, 1e6, 1e6, 5e5])

    def run():
        bus = Bus(star, CFG)
        bus.send(Opaque(size=4000), 2, 0, 0.0)                # later: bigger message
        for s in (3, 1, 4):
            bus.send(Opaque(size=1000), s, 0, 0.0)
        bus.send(Opaque(size=1000), 5, 0, 0.0)               # earliest: shortest link
        first = bus.deliver(hop(1e6, 1000) + 1e-9)       # margin for rounding; the 4 kbit one is 3 us later
        second = bus.deliver(1.0)
        return bus, first, second

    bus, first, second = run()
    assert [d.src for d in first] == [5, 1, 3, 4]
    assert [d.src for d in second] == [2]
    assert bus.deliver(2.0) == []
    bus2, first2, second2 = run()
    assert [(d.msg_id, d.t_arrive_s) for d in first + second] == [(d.msg_id, d.t_arrive_s) for d in first2 + second2]
    assert bus.messages_frame().equals(bus2.messages_frame()) and bus.hops_frame().equals(bus2.hops_frame())


def test_walker_routes_are_min_latency_and_link_bits_are_payload_times_hops(walker1680):
    c = walker1680
    snap = GridTopology.from_constellation(c).at(c, 300.0)
    rng = np.random.default_rng(4)
    pairs = rng.integers(0, c.n, size=(30, 2))
    ssi = SSI(np.zeros(3), np.array([1.0, 0, 0, 0]), 1.0)
    bundle = PrecoderBundle(np.zeros((12, 64), complex))
    buses = {r: Bus(snap, CFG, router=r) for r in ("scipy", "networkx")}
    for k, (s, d) in enumerate(pairs):
        for bus in buses.values():
            bus.send(ssi if k % 2 else bundle, int(s), int(d), 300.0)
    frames = {}
    for r, bus in buses.items():
        bus.deliver(400.0)
        frames[r] = bus.messages_frame()
    f, h = frames["scipy"], buses["scipy"].hops_frame()
    assert (f.status == "delivered").all()
    assert (f.link_bits == f.payload_bits * f.hops).all()
    assert (f.hops > 0).sum() >= 29
    np.testing.assert_allclose(f.latency_s, frames["networkx"].latency_s, rtol=1e-12)
    per_msg = h.groupby("msg_id").latency_s.sum()
    np.testing.assert_allclose(f.latency_s[f.hops > 0], per_msg.loc[f.msg_id[f.hops > 0]].to_numpy(), rtol=1e-12)
    assert (h.bits == f.payload_bits.loc[h.msg_id].to_numpy()).all()
    # independent optimum: networkx Dijkstra on the exported graph with per-message latency weights
    graphs = {b: snap.to_graph(CFG, bits=b, only_up=True) for b in (ssi.size_bits, bundle.size_bits)}
    for row in f.itertuples():
        g = graphs[row.payload_bits]
        # times are absolute (t = 300 s), so a 30-hop latency carries ~1e-12 s of rounding
        assert row.latency_s == pytest.approx(nx.dijkstra_path_length(g, row.src, row.dst, weight="latency_s"),
                                              rel=1e-12, abs=1e-11)


def test_topology_provider_is_asked_at_send_time():
    full, cut = diamond(), diamond(EDGES[1:], LENGTHS_M[1:])
    asked = []

    def provider(t):
        asked.append(t)
        return full if t < 1.0 else cut

    bus = Bus(provider, CFG)
    bus.send(Opaque(size=100), 0, 2, 0.0)
    bus.send(Opaque(size=100), 3, 0, 0.0)
    bus.send(Opaque(size=100), 0, 2, 2.0)
    bus.deliver(3.0)
    assert bus.messages_frame().hops.tolist() == [2, 2, 1] and asked == [0.0, 2.0]    # once per distinct time


def test_link_load_sums_bits_per_link():
    bus = Bus(diamond(), CFG, faults=timeline((0.006, 0.2, (1, 2))), on_failure="reroute")
    bus.send(Opaque(size=1000), 0, 2, 0.0)          # 0-1 ok, 1-2 fails, then 1-3, 3-2
    bus.send(Opaque(size=300), 1, 0, 0.0)           # 1-0
    bus.deliver(1.0)
    load = {(r.u, r.v): (r.bits, r.transmissions, r.failed) for r in bus.link_load_frame().itertuples()}
    assert load == {(0, 1): (1300, 2, 0), (1, 2): (1000, 1, 1), (1, 3): (1000, 1, 0), (2, 3): (1000, 1, 0)}


def test_random_faults_on_walker_are_accounted_consistently(walker1680):
    c = walker1680
    snap = GridTopology.from_constellation(c).at(c, 0.0)
    tl = build_timeline([IIDLinkOutage(0.05, 0.01)], snap.edges, 0.0, 2.0, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    for mode in ("drop", "reroute"):
        bus = Bus(snap, CFG, faults=tl, on_failure=mode, step_s=0.01)
        for s, d in rng.integers(0, c.n, size=(40, 2)):
            bus.send(Opaque(size=10_000), int(s), int(d), 0.0)
        bus.deliver(2.0)
        f, h = bus.messages_frame(), bus.hops_frame()
        assert set(f.status) <= {"delivered", "lost"}
        assert (f.link_bits == f.payload_bits * f.hops_attempted).all()
        assert (h.groupby("msg_id").size().reindex(f.msg_id, fill_value=0).to_numpy() == f.hops_attempted).all()
        failed = h[~h.ok]
        # every failed hop really overlaps a fault of that link in the timeline
        assert tl.down_during(failed.t_depart_s.to_numpy(), failed.t_arrive_s.to_numpy(),
                              failed[["u", "v"]].to_numpy()).all()
        ok = h[h.ok]
        assert not tl.down_during(ok.t_depart_s.to_numpy(), ok.t_arrive_s.to_numpy(), ok[["u", "v"]].to_numpy()).any()
        if mode == "drop":
            assert len(failed) > 0 and set(f.reason[f.status == "lost"]) == {"link_failed_in_flight"}
        else:
            assert (f.reroutes[f.status == "delivered"] > 0).any()


def test_bus_bad_input_names_the_field():
    with pytest.raises(ValueError, match="on_failure"):
        Bus(diamond(), on_failure="retry")
    with pytest.raises(ValueError, match="step_s"):
        Bus(diamond(), step_s=0)
    with pytest.raises(ValueError, match="faults"):
        Bus(diamond(), faults=[1, 2])
    with pytest.raises(ValueError, match="max_reroutes"):
        Bus(diamond(), max_reroutes=-1)
    assert Bus(diamond(), max_reroutes=np.int64(2)).max_reroutes == 2      # numpy integers are integers
    bus = Bus(diamond())
    with pytest.raises(ValueError, match="dst"):
        bus.send(Opaque(size=1), 0, 9, 0.0)
    with pytest.raises(ValueError, match="msg"):
        bus.send(b"raw", 0, 1, 0.0)
    bus.deliver(5.0)
    with pytest.raises(ValueError, match="t_s"):
        bus.send(Opaque(size=1), 0, 1, 4.0)
    assert isinstance(FaultTimeline(), FaultTimeline)
