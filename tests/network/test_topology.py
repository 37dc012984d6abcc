import networkx as nx
import numpy as np
import pytest

from constellation.frames import EARTH_MEAN_RADIUS_M
from network.links import LinkConfig
from network.topology import (GridTopology, NearestTopology, TopologyConfig, TopologySnapshot,
                              for_constellation, grazing_range_m, union_edges)
from tests.network.conftest import circular_states

R = EARTH_MEAN_RADIUS_M


def segment_min_altitude_m(a, b, samples=4001):
    """Independent truth: minimum height above the sphere along the segments a[i]-b[i], by sampling."""
    s = np.linspace(0.0, 1.0, samples)[None, :, None]
    pts = a[:, None, :] * (1 - s) + b[:, None, :] * s
    return np.linalg.norm(pts, axis=2).min(axis=1) - R


def test_grazing_range_matches_segment_min_altitude():
    rng = np.random.default_rng(3)
    h1, h2 = rng.uniform(300e3, 2000e3, 200), rng.uniform(300e3, 2000e3, 200)
    d = grazing_range_m(R + h1, R + h2, 80e3, R)
    # Put the two points in a plane so that the chord has exactly length d (1 +- 1e-4):
    for scale, expect_above in ((1 - 1e-3, True), (1 + 1e-3, False)):
        r1, r2, L = R + h1, R + h2, d * scale
        cos_g = (r1**2 + r2**2 - L**2) / (2 * r1 * r2)
        g = np.arccos(np.clip(cos_g, -1, 1))
        a = np.stack([r1, 0 * r1, 0 * r1], 1)
        b = np.stack([r2 * np.cos(g), r2 * np.sin(g), 0 * r2], 1)
        above = segment_min_altitude_m(a, b) > 80e3
        assert np.all(above == expect_above)


@pytest.mark.parametrize("P, S, F", [(5, 7, 2), (2, 5, 1), (2, 5, 0), (3, 2, 1)])
def test_grid_candidate_links_match_plus_grid_definition(P, S, F):
    topo = GridTopology(P, S, F)
    got = {frozenset(map(int, e)) for e in topo.edges}
    want = set()
    for p in range(P):
        for j in range(S):
            i = p * S + j
            want.add(frozenset((i, p * S + (j + 1) % S)))
            want.add(frozenset((i, p * S + (j - 1) % S)))
            if p < P - 1:
                want.add(frozenset((i, (p + 1) * S + j)))
            else:
                want.add(frozenset((i, 0 * S + (j + F) % S)))
    assert got == want and len(topo.edges) == len(want)
    # four distinct neighbours unless the pattern is too small to have them (S = 2, or P = 2 with F = 0)
    degree = np.bincount(topo.edges.ravel(), minlength=P * S)
    assert np.all(degree == (4 if S > 2 and (P > 2 or F % S) else 3))


def test_small_range_limited_plane_cuts_intra_links_by_range_only():
    # One plane at 600 km: with 8 slots the chord 2 r sin(22.5 deg) = 5335 km exceeds the
    # 80 km-grazing range (5284 km); with 9 slots (4768 km) it does not.
    r0 = R + 600e3
    for slots, expect_up in ((8, False), (9, True)):
        u0 = 2 * np.pi * np.arange(slots) / slots
        r, v, _ = circular_states(np.zeros(slots), u0, np.radians(53), r0, 0.0)
        snap = GridTopology(1, slots, 0).snapshot(r, v)
        assert np.all(snap.up == expect_up)
        truth = segment_min_altitude_m(r[snap.edges[:, 0]], r[snap.edges[:, 1]]) > 80e3
        np.testing.assert_array_equal(snap.up, truth)
        if not expect_up:
            assert set(snap.frame()["down_reason"]) == {"range"}


