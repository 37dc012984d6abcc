"""Randomness keyed by identity: drop i = f(seed, i); a link's large-scale draw = f(key, satellite id, UT id)."""
import numpy as np
import pytest
from scipy import stats

from constellation import keyed
from constellation.channel import ChannelConfig, LinkLargeScale
from constellation.ephemeris import Constellation
from constellation.ntn import fspl_db, ntn_table
from constellation.scenario import World, WorldConfig

FIELDS = ("sat_ids", "t_s", "center_lat_deg", "center_lon_deg", "ut_lat_deg", "ut_itrs_m", "sat_itrs_m",
          "ut_heading_rad", "drop_index", "link_key")


@pytest.fixture(scope="module")
def world():
    return World(WorldConfig(S=3, K=6))


def assert_same_drops(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("g", "beta", "kappa", "sigma"):
        np.testing.assert_array_equal(getattr(a.csi, name), getattr(b.csi, name), err_msg=name)
    np.testing.assert_array_equal(a.large_scale.shadow_z, b.large_scale.shadow_z)
    np.testing.assert_array_equal(a.large_scale.kappa_z, b.large_scale.kappa_z)


def test_drop_i_is_a_function_of_seed_and_i_whatever_the_batch(world):
    four = world.draw_drops(4, 2026)
    eight = world.draw_drops(8, 2026)
    assert_same_drops(four, eight.take(slice(0, 4)))
    assert_same_drops(four, world.draw_drops(4, 2026, first=0))
    assert_same_drops(eight.take([5]), world.draw_drops(1, 2026, first=5))
    assert_same_drops(eight.take(slice(3, 8)), world.draw_drops(5, 2026, first=3))   # chunked sweeps agree
    np.testing.assert_array_equal(eight.drop_index, np.arange(8))
    # ... and the drops are genuinely different from each other and from another seed's
    assert len(set(eight.t_s.tolist())) == 8 and len(set(eight.link_key.tolist())) == 8
    other = world.draw_drops(8, 2027)
    assert not np.any(np.isclose(other.t_s, eight.t_s))
    assert not np.allclose(other.large_scale.shadow_z, eight.large_scale.shadow_z)


def test_redrawn_drops_are_keyed_too():
    # 40 satellites and 100 km regions: most first draws see < 2 satellites, so nearly every drop is
    # redrawn, several rounds, while other drops of the batch are done: still drop j == solo drop j.
    w = World(WorldConfig(S=2, K=3, radius_km=100.0, max_redraws=300), Constellation.walker(total=40, planes=4))
    batch = w.draw_drops(6, 11)
    for j in (0, 4):
        assert_same_drops(batch.take([j]), w.draw_drops(1, 11, first=j))
    first_round = w._keyed_round(keyed.seed_key(11), np.arange(6), 0, None, None, None, True, True)
    redrawn = ~np.isclose(first_round[2], batch.t_s)
    assert redrawn.sum() >= 3, "the sparse constellation should force redraws"
    assert np.degrees(batch.csi.elevation).min() >= 10.0


def test_seed_forms_and_errors(world):
    gen_seed = int(np.random.default_rng(7).integers(0, 2**63))
    assert_same_drops(world.draw_drops(2, np.random.default_rng(7)), world.draw_drops(2, gen_seed))
    assert_same_drops(world.draw_drops(2, np.random.SeedSequence(5)), world.draw_drops(2, 5))
    for bad in (-1, 1.5, "x", None, True):
        with pytest.raises(ValueError, match="seed"):
            world.draw_drops(1, bad)
    with pytest.raises(ValueError, match="first"):
        world.draw_drops(1, 0, first=-2)


def test_link_draws_follow_the_satellite_and_ut_not_the_slot():
    key = keyed.seed_key(99)
    uts = np.arange(5)
    a = LinkLargeScale.keyed(key, [17, 4, 230], uts)
    b = LinkLargeScale.keyed(key, [230, 17, 901], uts)           # 4 left, 901 joined, order changed
    np.testing.assert_array_equal(a.shadow_z[0, 0], b.shadow_z[0, 1])     # satellite 17
    np.testing.assert_array_equal(a.kappa_z[0, 2], b.kappa_z[0, 0])       # satellite 230
    perm = LinkLargeScale.keyed(key, [230, 4, 17], uts[::-1])
    np.testing.assert_array_equal(perm.shadow_z[0], a.shadow_z[0, ::-1, ::-1])
    # batched keys and ids: row b of a batched call == the single call with that row's key and ids
    keys = keyed.child_key(key, np.arange(3))
    sats = np.array([[1, 2], [2, 1], [7, 8]])
    batched = LinkLargeScale.keyed(keys, sats, uts)
    assert batched.shape == (3, 2, 5)
    for i in range(3):
        np.testing.assert_array_equal(batched.shadow_z[i], LinkLargeScale.keyed(keys[i], sats[i], uts).shadow_z[0])
    assert not np.allclose(batched.shadow_z[0, 0], batched.shadow_z[1, 1])   # same sat/UTs, other drop key
    other = LinkLargeScale.keyed(keyed.seed_key(100), [17, 4, 230], uts)
    assert not np.any(np.isclose(other.shadow_z, a.shadow_z))
    assert not np.any(np.isclose(a.shadow_z, a.kappa_z))                 # independent quantities per link
    with pytest.raises(ValueError, match="batch"):
        LinkLargeScale.keyed(keys, np.zeros((2, 2), int), uts)


def test_keyed_scores_are_independent_standard_normals():
    ls = LinkLargeScale.keyed(keyed.seed_key(3), np.arange(400), np.arange(250))     # 100,000 links
    for z in (ls.shadow_z.ravel(), ls.kappa_z.ravel()):
        assert stats.kstest(z, "norm").pvalue > 1e-3
    n = ls.shadow_z.size
    assert abs(np.corrcoef(ls.shadow_z.ravel(), ls.kappa_z.ravel())[0, 1]) < 4 / np.sqrt(n)
    # neighbouring satellites / UTs are uncorrelated (a weak hash would correlate consecutive ids)
    z = ls.shadow_z[0]
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 4 / np.sqrt(z[1:].size)
    assert abs(np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]) < 4 / np.sqrt(z[:, 1:].size)
    u = keyed.uniform(keyed.seed_key(0), 1, np.arange(200_000))
    assert 0 < u.min() and u.max() < 1
    counts = np.histogram2d(u[:-1], u[1:], bins=10, range=[[0, 1], [0, 1]])[0]
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3                     # serial pairs uniform


