"""Constellation ephemeris: ITRS states against skyfield, frame rotation, velocities, attitude."""
import os
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import sgp4
from scipy.spatial.transform import Rotation
from skyfield.api import EarthSatellite, wgs84
from skyfield.framelib import itrs
from skyfield.sgp4lib import TEME_to_ITRF

from constellation import frames
from constellation.ephemeris import Constellation, timescale

ISS_L1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_L2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"


def _verification_tle(*satnums):
    """Named 2-line sets from sgp4's SGP4-VER.TLE (columns 70+ are the test driver's, dropped)."""
    lines = open(os.path.join(os.path.dirname(sgp4.__file__), "SGP4-VER.TLE")).read().splitlines()
    out = []
    for k, line in enumerate(lines):
        if line.startswith("1 ") and int(line[2:7]) in satnums:
            out += [f"SAT {int(line[2:7])}", line[:69], lines[k + 1][:69]]
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def small_walker():
    return Constellation.walker(total=40, planes=5, phasing=2)


# ---------------------------------------------------------------- against skyfield's EarthSatellite

@pytest.mark.parametrize("text", [
    f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n",
    _verification_tle(6251, 8195),   # near-Earth with drag (SGP4) + Molniya (SDP4), 0.5 day apart
], ids=["ISS", "SGP4+SDP4"])
def test_geodetic_positions_agree_with_skyfield_within_a_metre(text):
    c = Constellation.from_tle(text)
    lines = text.splitlines()
    ts = timescale()
    t_s = np.array([0.0, 600.0, 3600.0, 5.5 * 3600.0, 86400.0, 2.5 * 86400.0])
    t = c.epoch_plus(t_s)
    lat, lon, alt = c.subpoints(t_s)
    r, v = c.state_itrs(t_s)
    for i in range(c.n):
        sat = EarthSatellite(lines[3 * i + 1], lines[3 * i + 2], lines[3 * i], ts)
        pos = sat.at(t)
        g = wgs84.geographic_position_of(pos)
        # horizontal: the ground distance between the two subpoints (metres)
        a = frames.geodetic_to_itrs(lat[:, i], lon[:, i], 0.0)
        b = frames.geodetic_to_itrs(g.latitude.degrees, g.longitude.degrees, 0.0)
        assert np.max(np.linalg.norm(a - b, axis=-1)) < 1.0
        assert np.max(np.abs(alt[:, i] - g.elevation.m)) < 1.0
        # Cartesian ITRS position and Earth-relative velocity, the same frame as skyfield's itrs.
        xyz, vel = pos.frame_xyz_and_velocity(itrs)
        assert np.max(np.linalg.norm(r[:, i] - xyz.m.T, axis=-1)) < 1.0
        assert np.max(np.linalg.norm(v[:, i] - vel.m_per_s.T, axis=-1)) < 1e-3


def test_epoch_defaults_to_latest_tle_and_t0_is_that_satellites_epoch():
    c = Constellation.from_tle(_verification_tle(6251, 8195))
    latest = max(datetime(2006, 1, 1, tzinfo=timezone.utc) + timedelta(days=d - 1)   # TLE day-of-year
                 for d in (176.82412014, 176.33215444))
    assert abs((c.epoch - latest).total_seconds()) < 1e-6
    assert abs((c.epoch - datetime(2006, 6, 25, 19, 46, 43, 980096, tzinfo=timezone.utc)).total_seconds()) < 1e-6
    np.testing.assert_array_equal(c.plane, [-1, -1])
    np.testing.assert_array_equal(c.slot, [-1, -1])
    assert c.walker is None and c.names == ["SAT 6251", "SAT 8195"]
    r, _ = c.state_teme(0.0)
    e, r_ref, _ = c.satrecs[0].sgp4_tsince(0.0)
    np.testing.assert_allclose(r[0] / 1e3, r_ref, atol=1e-9)


# ---------------------------------------------------------------- frames and shapes