def test_walker_star_seam_and_latitude_cut_against_analytic_truth():
    """Polar Walker-star: 6 planes over 180 deg of RAAN, 12 slots, no inter-plane phasing.
    Plane 5's descending half meets plane 0's ascending half: the wrap-around neighbour of (5, j)
    is (0, j + 6) (passed as the wrap slot shift), and those planes counter-rotate."""
    P, S = 6, 12
    topo = GridTopology(P, S, phasing=S // 2, config=TopologyConfig(max_lat_deg=70.0))
    plane, slot = np.arange(P * S) // S, np.arange(P * S) % S
    raan = np.pi * plane / P
    u0 = 2 * np.pi * slot / S + 0.01
    inter = topo.kind == 1
    wrap = inter & ((plane[topo.edges[:, 0]] == 0) & (plane[topo.edges[:, 1]] == P - 1))
    n_seam = n_lat = 0
    for t in np.linspace(0, 5800, 23):
        r, v, u = circular_states(raan, u0, np.radians(89.0), R + 780e3, t)
        snap = topo.snapshot(r, v, t)
        ascending = np.cos(u) > 0                          # analytic truth: argument of latitude in (-90, 90)
        geoc_lat = np.degrees(np.arcsin(r[:, 2] / np.linalg.norm(r, axis=1)))
        a, b = snap.edges[:, 0], snap.edges[:, 1]
        opposite = ascending[a] != ascending[b]
        assert np.all((opposite | (np.abs(geoc_lat[a]) > 80) | (np.abs(geoc_lat[b]) > 80))[wrap])
        # every inter-plane link between an ascending and a descending satellite is down
        assert not np.any(snap.up[inter & opposite])
        n_seam += int(np.sum(inter & opposite))
        # latitude rule, with a 0.5 deg margin for geodetic vs geocentric latitude
        high = np.maximum(np.abs(geoc_lat[a]), np.abs(geoc_lat[b]))
        assert not np.any(snap.up[inter & (high > 70.5)])
        n_lat += int(np.sum(inter & (high > 70.5)))
        clear = inter & ~opposite & (high < 69.5)
        rng_ok = snap.length_m <= grazing_range_m(np.linalg.norm(r[a], axis=1), np.linalg.norm(r[b], axis=1))
        np.testing.assert_array_equal(snap.up[clear], rng_ok[clear])
        assert np.all(snap.up[clear & rng_ok])
        # intra-plane links are never cut by latitude or seam (12 slots at 780 km are in range)
        assert np.all(snap.up[~inter])
    assert n_seam > 0 and n_lat > 0


def test_walker_1680_invariants_over_one_orbit(walker1680):
    c = walker1680
    topo = GridTopology.from_constellation(c)
    low = GridTopology.from_constellation(c, TopologyConfig(max_lat_deg=45.0))
    inter = topo.kind == 1
    a, b = topo.edges[:, 0], topo.edges[:, 1]
    plane = np.asarray(c.plane)
    wrap = inter & (plane[a] == 0) & (plane[b] == c.walker.planes - 1)
    last_pair = inter & (plane[a] == c.walker.planes - 2) & (plane[b] == c.walker.planes - 1)
    seam_cuts = lat_cuts = 0
    for t in np.linspace(0.0, 5800.0, 11):
        r, v = c.state_itrs(t)
        snap = topo.snapshot(r, v, t)
        assert np.all(snap.degree(only_up=False) == 4)
        assert snap.degree().max() <= 4
        assert np.all(snap.up[~inter])                                   # intra-plane always up
        # independent ascending/descending: z increasing over +-50 ms from positions only
        dz = c.state_itrs(t + 0.05)[0][:, 2] - c.state_itrs(t - 0.05)[0][:, 2]
        clear_dir = np.abs(dz) > 0.05
        ascending = dz > 0
        opposite = (ascending[a] != ascending[b]) & clear_dir[a] & clear_dir[b]
        assert not np.any(snap.up[inter & opposite])
        seam_cuts += int(np.sum(inter & opposite))
        same = (ascending[a] == ascending[b]) & clear_dir[a] & clear_dir[b]
        assert np.all(snap.up[inter & same])           # 53 deg < 70 deg and all links short: nothing else cuts
        # no up link is longer than the grazing range (independent segment sampling)
        assert np.all(segment_min_altitude_m(r[a][snap.up], r[b][snap.up], 201) > 80e3)
        # wrap-around plane 27 -> 0 with the phasing shift: same geometry as the other plane pairs
        np.testing.assert_allclose(np.sort(snap.length_m[wrap]), np.sort(snap.length_m[last_pair]), rtol=0.02)
        # latitude limit 45 deg: inter-plane links with an end beyond (subpoint latitude) are down
        lat_deg = c.subpoints(t)[0]
        snap45 = low.snapshot(r, v, t)
        high = np.maximum(np.abs(lat_deg[a]), np.abs(lat_deg[b])) > 45.0
        assert not np.any(snap45.up[inter & high])
        np.testing.assert_array_equal(snap45.up[inter & ~high & same], True)
        lat_cuts += int(np.sum(inter & high))
    assert seam_cuts > 0 and lat_cuts > 0


def test_snapshot_graph_attributes_and_csgraph():
    r = np.array([[R + 600e3, 0, 0], [R + 600e3, 500e3, 0], [R + 600e3, 500e3, 700e3]], float)
    snap = TopologySnapshot.from_edges(3, [(1, 0), (1, 2), (0, 2)], np.linalg.norm(
        r[[1, 1, 0]] - r[[0, 2, 2]], axis=1), up=[True, True, False])
    assert snap.edges.tolist() == [[0, 1], [1, 2], [0, 2]]
    g = snap.to_graph(LinkConfig(processing_s=1e-3, rate_bps=1e9), bits=1e6)
    assert isinstance(g, nx.Graph) and g.number_of_nodes() == 3 and g.number_of_edges() == 3
    assert g.edges[0, 1]["length_km"] == pytest.approx(500.0)
    assert g.edges[1, 2]["latency_s"] == pytest.approx(700e3 / 299_792_458.0 + 1e-3 + 1e-3)
    assert g.edges[0, 2]["up"] is False and g.edges[0, 1]["up"] is True and g.edges[0, 1]["kind"] == "static"
    assert snap.to_graph(only_up=True).number_of_edges() == 2
    m = snap.csgraph(np.array([1.0, 2.0, 3.0]))
    assert m[0, 1] == m[1, 0] == 1.0 and m[1, 2] == 2.0 and m[0, 2] == 0.0
    back = TopologySnapshot.from_graph(g)
    as_dict = lambda s: {tuple(e): (round(l, 6), bool(u)) for e, l, u in  # noqa: E731
                         zip(s.edges.tolist(), s.length_m.tolist(), s.up.tolist())}
    assert as_dict(back) == as_dict(snap)


def test_walker_graph_is_consistent_with_arrays(walker1680):
    topo = GridTopology.from_constellation(walker1680)
    snap = topo.at(walker1680, 123.0)
    g = snap.to_graph()
    assert g.number_of_nodes() == 1680 and g.number_of_edges() == 3360
    i = 1234
    u, v = snap.edges[i]
    assert g.edges[u, v]["length_km"] == pytest.approx(snap.length_m[i] / 1e3)
    assert g.edges[u, v]["kind"] == ("intra" if snap.kind[i] == 0 else "inter")
    assert sum(d["up"] for _, _, d in g.edges(data=True)) == int(snap.up.sum())


def test_nearest_topology_against_brute_force():
    rng = np.random.default_rng(5)
    n, k = 300, 4
    x = rng.standard_normal((n, 3))
    r = (R + rng.uniform(500e3, 1200e3, n))[:, None] * x / np.linalg.norm(x, axis=1, keepdims=True)
    d = np.linalg.norm(r[:, None] - r[None], axis=2)
    rad = np.linalg.norm(r, axis=1)
    ok = d <= grazing_range_m(rad[:, None], rad[None])
    np.fill_diagonal(ok, False)
    d_ok = np.where(ok, d, np.inf)
    knn = np.argsort(d_ok, axis=1)[:, :k]
    chosen = np.zeros((n, n), bool)
    for i in range(n):
        for j in knn[i]:
            if np.isfinite(d_ok[i, j]):
                chosen[i, j] = True
    union = {frozenset((i, j)) for i, j in zip(*np.nonzero(chosen | chosen.T))}
    mutual = {frozenset((i, j)) for i, j in zip(*np.nonzero(chosen & chosen.T))}
    s_union = NearestTopology(n, k).snapshot(r)
    s_mut = NearestTopology(n, k, mutual=True).snapshot(r)
    assert {frozenset(map(int, e)) for e in s_union.edges} == union
    assert {frozenset(map(int, e)) for e in s_mut.edges} == mutual
    assert s_mut.degree().max() <= k
    assert np.all(s_union.degree() >= np.minimum(k, ok.sum(1)))
    np.testing.assert_allclose(s_union.length_m, d[s_union.edges[:, 0], s_union.edges[:, 1]])
    capped = NearestTopology(n, k, max_range_m=1_000e3).snapshot(r)
    assert capped.length_m.max() <= 1_000e3
    u = union_edges([s_union, s_mut, capped])
    assert {tuple(e) for e in u.tolist()} == {tuple(e) for s in (s_union, s_mut, capped) for e in s.edges.tolist()}
    assert len(u) == len({tuple(e) for e in u.tolist()})


def test_topology_bad_input_names_the_field():
    with pytest.raises(ValueError, match="max_lat_deg"):
        TopologyConfig(max_lat_deg=95)
    with pytest.raises(ValueError, match="max_lat_deg"):
        TopologyConfig(max_lat_deg="70")
    with pytest.raises(ValueError, match="grazing_height_m"):
        TopologyConfig(grazing_height_m=None)
    with pytest.raises(ValueError, match="NearestTopology.n"):
        NearestTopology(-3)
    with pytest.raises(ValueError, match="max_range_m"):
        NearestTopology(10, max_range_m="far")
    with pytest.raises(ValueError, match="planes"):
        GridTopology(0, 10)
    with pytest.raises(ValueError, match="k"):
        NearestTopology(10, k=0)
    with pytest.raises(ValueError, match="shape"):
        GridTopology(2, 3).snapshot(np.zeros((5, 3)), np.zeros((5, 3)))


def test_edge_rows_lookup_matches_dict(walker1680):
    snap = GridTopology.from_constellation(walker1680).at(walker1680, 0.0)
    rng = np.random.default_rng(8)
    rows = rng.integers(0, len(snap.edges), 200)
    u, v = snap.edges[rows, 0], snap.edges[rows, 1]
    np.testing.assert_array_equal(snap.edge_rows(v, u), rows)          # either order
    assert snap.edge_rows([0, 5], [700, 9]).tolist() == [-1, -1]       # not ISLs
    idx = snap.edge_index()
    assert all(idx[(int(a), int(b))] == r for a, b, r in zip(u, v, rows))


def test_for_constellation_picks_grid_for_walker_and_knn_for_tle(walker1680):
    from constellation.ephemeris import Constellation
    assert isinstance(for_constellation(walker1680), GridTopology)
    tle = Constellation.from_tle(walker1680.to_tle())            # same orbits, plane/slot unknown
    topo = for_constellation(tle, k=4)
    assert isinstance(topo, NearestTopology)
    snap = topo.at(tle, 0.0)
    assert snap.n == 1680 and snap.degree().min() >= 4
    assert snap.length_m.max() <= grazing_range_m(*(2 * [np.linalg.norm(tle.state_itrs(0.0)[0], axis=1).max()]))
