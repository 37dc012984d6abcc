"""The one selection every command uses (network.selector.RegionSelector through World.draw_drops), on
real-size Starlink-shaped synthetic catalogues, checked against independent truths:

- a second implementation: networkx Dijkstra on the snapshot's graph of the links up (latency weights)
  gives every member pair's latency; the elevation of each member from each UT recomputed from positions;
- a limiting case: on the Walker default, when the S nearest are within the bound the selection is them;
- the old rule on the same catalogues: "nearest" members are often in different shells and unreachable.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from agents.config.cooperation import SelectionFields
from constellation.catalog import load_catalog
from constellation.checks import BadInput
from constellation.frames import enu_basis, geodetic_to_itrs
from constellation.scenario import World, WorldConfig
from constellation.synthetic import starlink_like_catalog
from network.links import LinkConfig
from network.selector import selector_for

CITIES = (("Paris", 48.85, 2.35), ("New York", 40.71, -74.01), ("Tokyo", 35.68, 139.69),
          ("Sydney", -33.87, 151.21), ("Sao Paulo", -23.55, -46.63), ("Cape Town", -33.92, 18.42),
          ("Delhi", 28.61, 77.21), ("Nairobi", -1.29, 36.82), ("Los Angeles", 34.05, -118.24),
          ("Singapore", 1.35, 103.82), ("Buenos Aires", -34.60, -58.38), ("Reykjavik", 64.15, -21.94))
CLAT = np.array([c[1] for c in CITIES])
CLON = np.array([c[2] for c in CITIES])


def _catalogue(seed, tmp_path_factory):
    syn = starlink_like_catalog(np.random.default_rng(seed))
    path = tmp_path_factory.mktemp(f"star{seed}") / "starlike.tle"
    path.write_text(syn.to_tle())
    return load_catalog(tle=[str(path)])[0]


@pytest.fixture(scope="module", params=[0, 1, 2])
def starlike(request, tmp_path_factory):
    return _catalogue(request.param, tmp_path_factory)


def _truth_latency(snapshot, members):
    """Member-to-member min latency (s) over the links up, by networkx (independent of scipy's csgraph)."""
    g = snapshot.to_graph(LinkConfig(), only_up=True)
    out = np.zeros((len(members), len(members)))
    for i, a in enumerate(members):
        d = nx.single_source_dijkstra_path_length(g, int(a), weight="latency_s")
        out[i] = [d.get(int(b), np.inf) for b in members]
    return out


def test_connected_members_are_mutually_reachable_at_12_centres(starlike):
    c = starlike
    sel = selector_for(c, SelectionFields(), 3, 10.0)
    world = World(WorldConfig(S=3, K=6), constellation=c, selector=sel)
    t = 1234.5
    d = world.draw_drops(len(CITIES), 7, center=(CLAT, CLON), t_s=t)   # fixed centres and time: no redraw
    r, v = c.state_itrs(t)
    snap = sel.topology.snapshot(r, v, t_s=t)
    for b in range(len(CITIES)):
        m = d.sat_ids[b]
        lat = _truth_latency(snap, m)
        assert np.all(lat[~np.eye(3, dtype=bool)] <= 0.05), (CITIES[b][0], m, lat)
        assert not c.transit[m].any()
        # every member above the 10 deg mask for every UT (elevation recomputed from positions)
        for k in range(d.ut_itrs_m.shape[1]):
            los = r[m] - d.ut_itrs_m[b, k]
            up = enu_basis(d.ut_lat_deg[b, k], d.ut_lon_deg[b, k])[2]
            el = np.degrees(np.arcsin(los @ up / np.linalg.norm(los, axis=1)))
            assert np.all(el >= 10.0 - 1e-9)


def test_nearest_members_of_the_same_regions_are_often_unreachable(starlike):
    """The failure of the old rule: at most of the city centres the S nearest span shells without links."""
    c = starlike
    sel = selector_for(c, SelectionFields(selection="nearest"), 3, 10.0)
    world = World(WorldConfig(S=3, K=6), constellation=c, selector=sel)
    t = 1234.5
    d = world.draw_drops(len(CITIES), 7, center=(CLAT, CLON), t_s=t)
    r, v = c.state_itrs(t)
    snap = sel.topology.snapshot(r, v, t_s=t)
    bad = [not np.all(_truth_latency(snap, d.sat_ids[b])[~np.eye(3, dtype=bool)] <= 0.05)
           for b in range(len(CITIES))]
    assert sum(bad) >= len(CITIES) // 2


def test_no_connected_set_is_one_line_naming_the_region(tmp_path_factory):
    c = _catalogue(0, tmp_path_factory)
    sel = selector_for(c, SelectionFields(max_member_latency_s=1e-4), 3, 10.0)     # below one hop
    world = World(WorldConfig(S=3, K=4), constellation=c, selector=sel)
    with pytest.raises(BadInput) as e:
        world.draw_drops(1, 0, center=(48.85, 2.35), t_s=100.0)
    msg = str(e.value)
    assert "\n" not in msg and "region centred at (48.850, 2.350)" in msg
    assert "no 3 of the" in msg and "mutually reachable" in msg and "max_member_latency_s = 0.0001" in msg
    # the explicit option: the best partial set instead
    part = World(WorldConfig(S=3, K=4), constellation=c,
                 selector=selector_for(c, SelectionFields(max_member_latency_s=1e-4, partial=True), 3, 10.0))
    d = part.draw_drops(1, 0, center=(48.85, 2.35), t_s=100.0)
    assert (d.sat_ids >= 0).all() and len(set(d.sat_ids[0].tolist())) == 3


def test_walker_default_connected_is_nearest_when_the_nearest_are_within_the_bound():
    """Limiting case on the single-shell Walker default: with a bound above every nearest set's latency
    (200 ms; the nearest sets of random regions reach ~140 ms, crossing planes) the two rules agree."""
    base = World(WorldConfig(S=3, K=6))
    near = base.draw_drops(40, 3)
    wide = World(WorldConfig(S=3, K=6), selector=selector_for(base.constellation,
                                                              SelectionFields(max_member_latency_s=0.5), 3, 10.0))
    assert np.array_equal(wide.draw_drops(40, 3).sat_ids, near.sat_ids)
    # with the 50 ms default the chosen sets are reachable, and differ from the nearest where those are not
    conn = World(WorldConfig(S=3, K=6), selector=selector_for(base.constellation, SelectionFields(), 3, 10.0))
    d = conn.draw_drops(40, 3)
    assert np.array_equal(d.t_s, near.t_s)                         # same drops (no redraw needed)
    sel = conn.selector
    for b in range(0, 40, 8):
        r, v = base.constellation.state_itrs(float(d.t_s[b]))
        lat = _truth_latency(sel.topology.snapshot(r, v, t_s=float(d.t_s[b])), d.sat_ids[b])
        assert np.all(lat <= 0.05)
        near_lat = _truth_latency(sel.topology.snapshot(r, v, t_s=float(d.t_s[b])), near.sat_ids[b])
        assert np.array_equal(d.sat_ids[b], near.sat_ids[b]) == bool(np.all(near_lat <= 0.05))


def test_cross_shell_links_join_shells(starlike):
    """With links across shells the nearest satellites of different shells can cooperate: the connected
    set is at least as near (summed distance to the centre) as without them."""
    from network.topology import CrossShellConfig
    c = starlike
    t = 500.0
    plain = selector_for(c, SelectionFields(), 3, 10.0)
    cross = selector_for(c, SelectionFields(), 3, 10.0, cross_shell=CrossShellConfig(k=2, max_range_m=2000e3))
    r, v = c.state_itrs(t)
    ut = geodetic_to_itrs(CLAT[:, None], CLON[:, None], 0.0)           # one UT at each centre
    a = plain.select(r, v, t, ut, CLAT, CLON)
    b = cross.select(r, v, t, ut, CLAT, CLON)
    centre = geodetic_to_itrs(CLAT, CLON, 0.0)
    dist = lambda m: np.linalg.norm(r[m] - centre[:, None, :], axis=-1).sum(axis=1)
    ok = (a.members >= 0).all(axis=1) & (b.members >= 0).all(axis=1)
    assert ok.sum() >= 10
    assert np.all(dist(b.members[ok]) <= dist(a.members[ok]) + 1e-6)
    assert np.any(np.array([len(set(s.tolist())) > 1 for s in b.shell[ok]]))   # some set spans shells
