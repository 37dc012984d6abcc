"""LP-DFT scenario and 2-D DFT codebook: closed forms and geometry against independent formulas."""
from __future__ import annotations

import numpy as np
import pytest

from agents.lpdft.dft import dft_codebook, dft_codebook_fft, grid_direction_cosines
from agents.lpdft.scenario import (BOLTZMANN_J_K, LPDFTConfig, channel_from_geometry, draw_scenario,
                                   draw_user_geometry, max_central_angle_rad)
from constellation.antenna import upa_steering

C = 299_792_458.0


@pytest.mark.parametrize("fft, ura, off", [((16, 16), (16, 16), (0, 0)), ((16, 16), (8, 8), (3, 5)),
                                           ((4, 8), (3, 5), (1, 2))])
def test_codebook_is_windowed_fft2(fft, ura, off):
    rng = np.random.default_rng(0)
    n = fft[0] * fft[1]
    z = rng.normal(size=(3, n)) + 1j * rng.normal(size=(3, n))
    B = dft_codebook(fft, ura, off)
    assert B.shape == (ura[0] * ura[1], n)
    # independent: numpy's fft2 on the row-major port array, then the sub-block window
    full = np.fft.fft2(z.reshape(3, *fft))[:, off[0]:off[0] + ura[0], off[1]:off[1] + ura[1]]
    np.testing.assert_allclose(z @ B.T, full.reshape(3, -1) / np.sqrt(ura[0] * ura[1]), atol=1e-12)
    np.testing.assert_allclose(dft_codebook_fft(z, fft, ura, off), z @ B.T, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(B, axis=0), 1.0, atol=1e-12)      # unit-norm beams


@pytest.mark.parametrize("spacing", [0.5, 0.8])
def test_full_window_columns_are_orthonormal_steering_vectors_at_grid_angles(spacing):
    B = dft_codebook((16, 16), (16, 16))
    np.testing.assert_allclose(B.conj().T @ B, np.eye(256), atol=1e-12)
    ux, uy = grid_direction_cosines((16, 16), spacing)
    a = upa_steering(ux, uy, 16, 16, spacing)             # constellation.antenna, [256 (beam), 256 (element)]
    np.testing.assert_allclose(B, a.T, atol=1e-12)
    # the grid: d u on multiples of 1/16 in [-1/2, 1/2)
    assert np.allclose(np.sort(np.unique(np.round(ux * spacing * 16))), np.arange(-8, 8))


def test_window_offset_only_rotates_each_beam_by_a_constant_phase():
    b0 = dft_codebook((16, 16), (8, 8), (0, 0))
    b1 = dft_codebook((16, 16), (8, 8), (5, 2))
    ratio = b1 / b0
    np.testing.assert_allclose(np.abs(ratio), 1.0, atol=1e-12)
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape), atol=1e-12)


def test_user_in_a_beam_centre_gets_the_full_array_gain_and_no_other_beam():
    cfg = LPDFTConfig(n_users=1)
    ux, uy = 2 * 1 / 16, 2 * 2 / 16                    # port (n1, n2) = (1, 2), d = 0.5
    uz = np.sqrt(1 - ux**2 - uy**2)
    rng_m = 1.2e7
    h = channel_from_geometry(cfg, np.array([[[ux, uy, uz]]]), np.array([[np.arccos(uz)]]), np.array([[rng_m]]))
    # independent link budget: cos element (q = 1, peak 2(q+1) = 4), 40 dBi UT, free space
    g = 4.0 * uz * 1e4 * (C / (4 * np.pi * rng_m * 20e9)) ** 2
    np.testing.assert_allclose(np.abs(h) ** 2, g, rtol=1e-12)
    G = h @ dft_codebook((16, 16), (16, 16))
    port = 1 * 16 + 2
    np.testing.assert_allclose(np.abs(G[0, 0, port]) ** 2, g * 256, rtol=1e-10)
    others = np.delete(np.abs(G[0, 0]) ** 2, port)
    assert others.max() < 1e-20 * g


def test_user_geometry_against_spherical_trigonometry():
    cfg = LPDFTConfig(n_users=8, min_elevation_deg=20.0, altitude_km=10_000.0)
    geo = draw_user_geometry(cfg, 1500, np.random.default_rng(3))
    r, hgt = cfg.earth_radius_m, cfg.altitude_km * 1e3
    psi = geo["central_angle_rad"]
    # law of cosines for the slant range; sine rule for the off-boresight angle
    d = np.sqrt(r**2 + (r + hgt) ** 2 - 2 * r * (r + hgt) * np.cos(psi))
    np.testing.assert_allclose(geo["range_m"], d, rtol=1e-12)
    np.testing.assert_allclose(np.sin(geo["off_boresight_rad"]), r * np.sin(psi) / d, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(geo["u"], axis=-1), 1.0, atol=1e-12)
    # elevation, sine rule in (Earth centre, user, satellite): the angle at the user is 90 deg + elevation
    np.testing.assert_allclose(np.cos(geo["elevation_rad"]), (r + hgt) * np.sin(geo["off_boresight_rad"]) / r,
                               atol=1e-9)
    assert np.degrees(geo["elevation_rad"]).min() >= 20.0 - 1e-9
    assert np.degrees(geo["elevation_rad"]).min() < 20.5           # the cap reaches the elevation mask
    # the coverage edge: elevation at psi_max is the mask
    psi_max = max_central_angle_rad(hgt, r, np.radians(20.0))
    user = r * np.array([np.sin(psi_max), 0.0, np.cos(psi_max)])
    los = np.array([0.0, 0.0, r + hgt]) - user
    np.testing.assert_allclose(np.degrees(np.arcsin(los @ user / r / np.linalg.norm(los))), 20.0, atol=1e-9)
    # uniform by area on the cap: cos(psi) ~ U[cos psi_max, 1]
    cos_psi = np.cos(psi).ravel()
    lo = np.cos(psi_max)
    mean, sd = (1 + lo) / 2, (1 - lo) / np.sqrt(12) / np.sqrt(cos_psi.size)
    assert abs(cos_psi.mean() - mean) < 5 * sd
    assert abs(np.mean(cos_psi < (1 + lo) / 2) - 0.5) < 5 * 0.5 / np.sqrt(cos_psi.size)