def test_shadowing_spread_matches_the_table(world):
    # beta_dB = array gain - FSPL - sigma_SF z: over 200 drops x 18 links the residual's std must be the
    # table's sigma_SF (urban LOS: 4 dB at every elevation) within sampling error (~0.05 dB).
    w = World(WorldConfig(S=3, K=6))
    d = w.draw_drops(200, 31)
    ch = ChannelConfig()
    sf_db = ch.array_gain_db - fspl_db(d.csi.range_m, ch.carrier_hz) - 10 * np.log10(d.csi.beta)
    sigma = ntn_table("urban").shadow_sigma_db(np.degrees(d.csi.elevation))
    z = sf_db / sigma
    np.testing.assert_allclose(z, d.large_scale.shadow_z, atol=1e-9)
    assert np.std(sf_db) == pytest.approx(4.0, abs=4 * 4.0 / np.sqrt(2 * z.size))
    assert abs(np.mean(z)) < 4 / np.sqrt(z.size)


def test_evolve_with_precomputed_states_and_handover(world):
    d0 = world.draw_drops(3, 8)
    dt = 5.0
    ref = world.evolve(d0, dt)
    r, v = world.constellation.state_itrs(d0.t_s + dt)                       # [B,n,3]
    shared = world.evolve(d0, dt, states=(r, v))
    np.testing.assert_array_equal(shared.csi.beta, ref.csi.beta)
    np.testing.assert_array_equal(shared.sat_itrs_m, ref.sat_itrs_m)
    # one instant shared by all drops: states [n,3]
    one = world.draw_drops(2, 8, t_s=100.0)
    r1, v1 = world.constellation.state_itrs(100.0 + dt)
    np.testing.assert_allclose(world.evolve(one, dt, states=(r1, v1)).csi.g, world.evolve(one, dt).csi.g,
                               atol=1e-12)
    with pytest.raises(ValueError, match="states"):
        world.evolve(d0, dt, states=(r[:, :5], v[:, :5]))
    # handover: satellite in slot 0 is replaced; the kept satellites keep their link draws
    new = d0.sat_ids.copy()
    new[:, 0] = (d0.sat_ids.max() + 1 + np.arange(3)) % world.constellation.n
    h = world.evolve(d0, 0.0, speed_kmh=0.0, sat_ids=new)
    np.testing.assert_array_equal(h.sat_ids, new)
    np.testing.assert_array_equal(h.large_scale.shadow_z[:, 1:], d0.large_scale.shadow_z[:, 1:])
    assert not np.any(np.isclose(h.large_scale.shadow_z[:, 0], d0.large_scale.shadow_z[:, 0]))
    back = world.evolve(h, 0.0, speed_kmh=0.0, sat_ids=d0.sat_ids)              # the satellite comes back
    np.testing.assert_array_equal(back.large_scale.kappa_z, d0.large_scale.kappa_z)
    np.testing.assert_allclose(back.csi.beta, d0.csi.beta, rtol=1e-12)
