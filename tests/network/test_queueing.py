"""FIFO links on the bus against queueing closed forms: two messages at once, a D/D/1 train, M/D/1 (P-K)."""
import numpy as np
import pytest

from network.bus import Bus
from network.faults import ScheduledFailure
from network.links import LinkConfig
from network.messages import Opaque
from network.queueing import FifoLinks
from network.topology import TopologySnapshot

C = 299_792_458.0
RATE = 1e6                       # 1 Mbit/s: a 1000-bit message holds a link for 1 ms
BITS = 1000
D = BITS / RATE
CFG = LinkConfig(processing_s=1e-3, rate_bps=RATE)


def chain(n=3, length_m=1000e3):
    return TopologySnapshot.from_edges(n, [(i, i + 1) for i in range(n - 1)], [length_m] * (n - 1))


def idle_hop(bits=BITS, length_m=1000e3, cfg=CFG):
    return length_m / C + cfg.processing_s + bits / cfg.service_rate_bps


def test_two_messages_sent_at_once_on_an_idle_link_the_second_waits_one_serialisation():
    bus = Bus(chain(2), CFG)
    a = bus.send(Opaque(size=BITS), 0, 1, 0.0)
    b = bus.send(Opaque(size=BITS), 0, 1, 0.0)
    c = bus.send(Opaque(size=BITS), 1, 0, 0.0)          # the other direction is its own server
    out = {d.msg_id: d for d in bus.deliver(1.0)}
    f = bus.messages_frame().set_index("msg_id")
    assert f.queue_s[a] == 0.0 and f.queue_s[c] == 0.0
    assert f.queue_s[b] == pytest.approx(D, rel=1e-12)
    assert out[a].latency_s == pytest.approx(idle_hop(), rel=1e-12)
    assert out[b].t_arrive_s - out[a].t_arrive_s == pytest.approx(D, rel=1e-9)
    assert out[c].latency_s == pytest.approx(idle_hop(), rel=1e-12)
    h = bus.hops_frame().set_index("msg_id")
    assert h.t_depart_s[b] == pytest.approx(D, rel=1e-12) and h.queue_s[b] == pytest.approx(D, rel=1e-12)


