"""Ground: area-uniform placement, motion, and selection of the cooperating satellites."""
import numpy as np
import pytest

from constellation.frames import EARTH_MEAN_RADIUS_M, geodetic_to_itrs, look_angles
from constellation.ground import (ServiceRegion, move_uts, place_uts, rank_cooperating,
                                  select_cooperating)


def _unit(lat_deg, lon_deg):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def _ground_distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance on the mean sphere from the angle between unit vectors."""
    dot = np.sum(_unit(lat1, lon1) * _unit(lat2, lon2), axis=-1)
    return EARTH_MEAN_RADIUS_M * np.arccos(np.clip(dot, -1, 1))


@pytest.mark.parametrize("center", [(40.0, 10.0), (-52.0, 179.5), (88.5, 0.0)])
def test_uts_uniform_over_area(center):
    region = ServiceRegion(*center, radius_km=800.0)
    lat, lon, itrs = place_uts([region] * 4, 5000, np.random.default_rng(11))
    assert lat.shape == (4, 5000) and itrs.shape == (4, 5000, 3)
    dist = _ground_distance_m(center[0], center[1], lat, lon)
    assert dist.max() <= 800e3 * (1 + 1e-9)
    alpha = 800e3 / EARTH_MEAN_RADIUS_M
    inner = (1 - np.cos(alpha / np.sqrt(2))) / (1 - np.cos(alpha))        # cap-area fraction, ~0.5
    assert inner == pytest.approx(0.5, abs=0.002)
    frac = np.mean(dist <= 800e3 / np.sqrt(2))
    assert frac == pytest.approx(inner, abs=0.015)                        # uniform in radius: 0.707
    # Uniform bearings: the centroid of the unit vectors points at the centre.
    centroid = _unit(lat, lon).reshape(-1, 3).mean(0)
    offset = _ground_distance_m(center[0], center[1], *np.degrees(
        [np.arcsin(centroid[2] / np.linalg.norm(centroid)), np.arctan2(centroid[1], centroid[0])]))
    assert offset < 15e3
    assert np.all((lon >= -180) & (lon < 180))
    np.testing.assert_allclose(itrs, geodetic_to_itrs(lat, lon, 0.0))


def test_placement_is_seeded_and_batched_from_one_region():
    region = ServiceRegion(10.0, 20.0)
    a = place_uts(region, 12, np.random.default_rng(4), batch=3)
    b = place_uts(region, 12, np.random.default_rng(4), batch=3)
    assert a[0].shape == (3, 12)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[0][0], a[0][1])


def test_region_validation():
    with pytest.raises(ValueError, match="center_lat_deg"):
        ServiceRegion(95.0, 0.0)
    with pytest.raises(ValueError, match="radius_km"):
        ServiceRegion(0.0, 0.0, radius_km=-5.0)
    with pytest.raises(ValueError, match="K"):
        place_uts(ServiceRegion(0.0, 0.0), 0, np.random.default_rng(0))


def test_move_uts_speed_and_seed():
    lat0 = np.array([[10.0, 45.0, -60.0]])
    lon0 = np.array([[0.0, 179.99, -20.0]])
    lat, lon, itrs, heading = move_uts(lat0, lon0, 3600.0, np.random.default_rng(2), speed_kmh=5.0)
    np.testing.assert_allclose(_ground_distance_m(lat0, lon0, lat, lon), 5000.0, rtol=1e-6)
    lat2, lon2, _, heading2 = move_uts(lat0, lon0, 3600.0, np.random.default_rng(2))
    np.testing.assert_array_equal(lat, lat2)
    np.testing.assert_array_equal(heading, heading2)
    # A given heading needs no random draw and moves exactly that far in that direction.
    la, lo, _, _ = move_uts(lat0, lon0, 1800.0, None, heading_rad=np.zeros_like(lat0))
    np.testing.assert_allclose(la - lat0, np.degrees(2500.0 / EARTH_MEAN_RADIUS_M), rtol=1e-9)
    np.testing.assert_allclose(lo, lon0, atol=1e-9)
    with pytest.raises(ValueError, match="dt_s"):
        move_uts(lat0, lon0, -1.0, np.random.default_rng(0))
    # a random heading needs a seeded generator (World.evolve passes rng through; None used to crash)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        move_uts(lat0, lon0, 1.0, None)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        place_uts(ServiceRegion(0.0, 0.0), 3, np.random.RandomState(0))


def _shell(rng, n, alt_m=600e3):
    """n satellites at random positions on a sphere shell (ITRS, m)."""
    u = rng.standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    return u * (6378137.0 + alt_m)


def test_select_cooperating_against_brute_force_look_angles():
    rng = np.random.default_rng(21)
    sats = _shell(rng, 1500)
    regions = [ServiceRegion(30.0, 40.0), ServiceRegion(-10.0, -70.0)]
    lat, lon, ut = place_uts(regions, 12, rng)
    ids = select_cooperating(sats, ut, [30.0, -10.0], [40.0, -70.0], 4, 10.0, lat, lon)
    assert ids.shape == (2, 4)
    for b in range(2):
        el, _, _ = look_angles(ut[b][:, None, :], lat[b][:, None], lon[b][:, None], sats[None, :, :])  # [K,n]
        ok = np.all(np.degrees(el) >= 10.0, axis=0)
        center = geodetic_to_itrs(regions[b].center_lat_deg, regions[b].center_lon_deg, 0.0)
        dist = np.linalg.norm(sats - center, axis=-1)
        expected = np.flatnonzero(ok)[np.argsort(dist[ok])][:4]
        np.testing.assert_array_equal(ids[b], expected)
        assert np.all(np.degrees(el[:, ids[b]]) >= 10.0)
    # Same answer without lat/lon (derived from ITRS), and for [B,n,3] satellites.
    ids2 = select_cooperating(np.broadcast_to(sats, (2,) + sats.shape), ut, [30.0, -10.0], [40.0, -70.0], 4)
    np.testing.assert_array_equal(ids, ids2)


def test_select_cooperating_error_names_count_s_and_mask():
    rng = np.random.default_rng(5)
    sats = _shell(rng, 300)
    lat, lon, ut = place_uts(ServiceRegion(0.0, 0.0), 8, rng)
    _, n_q = rank_cooperating(sats, ut, 0.0, 0.0, 1, 10.0, lat, lon)
    q = int(n_q[0])
    assert 0 < q < 20
    ids = select_cooperating(sats, ut, 0.0, 0.0, q, 10.0, lat, lon)
    assert ids.shape == (1, q)
    with pytest.raises(ValueError, match=rf"only {q} satellites .*min_elevation_deg=10.0.*S={q + 1}"):
        select_cooperating(sats, ut, 0.0, 0.0, q + 1, 10.0, lat, lon)
    padded, _ = rank_cooperating(sats, ut, 0.0, 0.0, q + 2, 10.0, lat, lon)
    assert np.all(padded[0, q:] == -1)
    with pytest.raises(ValueError, match="S must be"):
        select_cooperating(sats, ut, 0.0, 0.0, 0)


@pytest.mark.parametrize("mask_deg, radius_km", [(0.0, 2000.0), (10.0, 800.0), (30.0, 300.0)])
def test_qualifying_count_matches_brute_force_mixed_altitudes(mask_deg, radius_km):
    # Altitudes 350..1500 km and several masks: the candidate pre-filter must never drop a qualifier.
    rng = np.random.default_rng(int(mask_deg) + 1)
    u = rng.standard_normal((3000, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    sats = u * (6378137.0 + rng.uniform(350e3, 1500e3, (3000, 1)))
    centers = [(70.0, -20.0), (0.0, 100.0), (-45.0, 170.0)]
    lat, lon, ut = place_uts([ServiceRegion(a, o, radius_km) for a, o in centers], 10, rng)
    ids, n_q = rank_cooperating(sats, ut, [c[0] for c in centers], [c[1] for c in centers], 5, mask_deg, lat, lon)
    assert n_q.min() >= 3                                 # not vacuous
    for b in range(3):
        el, _, _ = look_angles(ut[b][:, None, :], lat[b][:, None], lon[b][:, None], sats[None])
        ok = np.all(np.degrees(el) >= mask_deg, axis=0)
        assert n_q[b] == ok.sum()
        dist = np.linalg.norm(sats - geodetic_to_itrs(*centers[b], 0.0), axis=-1)
        expected = np.flatnonzero(ok)[np.argsort(dist[ok])][:5]
        np.testing.assert_array_equal(ids[b][: expected.size], expected)