def test_state_itrs_equals_skyfield_teme_to_itrf(small_walker):
    c = small_walker
    t_s = np.array([0.0, 17.5, 3600.0, 40_000.0])
    r_teme, v_teme = c.state_teme(t_s)
    r, v = c.state_itrs(t_s)
    tt = c.epoch_plus(np.repeat(t_s, c.n))                       # one column per (time, satellite)
    # TEME_to_ITRF: arrays [3, N]; jd_ut1 + fraction_ut1 UT1 Julian date; the velocity must be
    # in length units per *day* because its Earth-rotation rate is in rad/day.
    r_ref, v_ref = TEME_to_ITRF(tt.whole, r_teme.reshape(-1, 3).T, v_teme.reshape(-1, 3).T * 86400.0,
                                fraction_ut1=tt.ut1_fraction)
    np.testing.assert_allclose(r, r_ref.T.reshape(r.shape), rtol=0, atol=1e-6)
    np.testing.assert_allclose(v, (v_ref / 86400.0).T.reshape(v.shape), rtol=0, atol=1e-9)


def test_scalar_and_array_times_agree(small_walker):
    c = small_walker
    r, v = c.state_itrs([0.0, 60.0])
    assert r.shape == v.shape == (2, c.n, 3)
    r1, v1 = c.state_itrs(60.0)
    assert r1.shape == (c.n, 3)
    np.testing.assert_array_equal(r1, r[1])
    np.testing.assert_array_equal(v1, v[1])
    lat, lon, alt = c.subpoints(60.0)
    assert lat.shape == (c.n,)
    assert c.body_axes(60.0).shape == (c.n, 3, 3) and c.body_axes([0.0, 1.0]).shape == (2, c.n, 3, 3)
    assert c.attitude(60.0).shape == (c.n, 4) and c.attitude([0.0, 1.0]).shape == (2, c.n, 4)


def test_itrs_velocity_is_the_derivative_of_itrs_position(small_walker):
    c = small_walker
    t0, dt = 1234.0, 0.05
    t = np.array([t0 - dt, t0, t0 + dt])
    r, v = c.state_itrs(t)
    r_teme, v_teme = c.state_teme(t)
    # SGP4's own velocity is not exactly the derivative of its position (~2 cm/s here, the
    # short-period terms), already in TEME. The frame conversion must add nothing to that:
    mismatch_teme = v_teme[1] - (r_teme[2] - r_teme[0]) / (2 * dt)
    mismatch_itrs = v[1] - (r[2] - r[0]) / (2 * dt)
    assert np.max(np.abs(mismatch_itrs)) < 0.05            # vs |omega_E x r| ~ 500 m/s
    # Central difference: truncation ~ dt^2/6 |jerk| ~ 4e-6 m/s; rounding ~ 1e-8 m / 0.1 s.
    np.testing.assert_allclose(np.linalg.norm(mismatch_itrs, axis=-1),
                               np.linalg.norm(mismatch_teme, axis=-1), rtol=0, atol=1e-4)
    # and it is Earth-relative: it differs from the inertial speed by omega_E x r (~ 0.4 km/s).
    assert np.max(np.abs(np.linalg.norm(v_teme[1], axis=-1) - np.linalg.norm(v[1], axis=-1))) > 100.0


def test_earth_rotation_rate_is_sidereal():
    c = Constellation.walker(total=1, planes=1, phasing=0)
    theta, omega = c.earth_rotation([0.0, 3600.0])
    np.testing.assert_allclose(omega, 7.2921158553e-5, rtol=1e-9)   # IERS mean sidereal rate (rad/s)
    assert np.mod(theta[1] - theta[0], 2 * np.pi) == pytest.approx(omega[0] * 3600.0, rel=1e-6)


def test_bad_times_raise(small_walker):
    with pytest.raises(ValueError, match=r"t_s must be a scalar or a 1-D array"):
        small_walker.state_itrs(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"t_s must be finite"):
        small_walker.state_itrs([0.0, np.nan])


def test_constructor_validation():
    sats = Constellation.walker(total=4, planes=2, phasing=0).satrecs
    with pytest.raises(ValueError, match=r"names must have one entry per satellite \(4\)"):
        Constellation(sats, names=["a"])
    with pytest.raises(ValueError, match=r"plane must be an integer array of shape \(4,\)"):
        Constellation(sats, plane=[0, 1])
    with pytest.raises(ValueError, match=r"epoch must be a timezone-aware datetime"):
        Constellation(sats, epoch=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match=r"satrecs must hold at least one"):
        Constellation([])


# ---------------------------------------------------------------- attitude

