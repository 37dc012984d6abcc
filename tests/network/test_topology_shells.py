"""+Grid for inferred shells, multi-shell and star Walkers; k-nearest within a shell; absent satellites.

Independent truths: the Walker +Grid (pattern formula) is a second implementation of the inferred
+Grid on an unperturbed Walker; the seam of a Walker-star is where the ascending/descending rule
cuts; relative motion of +Grid neighbours is small (range rate ~ 0) while k-nearest on mixed
shells joins crossing orbits.
"""
from __future__ import annotations

import numpy as np
import pytest

from constellation.catalog import load_catalog
from constellation.ephemeris import Constellation
from constellation.synthetic import synthetic_catalog
from constellation.walker import WalkerDelta
from network.topology import (KIND_INTER, REASON_ABSENT, REASON_NAMES, REASON_SEAM, GridTopology,
                              NearestTopology, for_constellation, link_dynamics)

MIXED = (WalkerDelta(total=120, planes=12, phasing=5, altitude_km=550.0, inclination_deg=53.0),
         WalkerDelta(total=100, planes=10, phasing=3, altitude_km=570.0, inclination_deg=70.0),
         WalkerDelta(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    syn = synthetic_catalog(list(MIXED), np.random.default_rng(11), n_decaying=0, n_duplicates=5)
    path = tmp_path_factory.mktemp("tle") / "mixed.tle"
    path.write_text(syn.to_tle())
    c, prov = load_catalog(tle=[path])
    return path, c, prov


def _edge_set(edges, relabel=None):
    e = np.asarray(edges)
    if relabel is not None:
        e = relabel[e]
    return {tuple(sorted(x)) for x in e.tolist()}


@pytest.mark.parametrize("phasing", [1, 3])
def test_inferred_grid_equals_the_walker_grid_on_an_unperturbed_walker(tmp_path, phasing):
    """Element sets of an exact Walker-delta (TLE round trip): the inferred +Grid has exactly the
    Walker pattern's links, the wrap-around plane included (phase shift F found by the pairing),
    when the pattern's same-slot neighbour is also the nearest one (planes dense enough: 24 planes
    15 deg apart, 10 per plane; with 12 planes 30 deg apart the previous slot is nearer, see below)."""
    w = WalkerDelta(total=240, planes=24, phasing=phasing, altitude_km=550.0, inclination_deg=53.0)
    walker = Constellation.walker(w)
    path = tmp_path / "w.tle"
    path.write_text(walker.to_tle())
    c, prov = load_catalog(tle=[path])
    assert c.n == 240 and prov["shells"][0]["planes"] == 24
    inferred = GridTopology.from_constellation(c)
    reference = GridTopology.from_constellation(walker)
    # map inferred indices to walker indices through the NORAD ids (walker satnum = index + 1)
    to_walker = c.norad_id - 1
    assert _edge_set(inferred.edges, to_walker) == _edge_set(reference.edges)
    kinds_ref = {tuple(e): k for e, k in zip(reference.edges.tolist(), reference.kind.tolist())}
    for e, k in zip(inferred.edges.tolist(), inferred.kind.tolist()):
        assert kinds_ref[tuple(sorted(to_walker[e].tolist()))] == k


@pytest.mark.parametrize("phasing", [1, 5])
def test_inferred_pairing_is_never_longer_than_the_pattern_pairing(tmp_path, phasing):
    """12 planes 30 deg apart, 10 per plane: the pattern's same-slot partner is not always the nearest
    satellite of the next plane; the inferred pairing minimises the summed distance, so its
    inter-plane links are never longer in total (and still one per satellite each way)."""
    w = WalkerDelta(total=120, planes=12, phasing=phasing, altitude_km=550.0, inclination_deg=53.0)
    walker = Constellation.walker(w)
    path = tmp_path / "w.tle"
    path.write_text(walker.to_tle())
    c, _ = load_catalog(tle=[path])
    inferred = GridTopology.from_constellation(c).at(c, 0.0)
    reference = GridTopology.from_constellation(walker).at(walker, 0.0)
    li = inferred.length_m[inferred.kind == KIND_INTER].sum()
    lr = reference.length_m[reference.kind == KIND_INTER].sum()
    assert li <= lr * (1 + 1e-9)
    assert np.array_equal(np.sort(np.bincount(inferred.edges.ravel())), np.full(120, 4))


def test_inferred_grid_degree_four_and_no_cross_shell_links(mixed):
    path, c, prov = mixed
    grid = for_constellation(c)                       # grid mode: inferred structure
    assert isinstance(grid, GridTopology)
    deg = np.bincount(grid.edges.ravel(), minlength=c.n)
    assigned = c.shell >= 0
    assert np.all(deg[assigned] == 4) and np.all(deg[~assigned] == 0)
    assert np.all(c.shell[grid.edges[:, 0]] == c.shell[grid.edges[:, 1]])
    inter = grid.edges[grid.kind == KIND_INTER]
    # inter-plane links join adjacent planes only (cyclically, within a shell)
    for s, info in enumerate(prov["shells"]):
        e = inter[c.shell[inter[:, 0]] == s]
        dp = np.abs(c.plane[e[:, 0]] - c.plane[e[:, 1]])
        assert set(np.unique(dp).tolist()) <= {1, info["planes"] - 1}


def test_star_seam_links_are_the_cut_ones(mixed):
    """Over one orbit, inter-plane links across the star's seam (planes 5 <-> 0) are up far less
    than the co-rotating ones: the seam rule (one end ascending, the other descending) cuts them."""  # noqa
    path, c, prov = mixed
    star = [s for s, info in enumerate(prov["shells"]) if abs(info["inclination_deg"] - 86.4) < 0.1][0]
    grid = GridTopology.from_constellation(c)
    e = grid.edges
    in_star = (grid.kind == KIND_INTER) & (c.shell[e[:, 0]] == star)
    dp = np.abs(c.plane[e[:, 0]] - c.plane[e[:, 1]])
    seam = in_star & (dp == 5)
    co = in_star & (dp == 1)
    assert seam.sum() == 11 and co.sum() == 55          # 1 seam pair and 5 co-rotating pairs of planes
    up_seam, up_co, seam_reason = [], [], []
    for t in np.arange(0.0, 6000.0, 300.0):
        snap = grid.at(c, t)
        up_seam.append(snap.up[seam].mean())
        up_co.append(snap.up[co].mean())
        seam_reason.append(np.mean(snap.reason[seam] == REASON_SEAM))
    assert np.mean(up_co) > 0.6 and np.mean(up_seam) < 0.25
    # at the reference time (when the seam pairs were chosen, nearest) the seam rule is what cuts them;
    # afterwards the counter-rotating partners fly apart and range / latitude cut them as well
    assert seam_reason[0] > 0.5


def test_link_dynamics_grid_vs_knn_on_mixed_shells(mixed, tmp_path):
    """+Grid links are nearly rigid; k-nearest on the raw mixed file links crossing orbits of different
    inclination, which move apart at km/s and break within a minute."""
    path, c, prov = mixed
    t = np.arange(0.0, 900.0, 30.0)
    g = link_dynamics(for_constellation(c), c, t)
    assert g["cross_shell"] == 0.0 and g["inclination_mismatch_5deg"] == 0.0
    assert g["survival"] > 0.97 and g["range_rate_km_s_median"] < 0.05
    raw = Constellation.from_tle(path)
    k = link_dynamics(NearestTopology(raw.n, 4), raw, t)
    assert k["inclination_mismatch_5deg"] > 0.05
    assert k["survival"] < g["survival"] - 0.1
    assert k["range_rate_km_s_median"] > 10 * g["range_rate_km_s_median"]
    kn = link_dynamics(for_constellation(c, mode="knn"), c, t)          # k-nearest within a shell
    assert kn["cross_shell"] == 0.0 and kn["inclination_mismatch_5deg"] == 0.0
    # co-moving k-nearest: only neighbours flying within 30 deg of one's own direction
    co_topo = for_constellation(c, mode="knn", max_velocity_angle_deg=30.0)
    co = link_dynamics(co_topo, c, t)
    assert co["survival"] > kn["survival"] and co["relative_speed_km_s_median"] < kn["relative_speed_km_s_median"]
    r, v = c.state_itrs(0.0)
    snap = co_topo.snapshot(r, v)
    vh = v / np.linalg.norm(v, axis=1, keepdims=True)
    cos = np.sum(vh[snap.edges[:, 0]] * vh[snap.edges[:, 1]], axis=1)
    assert np.all(cos >= np.cos(np.radians(30.0)) - 1e-12)
    with pytest.raises(ValueError, match="needs the velocities"):
        co_topo.snapshot(r)
    with pytest.raises(ValueError, match="ascending 1-D array"):
        link_dynamics(for_constellation(c), c, [0.0])


def test_absent_satellites_take_their_links_down(mixed):
    path, c, prov = mixed
    grid = GridTopology.from_constellation(c)
    r, v = c.state_itrs(0.0)
    gone = int(np.flatnonzero(c.shell >= 0)[0])
    r[gone] = np.nan
    v[gone] = np.nan
    snap = grid.snapshot(r, v)
    mine = (snap.edges == gone).any(axis=1)
    assert mine.sum() == 4 and np.all(snap.reason[mine] == REASON_ABSENT) and not snap.up[mine].any()
    assert REASON_NAMES[REASON_ABSENT] == "absent"
    assert snap.degree()[gone] == 0
    knn = NearestTopology(c.n, 4, groups=c.shell)
    s2 = knn.snapshot(r, v)
    assert gone not in s2.edges
    assert np.all(c.shell[s2.edges[:, 0]] == c.shell[s2.edges[:, 1]])
    assert not np.isin(np.flatnonzero(c.shell < 0), s2.edges).any()
    with pytest.raises(ValueError, match="groups must be an integer array"):
        NearestTopology(c.n, 4, groups=np.zeros(3, int))


def test_multi_shell_walker_grid_is_one_grid_per_shell():
    shells = [WalkerDelta(total=40, planes=4, phasing=1, altitude_km=550, inclination_deg=53),
              WalkerDelta(total=18, planes=3, phasing=1, altitude_km=780, inclination_deg=86.4, kind="star")]
    c = Constellation.walker_shells(shells)
    grid = for_constellation(c)
    ref = [GridTopology.from_walker(w) for w in shells]
    expect = _edge_set(ref[0].edges) | _edge_set(ref[1].edges + 40)
    assert _edge_set(grid.edges) == expect
    snap = grid.at(c, 0.0)
    assert snap.n == 58 and snap.up.any()
    with pytest.raises(ValueError, match="mode must be 'grid' or 'knn'"):
        for_constellation(c, mode="mesh")
