"""agents.protocol: who sends what to whom in one update, and the central-satellite election."""
import itertools

import networkx as nx
import numpy as np
import pytest

from agents import protocol
from constellation.ephemeris import Constellation, axes_from_quaternion
from network.links import LinkConfig
from network.messages import SSI, PrecoderBundle, SCSIReport
from network.topology import GridTopology, TopologySnapshot


def _msgs(S, K=4, M=8, N=2):
    ssis = {s: SSI(np.full(3, s), np.array([1.0, 0, 0, 0]), 1.0) for s in range(S)}
    reports = {s: SCSIReport(ssis[s], np.ones(K), np.ones(K), np.broadcast_to(np.eye(N) / N, (K, N, N)))
               for s in range(S)}
    bundles = {s: PrecoderBundle(np.zeros((K, M), complex)) for s in range(S)}
    return ssis, reports, bundles


def test_centralized_update_reports_up_bundles_down():
    ssis, reports, bundles = _msgs(4)
    up, down = protocol.update_sends("centralized", [0, 1, 2, 3], central=2, ssis=ssis, reports=reports,
                                     bundles=bundles)
    assert [(s.src, s.dst) for s in up] == [(0, 2), (1, 2), (3, 2)]
    assert [(s.src, s.dst) for s in down] == [(2, 0), (2, 1), (2, 3)]
    assert all(s.message is reports[s.src] for s in up) and all(s.message is bundles[s.dst] for s in down)
    # a member whose report is missing sends nothing (the central uses the last one it holds)
    up2, _ = protocol.update_sends("centralized", [0, 1, 2], central=0, reports={1: reports[1]}, bundles=bundles)
    assert [(s.src, s.dst) for s in up2] == [(1, 0)]
    with pytest.raises(ValueError, match="central"):
        protocol.update_sends("centralized", [0, 1], central=5, reports=reports, bundles=bundles)


@pytest.mark.parametrize("scheme", ["decentralized", "separate"])
def test_decentralized_and_separate_exchange_ssi_with_every_peer(scheme):
    ssis, _, _ = _msgs(4)
    (phase,) = protocol.update_sends(scheme, [3, 1, 0], ssis=ssis)
    pairs = [(s.src, s.dst) for s in phase]
    assert pairs == [(3, 1), (3, 0), (1, 3), (1, 0), (0, 3), (0, 1)]          # S (S-1), members' order
    assert all(s.message is ssis[s.src] for s in phase)


def test_architectures_and_errors():
    with pytest.raises(ValueError, match="architecture = 'federated'"):
        protocol.update_sends("federated", [0, 1], ssis={})
    with pytest.raises(ValueError, match="distinct"):
        protocol.ssi_sends({}, [1, 1])


def test_separate_schemes_cost_what_the_decentralized_one_costs():
    from agents.experiments.overhead import update_overhead
    res = update_overhead(5, 12, 64, 4, schemes=("Dec-TFC-WM", "Sep-MMSE", "Cen-Opt-WM"))
    rows = {r["scheme"]: r for r in res["per_update"]}
    assert rows["Sep-MMSE"]["bits"] == rows["Dec-TFC-WM"]["bits"] == 5 * 4 * 8 * 32
    assert rows["Cen-Opt-WM"]["messages"] == 2 * 4 and res["config"]["central"] == 0


def test_ssi_of_carries_position_and_attitude():
    c = Constellation.walker()
    r, _ = c.state_itrs(42.0)
    axes = c.body_axes(42.0)
    ssi = protocol.ssi_of(r[7], axes[7], 3.16)
    np.testing.assert_array_equal(ssi.position_m, r[7])
    np.testing.assert_allclose(ssi.attitude_q, c.attitude(42.0)[7], atol=1e-15)
    np.testing.assert_allclose(axes_from_quaternion(ssi.attitude_q), axes[7], atol=1e-12)
    assert ssi.power_w == 3.16 and ssi.size_bits == 8 * 32


