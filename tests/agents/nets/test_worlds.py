"""The mixed training distribution (agents.nets.worlds) and its batches."""
from __future__ import annotations

import numpy as np
import pytest

from agents.nets import worlds
from agents.nets.worlds import build_world, mixed_drops, walker_size, world_specs


def test_world_specs_cover_the_ranges_and_are_keyed_by_seed():
    specs = world_specs(2026)
    assert len(specs) == worlds.WALKER_WORLDS + worlds.CATALOG_WORLDS
    walk = [w for w in specs if w.kind == "walker"]
    alt = np.array([w.altitude_km for w in walk])
    inc = np.array([w.inclination_deg for w in walk])
    assert alt.min() >= 340 and alt.max() <= 1200 and alt.max() - alt.min() > 600
    assert inc.min() >= 43 and inc.max() <= 98 and inc.max() - inc.min() > 35
    assert world_specs(2026) == specs and world_specs(2027) != specs
    # world w's draws depend on (seed, w) only, not on how many worlds there are
    assert world_specs(2026, walkers=3, catalogs=0) == specs[:3]
    assert len({w.catalog_seed for w in specs if w.kind == "catalog"}) == worlds.CATALOG_WORLDS


def test_walker_size_keeps_the_default_density():
    assert walker_size(600.0) == (1680, 28)             # the Walker default, reproduced by the rule
    t340, t1200 = walker_size(340.0)[0], walker_size(1200.0)[0]
    assert t340 > 5 * 1680 and t1200 < 1680 / 3          # lower shells need many more satellites
    for h in (340.0, 777.0, 1200.0):
        t, p = walker_size(h)
        assert t % p == 0


def test_mixed_cells_are_identity_keyed_and_split(tmp_path):
    kw = dict(shapes=((2, 6), (4, 12)), walkers=2, catalogs=0, per_cell=10, progress=False, directory=tmp_path)
    train = mixed_drops(5, "train", **kw)
    val = mixed_drops(5, "val", **kw)
    assert [len(d) for d in train] == [2 * 8, 2 * 8] and [len(d) for d in val] == [2 * 1, 2 * 1]
    assert train[1].shape[1:3] == (4, 12)
    # cell (world 1, S=4, K=12), drop 3 == drawn on its own from that world's sequence (a second path)
    spec = world_specs(5, walkers=2, catalogs=0)[1]
    one = build_world(spec, 4, 12).draw_drops(1, np.random.SeedSequence([5, 1, 4, 12]), first=3).csi
    np.testing.assert_allclose(train[1].beta[8 + 3], one.beta[0], rtol=1e-12)
    np.testing.assert_allclose(train[1].g[8 + 3], one.g[0].astype(np.complex64), rtol=0, atol=1e-6)
    # cached: the second load reads the file, same numbers
    again = mixed_drops(5, "train", **kw)
    np.testing.assert_array_equal(again[0].beta, train[0].beta)


def test_catalog_world_has_no_transit_members():
    spec = next(w for w in world_specs(2026) if w.kind == "catalog")
    world = build_world(spec, 3, 6)
    con = world.constellation
    assert not con.transit.any() and 5000 < con.n < 7000         # real size, transit removed
    assert len(set(con.shell.tolist()) - {-1}) >= 6              # several shells
    drops = world.draw_drops(4, 1)
    assert drops.csi.shape[:3] == (4, 3, 6)
    # members by the rule of every satcoop command (connected over the ISLs), or the S nearest on request
    from network.selector import RegionSelector
    assert isinstance(world.selector, RegionSelector)
    assert build_world(spec, 3, 6, "nearest").selector is None


def test_epoch_batches_single_set_keeps_the_old_draws_and_groups_mix():
    from agents.experiments.train import _epoch_batches
    from agents.nets.dataset import POWERS_DBW

    class Fake:
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

    plan = _epoch_batches(Fake(70), np.random.default_rng([0, 1]), 32)
    rng = np.random.default_rng([0, 1])                  # what the shipped weights' runs drew
    perm, pdb = rng.permutation(70), np.asarray(POWERS_DBW)[rng.integers(0, 5, 70)]
    assert [len(i) for _, i, _ in plan] == [32, 32, 6]
    for step, (g, idx, p) in enumerate(plan):
        assert g == 0
        np.testing.assert_array_equal(idx, perm[32 * step:32 * (step + 1)])
        np.testing.assert_array_equal(p, pdb[idx])
    plan = _epoch_batches([Fake(70), Fake(40)], np.random.default_rng([0, 1]), 32)
    assert len(plan) == 3 + 2
    for g, n in ((0, 70), (1, 40)):
        rows = np.concatenate([i for gg, i, _ in plan if gg == g])
        assert sorted(rows.tolist()) == list(range(n))   # every row once per epoch


def test_bad_split_name():
    with pytest.raises(ValueError, match="split"):
        mixed_drops(1, "trian", walkers=1, catalogs=0, shapes=((2, 6),), per_cell=10, progress=False)