def test_body_axes_are_nadir_pointing_orthonormal_and_right_handed(small_walker):
    c = small_walker
    t_s = np.array([0.0, 1000.0, 4000.0])
    axes = c.body_axes(t_s)                                    # [T, n, 3, 3], rows x, y, z
    assert axes.shape == (3, c.n, 3, 3)
    eye = np.broadcast_to(np.eye(3), axes.shape)
    np.testing.assert_allclose(axes @ np.swapaxes(axes, -1, -2), eye, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(axes), 1.0, atol=1e-12)
    x, y, z = axes[..., 0, :], axes[..., 1, :], axes[..., 2, :]
    r, _ = c.state_itrs(t_s)
    np.testing.assert_allclose(z, -r / np.linalg.norm(r, axis=-1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(np.cross(z, x), y, atol=1e-12)
    # x is the inertial direction of flight, seen in ITRS: the TEME finite difference rotated with
    # the same rotation as the positions (built here from skyfield's TEME_to_ITRF with zero velocity).
    dt = 0.05
    r_m, _ = c.state_teme(np.stack([t_s - dt, t_s + dt], axis=1).ravel())
    d_teme = (r_m[1::2] - r_m[0::2]).reshape(-1, 3)            # [T*n, 3], rows (t, sat)
    tt = c.epoch_plus(np.repeat(t_s, c.n))
    d_itrs, _ = TEME_to_ITRF(tt.whole, d_teme.T, np.zeros_like(d_teme.T), fraction_ut1=tt.ut1_fraction)
    d_itrs = d_itrs.T.reshape(x.shape)
    d_itrs -= np.sum(d_itrs * z, axis=-1, keepdims=True) * z
    d_itrs /= np.linalg.norm(d_itrs, axis=-1, keepdims=True)
    np.testing.assert_allclose(x, d_itrs, atol=1e-6)
    # y is minus the unit orbit normal h = r x v (TEME), rotated into ITRS
    r_t, v_t = c.state_teme(t_s)
    h = np.cross(r_t, v_t).reshape(-1, 3)
    h_itrs, _ = TEME_to_ITRF(tt.whole, h.T, np.zeros_like(h.T), fraction_ut1=tt.ut1_fraction)
    h_itrs = h_itrs.T.reshape(y.shape)
    np.testing.assert_allclose(y, -h_itrs / np.linalg.norm(h_itrs, axis=-1, keepdims=True), atol=1e-9)


def _quat_to_matrix(q):
    """Rotation matrix of a unit quaternion (w, x, y, z), textbook formula (not scipy)."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def test_attitude_quaternion_maps_body_axes_to_itrs(small_walker):
    c = small_walker
    t_s = np.array([0.0, 2500.0])
    q = c.attitude(t_s)
    axes = c.body_axes(t_s)
    assert q.shape == (2, c.n, 4)
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-12)
    assert np.all(q[..., 0] >= 0)
    m = _quat_to_matrix(q)                                    # body -> ITRS
    np.testing.assert_allclose(m, np.swapaxes(axes, -1, -2), atol=1e-12)
    # scipy agrees: the rotation maps the body x axis onto axes[..., 0, :] and z onto axes[..., 2, :]
    rot = Rotation.from_quat(q.reshape(-1, 4)[:, [1, 2, 3, 0]])          # scipy wants (x, y, z, w)
    np.testing.assert_allclose(rot.apply([1.0, 0.0, 0.0]), axes[..., 0, :].reshape(-1, 3), atol=1e-12)
    np.testing.assert_allclose(rot.apply([0.0, 0.0, 1.0]), axes[..., 2, :].reshape(-1, 3), atol=1e-12)


def test_epoch_plus_counts_utc_like_sgp4_across_months_and_leap_seconds():
    c = Constellation.walker(total=1, planes=1, phasing=0,
                             epoch=datetime(2025, 12, 31, 23, 0, tzinfo=timezone.utc))
    t_s = np.array([0.0, 7200.0, 60.5 * 86400.0])
    expected = [c.epoch + timedelta(seconds=float(s)) for s in t_s]       # datetime ignores leap seconds
    got = c.epoch_plus(t_s).utc_datetime()
    assert all(abs((g - e).total_seconds()) < 1e-5 for g, e in zip(got, expected))
    # A leap second (2016-12-31T23:59:60) is not counted: t_s is SGP4's tsince x 60 (UTC Julian days).
    c = Constellation.walker(total=1, planes=1, phasing=0,
                             epoch=datetime(2016, 12, 31, 23, 59, tzinfo=timezone.utc))
    assert c.epoch_plus(60.0).utc_iso() == "2017-01-01T00:00:00Z"
    assert c.epoch_plus(61.0).tai - c.epoch_plus(0.0).tai == pytest.approx(62.0 / 86400.0, abs=1e-9)
