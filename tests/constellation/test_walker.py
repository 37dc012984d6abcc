"""Walker-Delta geometry, measured on the propagated SGP4 states (not on the inputs)."""
from datetime import datetime, timezone

import numpy as np
import pytest

from constellation.ephemeris import Constellation
from constellation.walker import MU_WGS72_KM3_S2, R_WGS72_KM, WalkerDelta


def _wrap180(a_deg):
    return np.mod(np.asarray(a_deg) + 180.0, 360.0) - 180.0


def _orbit_angles(r_m, v_m_s):
    """Osculating inclination, RAAN and argument of latitude (deg) from TEME states [..., 3]."""
    h = np.cross(r_m, v_m_s)
    h_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    incl = np.degrees(np.arccos(h_hat[..., 2]))
    node = np.cross([0.0, 0.0, 1.0], h_hat)
    node /= np.linalg.norm(node, axis=-1, keepdims=True)
    raan = np.degrees(np.arctan2(node[..., 1], node[..., 0]))
    u = np.degrees(np.arctan2(np.sum(np.cross(node, r_m) * h_hat, axis=-1), np.sum(node * r_m, axis=-1)))
    return incl, raan, u


def test_defaults_are_the_paper_constellation():
    w = WalkerDelta()
    assert (w.total, w.planes, w.phasing, w.sats_per_plane) == (1680, 28, 1, 60)
    assert (w.altitude_km, w.inclination_deg) == (600.0, 53.0)
    assert w.epoch == datetime(2026, 1, 1, tzinfo=timezone.utc)
    # Kepler's third law with the WGS72 constants: published mu 398600.8 km^3/s^2, R 6378.135 km.
    assert (MU_WGS72_KM3_S2, R_WGS72_KM) == (398600.8, 6378.135)
    assert w.period_s == pytest.approx(2 * np.pi * np.sqrt((6378.135 + 600.0) ** 3 / 398600.8), rel=1e-12)
    assert 96.0 * 60 < w.period_s < 97.0 * 60                  # a 600 km LEO orbit takes ~96.7 min


@pytest.mark.parametrize("config", [
    WalkerDelta(),
    WalkerDelta(total=60, planes=6, phasing=2, altitude_km=400.0, inclination_deg=97.6, raan0_deg=15.0),
    WalkerDelta(total=40, planes=4, phasing=3, altitude_km=1200.0, inclination_deg=30.0),
], ids=["1680-28-1@600km", "60-6-2@400km-SSO", "40-4-3@1200km"])
def test_walker_geometry_from_propagated_states(config):
    c = Constellation.walker(config)
    P, S, T, F = config.planes, config.sats_per_plane, config.total, config.phasing
    assert c.n == T and c.walker == config
    np.testing.assert_array_equal(np.bincount(c.plane), np.full(P, S))

    # Mean altitude: |r| - R_WGS72 averaged over one orbit (SGP4 states are osculating).
    t = np.linspace(0.0, config.period_s, 73)[:-1]
    r, v = c.state_teme(t)
    mean_alt_km = np.linalg.norm(r, axis=-1).mean(axis=0) / 1e3 - R_WGS72_KM
    np.testing.assert_allclose(mean_alt_km, config.altitude_km, atol=5.0)   # documented: within 5 km

    # Inclination: osculating values oscillate by < 0.03 deg (J2), their orbit mean is exact.
    incl, _, _ = _orbit_angles(r, v)
    assert np.max(np.abs(incl - config.inclination_deg)) < 0.05
    np.testing.assert_allclose(incl.mean(axis=0), config.inclination_deg, atol=1e-3)

    # At epoch: RAAN spacing 360/P, in-plane spacing 360/S, inter-plane phasing 360 F / T.
    _, raan, u = _orbit_angles(r[0], v[0])
    order = np.lexsort((c.slot, c.plane))
    raan = raan[order].reshape(P, S)
    u = u[order].reshape(P, S)
    # J2 short-period terms spread the osculating nodes of one plane by a few 0.01 deg.
    plane_raan = np.degrees(np.angle(np.exp(1j * np.radians(raan)).mean(axis=1)))   # circular mean
    assert np.max(np.abs(_wrap180(raan - plane_raan[:, None]))) < 0.05     # one plane, one node
    np.testing.assert_allclose(_wrap180(np.diff(plane_raan) - 360.0 / P), 0.0, atol=0.01)
    assert _wrap180(plane_raan[0] - config.raan0_deg) == pytest.approx(0.0, abs=0.05)
    np.testing.assert_allclose(_wrap180(np.diff(u, axis=1) - 360.0 / S), 0.0, atol=0.15)
    phase = _wrap180(u[1:, 0] - u[:-1, 0])
    np.testing.assert_allclose(phase, 360.0 * F / T, atol=0.05)


def test_default_phasing_offset_is_resolved_from_states():
    # 360 F / T = 0.214 deg for 1680/28/1: measured to 0.005 deg, so F = 0 or 2 would fail.
    c = Constellation.walker()
    r, v = c.state_teme(0.0)
    _, _, u = _orbit_angles(r, v)
    first = u[c.slot == 0]
    np.testing.assert_allclose(_wrap180(np.diff(first)), 360.0 / 1680, atol=0.005)


def test_arrays_and_names():
    w = WalkerDelta(total=12, planes=3, phasing=1)
    np.testing.assert_array_equal(w.plane, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    np.testing.assert_array_equal(w.slot, [0, 1, 2, 3] * 3)
    np.testing.assert_allclose(w.raan_deg, np.repeat([0.0, 120.0, 240.0], 4))
    np.testing.assert_allclose(w.mean_anomaly_deg[4:8], [30.0, 120.0, 210.0, 300.0])
    assert w.names()[5] == "WALKER-P001-S001"
    sats = w.satrecs()
    assert [s.satnum for s in sats] == list(range(1, 13))
    assert sats[0].jdsatepoch + sats[0].jdsatepochF == pytest.approx(2461041.5, abs=1e-9)   # 2026-01-01


@pytest.mark.parametrize("kwargs, field", [
    ({"altitude_km": -600.0}, "altitude_km"),
    ({"altitude_km": float("nan")}, "altitude_km"),
    ({"total": 100, "planes": 28}, "total"),
    ({"total": 0}, "total"),
    ({"planes": 0}, "planes"),
    ({"phasing": 28}, "phasing"),
    ({"phasing": -1}, "phasing"),
    ({"phasing": 1.5}, "phasing"),
    ({"inclination_deg": 200.0}, "inclination_deg"),
    ({"epoch": datetime(2026, 1, 1)}, "epoch"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field} must") as info:
        WalkerDelta(**kwargs)
    assert repr(next(iter(kwargs.values())))[:6] in str(info.value) or field == "total"


def test_overrides_and_unknown_override():
    c = Constellation.walker(total=8, planes=2, phasing=0)
    assert (c.walker.total, c.walker.planes, c.n) == (8, 2, 8)
    with pytest.raises(ValueError, match=r"unknown WalkerDelta field\(s\) \['altitude'\]"):
        Constellation.walker(altitude=500)
    with pytest.raises(ValueError, match=r"altitude_km must"):
        Constellation.walker(altitude_km=-1.0)