def test_scenario_is_seeded_and_batched():
    cfg = LPDFTConfig(n_users=5, ura=(8, 8))
    a = draw_scenario(cfg, 3, np.random.default_rng(11))
    b = draw_scenario(cfg, 3, np.random.default_rng(11))
    c = draw_scenario(cfg, 3, np.random.default_rng(12))
    np.testing.assert_array_equal(a.h, b.h)
    assert not np.allclose(a.h, c.h)
    assert a.h.shape == (3, 5, 64) and a.beam_channel.shape == (3, 5, 256)
    np.testing.assert_allclose(a.noise_w, BOLTZMANN_J_K * 290.0 * 500e6)
    # every element sees the same power (LoS plane wave): |h_k,m|^2 = g_k
    p = np.abs(a.h) ** 2
    np.testing.assert_allclose(p, np.broadcast_to(p[..., :1], p.shape), rtol=1e-12)


@pytest.mark.parametrize("kw, word", [({"ura": (0, 4)}, "ura"), ({"ura": (20, 4)}, "ura"),
                                      ({"n_users": 257}, "users"), ({"power_w": -1.0}, "power_w"),
                                      ({"spacing_wl": 0.0}, "spacing_wl"), ({"n_streams": 9}, "n_streams"),
                                      ({"min_elevation_deg": 95.0}, "min_elevation_deg"),
                                      ({"window_offset": (9, 0), "ura": (8, 8)}, "window_offset")])
def test_config_rejects_bad_values_naming_the_field(kw, word):
    with pytest.raises(ValueError, match=word):
        LPDFTConfig(**kw)


# ----------------------------------------------------------------------------- LEO from the constellation
def _skyfield_height_km(constellation, index, t_s):
    """Independent path: skyfield's own SGP4 satellite, GCRS -> ITRS and WGS84 height."""
    from skyfield.api import EarthSatellite, wgs84

    from constellation.ephemeris import timescale
    sat = EarthSatellite.from_satrec(constellation.satrecs[index], timescale())
    return wgs84.height_of(sat.at(constellation.epoch_plus(t_s))).km


def test_leo_config_takes_the_altitude_of_the_propagated_orbit():
    from constellation.ephemeris import Constellation
    walker = Constellation.walker()
    cases = [(0, 0.0), (0, 1500.0), ("WALKER-P003-S017", 600.0)]
    alts = []
    for sat, t_s in cases:
        cfg = LPDFTConfig.from_constellation(walker, sat=sat, t_s=t_s)
        index = walker.names.index(sat) if isinstance(sat, str) else sat
        ref = _skyfield_height_km(walker, index, t_s)
        assert cfg.altitude_km == pytest.approx(ref, abs=0.01)               # 10 m
        assert abs(cfg.altitude_km - walker.walker.altitude_km) < 25.0          # 600 km Walker, ellipsoid + J2
        assert cfg.orbit.startswith("LEO") and walker.names[index] in cfg.orbit and f"{t_s:g} s" in cfg.orbit
        alts.append(cfg.altitude_km)
    # the altitude moves along the orbit (ellipsoid + J2) as SGP4 says: here by more than 5 km in 25 min
    assert alts[1] - alts[0] == pytest.approx(_skyfield_height_km(walker, 0, 1500.0)
                                              - _skyfield_height_km(walker, 0, 0.0), abs=0.01)
    assert abs(alts[1] - alts[0]) > 5.0
    # everything else keeps its defaults, and drops use that altitude: the nearest user is no closer
    # than the satellite's height and the coverage cap is the LEO one (far wider off boresight than MEO)
    cfg = LPDFTConfig.from_constellation(walker, sat=0, t_s=1500.0, n_users=4)
    assert cfg.n_users == 4 and cfg.power_w == LPDFTConfig().power_w
    assert cfg.replace(power_w=10.0).orbit == cfg.orbit                     # provenance kept ...
    assert cfg.replace(altitude_km=700.0).orbit == "fixed altitude"         # ... unless the altitude changes
    geo = draw_user_geometry(cfg, 200, np.random.default_rng(0))
    assert geo["range_m"].min() >= cfg.altitude_km * 1e3 * (1 - 1e-12)
    meo = draw_user_geometry(LPDFTConfig(n_users=4), 200, np.random.default_rng(0))
    assert np.degrees(geo["off_boresight_rad"]).max() > 50 > 25 > np.degrees(meo["off_boresight_rad"]).max()


@pytest.mark.parametrize("kw, word", [({"sat": 1680}, "sat"), ({"sat": -1}, "sat"), ({"sat": "NOPE"}, "sat"),
                                      ({"sat": 2.5}, "sat"), ({"t_s": float("inf")}, "t_s"),
                                      ({"altitude_km": 550.0}, "altitude_km"), ({"n_users": 0}, "users")])
def test_leo_config_rejects_bad_values_naming_the_field(kw, word):
    with pytest.raises(ValueError, match=word):
        LPDFTConfig.from_constellation(**kw)