def _brute_force_central(g, members):
    d = dict(nx.all_pairs_dijkstra_path_length(g, weight="latency_s"))
    best = None
    for s in sorted(members):
        others = [t for t in members if t != s]
        miss = sum(t not in d[s] for t in others)
        total = sum(d[s][t] for t in others if t in d[s])
        if best is None or (miss, total) < best[:2] or ((miss, total) == best[:2] and s < best[2]):
            best = (miss, total, s)
    return best[2]


def test_elect_central_on_a_line_ties_to_lowest_id():
    line = TopologySnapshot.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)], 1000e3)
    assert protocol.elect_central(line, [0, 1, 2, 3, 4]) == 2
    assert protocol.elect_central(line, [0, 1, 2, 3]) == 1                     # 1 and 2 tie (4 hops): lowest id
    assert protocol.elect_central(line, [4, 3]) == 3
    assert protocol.elect_central(line, [4]) == 4


def test_elect_central_matches_brute_force_on_random_graphs():
    rng = np.random.default_rng(5)
    for trial in range(20):
        n = 9
        g = nx.gnp_random_graph(n, 0.35, seed=int(rng.integers(1 << 30)))
        for u, v in g.edges:
            g.edges[u, v]["latency_s"] = float(rng.uniform(1e-3, 1e-2))
        members = sorted(rng.choice(n, size=4, replace=False).tolist())
        want = _brute_force_central(g, members)
        assert protocol.elect_central(g, members) == want
        # the same through a latency matrix
        lat = np.full((n, n), np.inf)
        for s, dist in nx.all_pairs_dijkstra_path_length(g, weight="latency_s"):
            for t, v in dist.items():
                lat[s, t] = v
        assert protocol.elect_central(lat, members) == want


def test_elect_central_prefers_the_connected_part_after_a_failure():
    # 0-1-2 connected, 3 cut off: 3 can reach nobody; the central is 1 (the middle of the connected part)
    lat = np.array([[0, 1, 2, np.inf], [1, 0, 1, np.inf], [2, 1, 0, np.inf], [np.inf] * 3 + [0]], float)
    assert protocol.elect_central(lat, [3, 0, 1, 2]) == 1
    # 'up' attributes of a networkx graph are honoured
    g = nx.path_graph(3)
    nx.set_edge_attributes(g, 1.0, "latency_s")
    g.edges[0, 1]["up"] = False
    assert protocol.elect_central(g, [0, 1, 2]) == 1                           # 1-2 together, 0 alone
    with pytest.raises(ValueError, match="members"):
        protocol.elect_central(lat, [0, 9])
    with pytest.raises(ValueError, match="members"):
        protocol.elect_central(lat, [])


def test_elect_central_on_the_walker_grid():
    c = Constellation.walker()
    grid = GridTopology.from_constellation(c)
    snap = grid.snapshot(*c.state_itrs(0.0), t_s=0.0)
    members = [0, 1, 2]                                                        # three consecutive slots of plane 0
    assert protocol.elect_central(snap, members) == 1
    lat = protocol.latency_matrix(snap, members, LinkConfig(), bits=0.0)
    assert lat.shape == (3, c.n) and lat[0, 0] == 0 and np.isfinite(lat[0, 2])
    # latency_matrix agrees with networkx Dijkstra on the snapshot's graph
    g = snap.to_graph(only_up=True)
    want = nx.single_source_dijkstra_path_length(g, 0, weight="latency_s")
    for t in itertools.islice(want, 50):
        assert lat[0, t] == pytest.approx(want[t], rel=1e-12)


def test_zero_latency_links_still_connect():
    g = nx.Graph()
    g.add_edge(0, 1, latency_s=0.0)
    g.add_edge(1, 2, latency_s=0.0)
    g.add_edge(2, 3, latency_s=5.0)
    assert protocol.elect_central(g, [0, 1, 2, 3]) == 0                        # totals 5, 5, 5, 15: lowest id
    assert protocol.elect_central(g, [1, 2, 3]) == 1                           # totals 5, 5, 10
    lat = protocol.latency_matrix(g, [0])
    assert lat[0, 2] < 1e-12 and lat[0, 3] == pytest.approx(5.0)
