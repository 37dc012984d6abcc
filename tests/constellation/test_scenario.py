"""World.draw_drops: shapes, determinism, coverage, the elevation mask, redraw and errors."""
import numpy as np
import pytest

from constellation.channel import ChannelConfig
from constellation.ephemeris import Constellation
from constellation import keyed
from constellation.frames import look_angles
from constellation.scenario import World, WorldConfig


@pytest.fixture(scope="module")
def world():
    return World(WorldConfig(S=3, K=6))


def test_draw_drops_shapes_and_geometry(world):
    d = world.draw_drops(8, np.random.default_rng(0))
    assert d.csi.shape == (8, 3, 6, 64, 4)
    assert d.sat_ids.shape == (8, 3) and d.ut_itrs_m.shape == (8, 6, 3)
    assert np.all(np.abs(d.center_lat_deg) <= 53.0)
    assert np.all((d.t_s >= 0) & (d.t_s < world.period_s))
    assert world.period_s == pytest.approx(5801, abs=5)            # 600 km LEO, ~96.7 min
    for b in range(8):
        assert len(set(d.sat_ids[b])) == 3
    # Every selected satellite is above the mask for every UT (independent look-angle code).
    r, _ = world.constellation.state_itrs(d.t_s)
    sat = r[np.arange(8)[:, None], d.sat_ids]                        # [B,S,3]
    np.testing.assert_allclose(sat, d.sat_itrs_m)
    el, _, rng_m = look_angles(d.ut_itrs_m[:, None], d.ut_lat_deg[:, None], d.ut_lon_deg[:, None],
                               sat[:, :, None, :])
    assert np.degrees(el).min() >= 10.0
    np.testing.assert_allclose(el, d.csi.elevation, atol=1e-9)
    np.testing.assert_allclose(rng_m, d.csi.range_m, rtol=1e-12)
    # Attitude equals the ephemeris' own body axes.
    axes = world.constellation.body_axes(d.t_s)[np.arange(8)[:, None], d.sat_ids]
    np.testing.assert_allclose(d.sat_axes, axes, atol=1e-12)
    np.testing.assert_allclose(np.trace(d.csi.sigma, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(d.csi.noise_w, ChannelConfig().noise_w)


def test_random_centres_are_uniform_over_the_area_of_the_coverage_band(world):
    # Area of the band |lat| <= x is proportional to sin(x): half the centres lie within
    # |lat| <= arcsin(sin(53 deg) / 2) = 23.5 deg (uniform in latitude would put half within 26.5 deg).
    lat, lon, t, _, _ = world._keyed_round(keyed.seed_key(4), np.arange(20_000), 0, None, None, None, True, True)
    assert t.min() >= 0 and t.max() < world.period_s
    assert np.abs(lat).max() <= 53.0
    half = np.degrees(np.arcsin(np.sin(np.radians(53.0)) / 2))
    assert np.mean(np.abs(lat) <= half) == pytest.approx(0.5, abs=4 * 0.5 / np.sqrt(20_000))
    assert np.mean(lat > 0) == pytest.approx(0.5, abs=0.015) and np.mean(lon > 90) == pytest.approx(0.25, abs=0.015)


def test_same_seed_same_drops(world):
    a = world.draw_drops(4, 42)
    b = world.draw_drops(4, 42)
    c = world.draw_drops(4, 43)
    for name in ("sat_ids", "t_s", "center_lat_deg", "ut_itrs_m"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("g", "beta", "kappa", "sigma"):
        np.testing.assert_array_equal(getattr(a.csi, name), getattr(b.csi, name))
    np.testing.assert_array_equal(a.large_scale.kappa_z, b.large_scale.kappa_z)
    assert not np.array_equal(a.t_s, c.t_s)


def test_fixed_center_and_time(world):
    d = world.draw_drops(3, np.random.default_rng(1), center=(48.85, 2.35), t_s=[0.0, 600.0, 1200.0])
    np.testing.assert_allclose(d.center_lat_deg, 48.85)
    np.testing.assert_allclose(d.t_s, [0.0, 600.0, 1200.0])
    sub = d.take([2, 0])
    np.testing.assert_array_equal(sub.sat_ids, d.sat_ids[[2, 0]])
    np.testing.assert_array_equal(sub.csi.beta, d.csi.beta[[2, 0]])


def test_unreachable_region_gives_clear_error():
    # A 53-deg shell at 600 km never rises 10 deg above a UT near the pole.
    w = World(WorldConfig(S=3, K=4, max_redraws=2))
    with pytest.raises(ValueError, match=r"only 0 satellites .*min_elevation_deg=10.*S=3"):
        w.draw_drops(2, np.random.default_rng(0), center=(89.0, 0.0))
    with pytest.raises(ValueError, match="center_lat_deg"):
        w.draw_drops(1, np.random.default_rng(0), center=(95.0, 0.0))
    with pytest.raises(ValueError, match="batch"):
        w.draw_drops(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="WorldConfig.S"):
        WorldConfig(S=0)


def test_sparse_constellation_redraws_until_s_qualify():
    # 40 satellites: most random (centre, time) pairs see < 2 satellites; redraws must succeed.
    w = World(WorldConfig(S=2, K=3, radius_km=100.0, max_redraws=200), Constellation.walker(total=40, planes=4))
    d = w.draw_drops(3, np.random.default_rng(3))
    assert np.degrees(d.csi.elevation).min() >= 10.0


def test_time_and_centre_ranges_follow_the_constellation_not_the_default_pattern():
    # A polar 1200 km shell passed in (Walker, and the same orbits as TLEs): the drop times span its
    # period (Kepler: 2 pi sqrt(a^3 / mu), WGS72) and the centres its coverage band (180 - 97.6 deg),
    # not the 600 km / 53 deg defaults of WorldConfig.walker.
    walker = Constellation.walker(total=40, planes=4, altitude_km=1200.0, inclination_deg=97.6)
    period = 2 * np.pi * np.sqrt((6378.135 + 1200.0) ** 3 / 398600.8)
    for c in (walker, Constellation.from_tle(walker.to_tle())):
        w = World(WorldConfig(S=1, K=2), c)
        assert w.period_s == pytest.approx(period, rel=1e-6)
        assert w.max_center_lat_deg == pytest.approx(82.4, abs=1e-4)


def test_evolve_keeps_links_and_large_scale(world):
    d0 = world.draw_drops(3, np.random.default_rng(9))
    same = world.evolve(d0, 0.0, None, speed_kmh=0.0)
    np.testing.assert_allclose(same.csi.beta, d0.csi.beta, rtol=1e-12)
    np.testing.assert_allclose(same.csi.g, d0.csi.g, atol=1e-12)
    d1 = world.evolve(d0, 20.0, np.random.default_rng(10))
    np.testing.assert_array_equal(d1.sat_ids, d0.sat_ids)
    assert d1.large_scale is d0.large_scale
    np.testing.assert_allclose(d1.t_s, d0.t_s + 20.0)
    moved = np.linalg.norm(d1.ut_itrs_m - d0.ut_itrs_m, axis=-1)
    # great-circle step on the mean sphere, mapped to WGS84 latitudes: within 0.5 % in ITRS
    np.testing.assert_allclose(moved, 5 / 3.6 * 20.0, rtol=6e-3)
    # Satellites moved ~150 km in 20 s; urban shadow sigma is flat (4 dB), so with the same z-scores
    # beta changes by exactly the free-space term -20 log10(d1/d0).
    assert np.abs(d1.csi.range_m - d0.csi.range_m).max() > 10e3
    dbeta = 10 * np.log10(d1.csi.beta / d0.csi.beta)
    np.testing.assert_allclose(dbeta, -20 * np.log10(d1.csi.range_m / d0.csi.range_m), atol=1e-9)
    # UTs keep their heading: a second 20 s step (no generator needed) walks on, 2 x 27.8 m from the start
    # in a straight line (a fresh random heading per step would give sqrt(2) x on average).
    d2 = world.evolve(d1, 20.0)
    np.testing.assert_array_equal(d2.ut_heading_rad, d1.ut_heading_rad)
    np.testing.assert_allclose(np.linalg.norm(d2.ut_itrs_m - d0.ut_itrs_m, axis=-1), 2 * 5 / 3.6 * 20.0, rtol=6e-3)
    assert d2.take([1]).ut_heading_rad.shape == (1, 6)
    np.testing.assert_array_equal(d0.take([1]).ut_heading_rad, d0.ut_heading_rad[[1]])
