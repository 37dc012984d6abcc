"""constellation.frames against skyfield (second implementation) and closed-form geometry."""
import numpy as np
import pytest
from skyfield.api import wgs84

from constellation import frames

A = frames.WGS84_A_M
B = A * (1.0 - frames.WGS84_F)


def test_wgs84_constants_are_the_published_values():
    assert A == 6378137.0
    assert 1.0 / frames.WGS84_F == pytest.approx(298.257223563, abs=1e-9)
    assert B == pytest.approx(6356752.314245, abs=1e-6)      # published WGS84 polar radius


def test_geodetic_itrs_round_trip_against_skyfield():
    rng = np.random.default_rng(1)
    lat = np.concatenate([rng.uniform(-90, 90, 200), [0.0, 45.0, -89.999, 89.9999, 90.0, -90.0]])
    lon = np.concatenate([rng.uniform(-180, 180, 200), [0.0, -120.0, 10.0, 170.0, 0.0, 0.0]])
    h = np.concatenate([rng.uniform(-400.0, 40_000e3, 200), [0.0, 550e3, 1e3, 600e3, 600e3, -100.0]])
    r = frames.geodetic_to_itrs(lat, lon, h)                  # skyfield's forward transform
    assert r.shape == (206, 3)
    # An independent check of the forward map: the closed form with the prime-vertical radius.
    phi, lam = np.radians(lat), np.radians(lon)
    n = A / np.sqrt(1 - frames.WGS84_E2 * np.sin(phi) ** 2)
    closed = np.stack([(n + h) * np.cos(phi) * np.cos(lam), (n + h) * np.cos(phi) * np.sin(lam),
                       (n * (1 - frames.WGS84_E2) + h) * np.sin(phi)], axis=-1)
    np.testing.assert_allclose(r, closed, rtol=0, atol=1e-6)
    lat2, lon2, h2 = frames.itrs_to_geodetic(r)                # satcoop's inverse (Bowring)
    np.testing.assert_allclose(lat2, lat, rtol=0, atol=1e-9)   # 1e-9 deg ~ 0.1 mm
    np.testing.assert_allclose(h2, h, rtol=0, atol=1e-3)
    not_pole = np.abs(lat) < 89.99
    dlon = np.mod(lon2 - lon + 180.0, 360.0) - 180.0
    np.testing.assert_allclose(dlon[not_pole], 0.0, atol=1e-9)


def test_itrs_to_geodetic_agrees_with_skyfield_inverse():
    from skyfield.toposlib import ITRSPosition
    from skyfield.units import Distance
    from constellation.ephemeris import timescale

    rng = np.random.default_rng(2)
    xyz = rng.normal(size=(50, 3))
    xyz *= (rng.uniform(6.3e6, 4.2e7, 50) / np.linalg.norm(xyz, axis=1))[:, None]
    t = timescale().utc(2026, 1, 1)
    lat, lon, h = frames.itrs_to_geodetic(xyz)
    for k in range(0, 50, 7):
        g = wgs84.geographic_position_of(ITRSPosition(Distance(m=xyz[k])).at(t))
        assert lat[k] == pytest.approx(g.latitude.degrees, abs=1e-8)
        assert lon[k] == pytest.approx(g.longitude.degrees, abs=1e-8)
        assert h[k] == pytest.approx(g.elevation.m, abs=1e-3)


def _law_of_cosines(ground_radius_m, sat_radius_m, gamma_rad):
    """Spherical-Earth elevation (rad) and slant range (m) at central angle gamma."""
    d = np.sqrt(ground_radius_m**2 + sat_radius_m**2 - 2 * ground_radius_m * sat_radius_m * np.cos(gamma_rad))
    sin_el = (sat_radius_m * np.cos(gamma_rad) - ground_radius_m) / d
    return np.arcsin(sin_el), d


@pytest.mark.parametrize("lon0_deg", [0.0, 37.5, -150.0])
def test_look_angles_in_equatorial_plane_follow_law_of_cosines(lon0_deg):
    # On the equator the WGS84 vertical is the geocentric radius and the equator is a circle
    # of radius a, so the spherical-Earth law of cosines is exact for satellites in that plane.
    r_sat = A + 600e3
    gamma_horizon = np.arccos(A / r_sat)
    gammas = np.array([0.0, 0.05, 0.1, 0.2, gamma_horizon])
    ground = frames.geodetic_to_itrs(0.0, lon0_deg, 0.0)
    lam = np.radians(lon0_deg) + gammas                           # satellite east of the UT
    sats = np.stack([r_sat * np.cos(lam), r_sat * np.sin(lam), np.zeros_like(lam)], axis=-1)
    el, az, rng = frames.look_angles(ground, 0.0, lon0_deg, sats)
    el_ref, rng_ref = _law_of_cosines(A, r_sat, gammas)
    # arcsin near 90 deg amplifies rounding to ~sqrt(2 eps) ~ 2e-8 rad: hence 1e-7 rad (6e-6 deg).
    np.testing.assert_allclose(el, el_ref, atol=1e-7)
    np.testing.assert_allclose(rng, rng_ref, rtol=1e-12)
    assert el[0] == pytest.approx(np.pi / 2, abs=1e-7)          # straight overhead
    assert rng[0] == pytest.approx(600e3, abs=1e-6)
    assert el[-1] == pytest.approx(0.0, abs=1e-9)                # on the horizon
    np.testing.assert_allclose(az[1:], np.pi / 2, atol=1e-9)     # due east


def test_look_angles_at_pole_follow_law_of_cosines_and_azimuth():
    # At the north pole the WGS84 vertical is the z axis (ground radius b): law of cosines again exact.
    r_sat = B + 800e3
    gammas = np.array([0.0, 0.1, np.arccos(B / r_sat)])
    ground = frames.geodetic_to_itrs(90.0, 0.0, 0.0)
    assert ground[2] == pytest.approx(B, abs=1e-6)
    # Satellites towards longitude 90 E from the pole: with lon = 0 the local north is -x, east is +y.
    sats = np.stack([np.zeros(3), r_sat * np.sin(gammas), r_sat * np.cos(gammas)], axis=-1)
    el, az, rng = frames.look_angles(ground, 90.0, 0.0, sats)
    el_ref, rng_ref = _law_of_cosines(B, r_sat, gammas)
    np.testing.assert_allclose(el, el_ref, atol=1e-7)
    np.testing.assert_allclose(rng, rng_ref, rtol=1e-12)
    np.testing.assert_allclose(az[1:], np.pi / 2, atol=1e-9)


def test_overhead_at_mid_latitude_is_along_geodetic_normal():
    lat, lon, h = 48.85, 2.35, 35.0
    ground = frames.geodetic_to_itrs(lat, lon, h)
    sat = frames.geodetic_to_itrs(lat, lon, h + 550e3)           # same geodetic lat/lon, higher
    el, _, rng = frames.look_angles(ground, lat, lon, sat)
    assert el == pytest.approx(np.pi / 2, abs=1e-7)
    assert rng == pytest.approx(550e3, abs=1e-6)


def test_enu_basis_is_orthonormal_and_right_handed():
    rng = np.random.default_rng(3)
    e = frames.enu_basis(rng.uniform(-90, 90, 20), rng.uniform(-180, 180, 20))
    np.testing.assert_allclose(e @ np.swapaxes(e, -1, -2), np.broadcast_to(np.eye(3), e.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(e), 1.0, atol=1e-12)