@pytest.mark.parametrize("gap_over_d", [0.25, 0.5, 1.0, 2.0])
def test_dd1_train_over_two_hops_waits_in_closed_form(gap_over_d):
    """n messages every T on a chain of two links: at the first link message i waits i * max(D - T, 0);
    the first link's output is spaced max(T, D) >= D apart, so nobody waits at the second."""
    n, gap = 20, gap_over_d * D
    bus = Bus(chain(3), CFG)
    ids = [bus.send(Opaque(size=BITS), 0, 2, i * gap) for i in range(n)]
    bus.deliver(10.0)
    f = bus.messages_frame().set_index("msg_id")
    h = bus.hops_frame()
    want = np.arange(n) * max(D - gap, 0.0)
    np.testing.assert_allclose(f.queue_s[ids].to_numpy(), want, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(h[h.hop == 0].queue_s.to_numpy(), want, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(h[h.hop == 1].queue_s.to_numpy(), 0.0, atol=1e-15)
    np.testing.assert_allclose(f.latency_s[ids].to_numpy(), 2 * idle_hop() + want, rtol=1e-9)


def test_md1_mean_wait_at_load_half_matches_pollaczek_khinchine():
    """Poisson arrivals (seeded) of equal messages at one link, load rho = lambda D = 0.5: the mean wait
    W = rho / (2 mu (1 - rho)) = D / 2, within sampling error (batch means of the correlated waits)."""
    rho, n = 0.5, 40_000
    lam = rho / D
    t = np.cumsum(np.random.default_rng(np.random.SeedSequence([0, 0x0D1])).exponential(1.0 / lam, n))
    bus = Bus(chain(2), CFG)
    for ti in t:
        bus.send(Opaque(size=BITS), 0, 1, float(ti))
    bus.deliver(float(t[-1]) + 1.0)
    w = bus.messages_frame().queue_s.to_numpy()[1000:]           # after a warm-up from an empty queue
    batches = w[: len(w) // 40 * 40].reshape(40, -1).mean(1)
    se = batches.std(ddof=1) / np.sqrt(len(batches))
    pk = rho / (2 * (1.0 / D) * (1 - rho))
    assert se < 0.05 * pk                                        # the test can tell a 20 % error
    assert abs(w.mean() - pk) < 4 * se
    # the same arrivals with a quarter of the capacity taken by background load: served at 0.75 x rate,
    # so D' = D / 0.75 and rho' = 2/3, W' = rho' D' / (2 (1 - rho'))
    cfg = LinkConfig(processing_s=1e-3, rate_bps=RATE, background_load=0.25)
    assert cfg.service_rate_bps == pytest.approx(0.75 * RATE)
    bus2 = Bus(chain(2), cfg)
    for ti in t:
        bus2.send(Opaque(size=BITS), 0, 1, float(ti))
    bus2.deliver(float(t[-1]) + 1.0)
    w2 = bus2.messages_frame().queue_s.to_numpy()[1000:]
    d2 = D / 0.75
    r2 = lam * d2
    pk2 = r2 * d2 / (2 * (1 - r2))
    b2 = w2[: len(w2) // 40 * 40].reshape(40, -1).mean(1)
    assert abs(w2.mean() - pk2) < 4 * b2.std(ddof=1) / np.sqrt(len(b2))


def test_background_load_slows_serialisation_on_an_idle_link():
    cfg = LinkConfig(processing_s=1e-3, rate_bps=RATE, background_load=0.5)
    bus = Bus(chain(2), cfg)
    bus.send(Opaque(size=BITS), 0, 1, 0.0)
    d, = bus.deliver(1.0)
    assert d.latency_s == pytest.approx(1000e3 / C + 1e-3 + 2 * D, rel=1e-12)
    with pytest.raises(ValueError, match="background_load"):
        LinkConfig(background_load=1.0)


def test_rerouted_message_joins_the_queue_of_its_new_link():
    """0-1-2 with a detour 0-3-2; link (0, 1) fails at 7.5 ms. Four messages sent at t = 0 queue on
    (0, 1): transmissions (start, arrival) = (i D, i D + 5.34 ms), so the 4th (3 ms, 8.34 ms) is on the
    link when it fails; it is re-routed from node 0 at the next step (t = 0.1 s) over 0-3-2, and a
    message sent at that instant afterwards queues behind it on (0, 3)."""
    snap = TopologySnapshot.from_edges(4, [(0, 1), (1, 2), (0, 3), (3, 2)], [1000e3, 1000e3, 1500e3, 1500e3])
    tl = ScheduledFailure(((0.0075, 1.0, (0, 1)),)).timeline()
    bus = Bus(snap, CFG, faults=tl, on_failure="reroute", step_s=0.1)
    ids = [bus.send(Opaque(size=BITS), 0, 2, 0.0) for _ in range(4)]
    bus.deliver(0.1)
    e = bus.send(Opaque(size=BITS), 0, 2, 0.1)
    bus.deliver(1.0)
    f = bus.messages_frame().set_index("msg_id")
    np.testing.assert_allclose(f.queue_s[ids[:3]].to_numpy(), [0.0, D, 2 * D], rtol=1e-9, atol=1e-15)
    assert f.reroutes[ids[3]] == 1 and f.status[ids[3]] == "delivered"
    h = bus.hops_frame()
    d_hops = h[h.msg_id == ids[3]]
    assert d_hops.ok.tolist() == [False, True, True] and d_hops.v.tolist() == [1, 3, 2]
    assert (f.status[ids[:3]] == "delivered").all() and (f.reroutes[ids[:3]] == 0).all()
    assert f.queue_s[e] == pytest.approx(D, rel=1e-9)


def test_fifo_links_refuse_requests_out_of_time_order():
    q = FifoLinks()
    assert q.reserve(0, 1, 1.0, 0.5) == 1.0
    assert q.reserve(0, 1, 1.2, 0.5) == 1.5
    assert q.busy_s[(0, 1)] == 1.0
    with pytest.raises(ValueError, match="time order"):
        q.reserve(0, 1, 0.5, 0.1)


def test_next_event_serves_queues_ahead_but_never_past_before():
    bus = Bus(chain(3), CFG)
    a = bus.send(Opaque(size=BITS), 0, 2, 0.0)
    b = bus.send(Opaque(size=BITS), 0, 2, 0.0)
    t_a = 2 * idle_hop()
    assert bus.next_event_s() == pytest.approx(t_a, rel=1e-12)          # exact, with the queue served
    with pytest.raises(ValueError, match="next_event_s"):
        bus.send(Opaque(size=BITS), 0, 2, 0.001)
    # `before` itself when the arrival lies beyond it; nothing is served at or beyond it
    bus2 = Bus(chain(3), CFG)
    bus2.send(Opaque(size=BITS), 0, 2, 0.0)
    assert bus2.next_event_s(before=0.001) == 0.001
    bus2.send(Opaque(size=BITS), 0, 2, 0.001)                          # still allowed
    out = bus.deliver(1.0)
    assert [d.msg_id for d in out] == [a, b]
