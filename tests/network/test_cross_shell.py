"""Optional laser links across shells, against a brute-force second implementation (all pairwise distances)."""
from __future__ import annotations

import numpy as np
import pytest

from constellation.catalog import load_catalog
from constellation.synthetic import shell_with_transit, synthetic_catalog
from constellation.walker import WalkerDelta
from network.topology import (KIND_CROSS, KIND_NAMES, CrossShellConfig, CrossShellTopology, GridTopology,
                              for_constellation, grazing_range_m)

MIXED = (WalkerDelta(total=120, planes=12, phasing=5, altitude_km=550.0, inclination_deg=53.0),
         WalkerDelta(total=100, planes=10, phasing=3, altitude_km=570.0, inclination_deg=70.0),
         WalkerDelta(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    syn = synthetic_catalog(list(MIXED), np.random.default_rng(11), n_decaying=0)
    path = tmp_path_factory.mktemp("tle") / "mixed.tle"
    path.write_text(syn.to_tle())
    c, _ = load_catalog(tle=[path])
    return c


def _brute(r, group, k, max_range_m, mutual):
    """k nearest of another group within range and line of sight, for every satellite, by full distances."""
    n = r.shape[0]
    d = np.linalg.norm(r[:, None, :] - r[None, :, :], axis=-1)
    rad = np.linalg.norm(r, axis=1)
    los = grazing_range_m(rad[:, None], rad[None, :])
    ok = (group[:, None] != group[None, :]) & (group[:, None] >= 0) & (group[None, :] >= 0)
    ok &= (d <= max_range_m) & (d <= los)
    chosen = set()
    picks = {}
    for i in range(n):
        cand = np.flatnonzero(ok[i])
        near = cand[np.argsort(d[i, cand], kind="stable")][:k]
        picks[i] = set(near.tolist())
    for i, js in picks.items():
        for j in js:
            if not mutual or i in picks[j]:
                chosen.add((min(i, j), max(i, j)))
    return chosen


@pytest.mark.parametrize("k,max_range_km,mutual", [(1, 2000.0, False), (2, 1500.0, False), (3, 3000.0, True)])
@pytest.mark.parametrize("t_s", [0.0, 1234.0])
def test_cross_links_equal_the_brute_force_neighbours(mixed, k, max_range_km, mutual, t_s):
    c = mixed
    topo = for_constellation(c, cross_shell=CrossShellConfig(k=k, max_range_m=max_range_km * 1e3, mutual=mutual))
    assert isinstance(topo, CrossShellTopology)
    r, v = c.state_itrs(t_s)
    snap = topo.snapshot(r, v, t_s=t_s)
    cross = snap.kind == KIND_CROSS
    got = {tuple(e) for e in snap.edges[cross].tolist()}
    assert got == _brute(r, c.shell, k, max_range_km * 1e3, mutual)
    assert got                                             # the case is not vacuous
    # the base +Grid is kept as it is, and every cross link joins two shells, within range
    base = GridTopology.from_constellation(c).snapshot(r, v)
    assert np.array_equal(snap.edges[~cross], base.edges) and np.array_equal(snap.up[~cross], base.up)
    e = snap.edges[cross]
    assert np.all(c.shell[e[:, 0]] != c.shell[e[:, 1]]) and np.all(snap.length_m[cross] <= max_range_km * 1e3)
    assert np.all(snap.up[cross]) and "cross" in KIND_NAMES
    if mutual:
        assert np.bincount(e.ravel(), minlength=c.n).max() <= k


def test_cross_links_are_off_by_default_and_join_the_shells(mixed):
    from scipy.sparse.csgraph import connected_components
    c = mixed
    r, v = c.state_itrs(0.0)
    plain = for_constellation(c).snapshot(r, v)
    assert not np.any(plain.kind == KIND_CROSS)
    n_plain, _ = connected_components(plain.csgraph(np.ones(len(plain.edges))), directed=False)
    linked = for_constellation(c, cross_shell=CrossShellConfig()).snapshot(r, v)
    n_linked, _ = connected_components(linked.csgraph(np.ones(len(linked.edges))), directed=False)
    assert n_plain >= 3 and n_linked < n_plain


def test_transit_satellites_get_no_links_unless_included(tmp_path):
    syn = shell_with_transit(np.random.default_rng(1))
    path = tmp_path / "t.tle"
    path.write_text(syn.to_tle())
    c, _ = load_catalog(tle=[path])
    r, v = c.state_itrs(0.0)
    assert c.transit.sum() > 100
    snap = for_constellation(c, cross_shell=CrossShellConfig(k=2)).snapshot(r, v)
    deg = np.bincount(snap.edges.ravel(), minlength=c.n)
    assert np.all(deg[c.transit] == 0)
    assert not np.any(snap.kind == KIND_CROSS)            # one shell: nothing to link across
    snap = for_constellation(c, cross_shell=CrossShellConfig(k=2, include_transit=True)).snapshot(r, v)
    deg = np.bincount(snap.edges.ravel(), minlength=c.n)
    assert np.mean(deg[c.transit] >= 1) > 0.9
    e = snap.edges[snap.kind == KIND_CROSS]
    assert np.all(c.transit[e[:, 0]] | c.transit[e[:, 1]])   # each cross link has a transit end
    # brute force with each transit satellite its own group
    group = c.shell.copy()
    idx = np.flatnonzero(c.transit)
    group[idx] = 1 + np.arange(idx.size)
    assert {tuple(x) for x in e.tolist()} == _brute(r, group, 2, 2000e3, False)


def test_cross_shell_config_and_inputs_are_checked(mixed):
    with pytest.raises(ValueError, match=r"CrossShellConfig.k must be an integer >= 1, got 0"):
        CrossShellConfig(k=0)
    with pytest.raises(ValueError, match=r"CrossShellConfig.max_range_m = -1.0: must be a finite range > 0 m"):
        CrossShellConfig(max_range_m=-1.0)
    from constellation.ephemeris import Constellation
    plain = Constellation(mixed.satrecs)                      # element sets without inferred shells
    with pytest.raises(ValueError, match="cross_shell links need the shells"):
        for_constellation(plain, mode="knn", cross_shell=CrossShellConfig())
    with pytest.raises(ValueError, match=r"shell must be an integer array of shape \(286,\)"):
        CrossShellTopology(GridTopology.from_constellation(mixed), np.zeros(3, int))
