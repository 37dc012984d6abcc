"""Channel: link budget by hand, slant-range geometry, K-factor table, NLoS covariance, sampler statistics."""
import numpy as np
import pytest

from constellation.antenna import array_gain, steering_from_direction
from constellation.channel import (ChannelConfig, LinkLargeScale, link_geometry, nlos_covariance,
                                   statistical_csi)
from constellation.frames import WGS84_A_M, look_angles

H_M = 600e3
C = 299_792_458.0


def _equator_links(central_angles_deg, ut_lon_deg=0.0):
    """One UT on the equator at ``ut_lon_deg``; satellites at 600 km in the equatorial plane at the
    given central angles east of it, flying north (body x = +z_ITRS), nadir-pointing.
    On the equator the WGS84 normal is radial, so the spherical-Earth formulas hold with R = a."""
    gam = np.radians(ut_lon_deg + np.asarray(central_angles_deg, float))
    s = gam.size
    r = WGS84_A_M + H_M
    sat = np.stack([r * np.cos(gam), r * np.sin(gam), np.zeros(s)], -1)[None]      # [1,S,3]
    x = np.broadcast_to([0.0, 0.0, 1.0], (s, 3))
    z = -sat[0] / r
    y = np.cross(z, x)
    axes = np.stack([x, y, z], axis=-2)[None]                                       # [1,S,3,3]
    lon = np.radians(ut_lon_deg)
    ut = np.array([[[WGS84_A_M * np.cos(lon), WGS84_A_M * np.sin(lon), 0.0]]])      # [1,1,3]
    return sat, axes, ut, np.zeros((1, 1)), np.full((1, 1), ut_lon_deg)


def test_noise_per_subcarrier():
    cfg = ChannelConfig()
    hand_w = 1.380649e-23 * 290.0 * 30e3 * 10 ** 0.7
    assert cfg.noise_w == pytest.approx(hand_w, rel=1e-12)
    assert cfg.noise_dbw == pytest.approx(-152.2, abs=0.05)         # channel-parameters.md


def test_link_budget_overhead_by_hand():
    sat, axes, ut, lat, lon = _equator_links([0.0])
    ls = LinkLargeScale(shadow_z=np.full((1, 1, 1), 0.5), kappa_z=np.full((1, 1, 1), -1.0))
    csi = statistical_csi(sat, axes, ut, lat, lon, ls)
    assert csi.range_m[0, 0, 0] == pytest.approx(H_M, abs=1e-3)
    assert np.degrees(csi.elevation[0, 0, 0]) == pytest.approx(90.0, abs=1e-9)
    fspl = 20 * np.log10(4 * np.pi * H_M * 2e9 / C)                  # 154.03 dB
    beta_db = 10 * np.log10(64) + 10 * np.log10(4) + 6.0 + 0.0 - fspl - 4.0 * 0.5
    assert 10 * np.log10(csi.beta[0, 0, 0]) == pytest.approx(beta_db, abs=1e-9)
    assert beta_db == pytest.approx(-125.95, abs=0.01)
    assert 10 * np.log10(csi.kappa[0, 0, 0]) == pytest.approx(3.68 - 3.14, abs=1e-9)   # 90 deg column
    np.testing.assert_allclose(csi.noise_w, 1.380649e-23 * 290 * 30e3 * 10 ** 0.7)
    # Boresight on both ends: all-equal phases.
    np.testing.assert_allclose(csi.g[0, 0, 0], np.full(64, 1 / 8), atol=1e-9)
    np.testing.assert_allclose(csi.d0[0, 0, 0], np.full(4, 1 / 2), atol=1e-9)


def test_slant_range_vs_elevation_law_of_cosines():
    gammas = np.array([0.0, 2.0, 5.0, 10.0, 15.0])
    sat, axes, ut, lat, lon = _equator_links(gammas, ut_lon_deg=30.0)
    geo = link_geometry(sat, axes, ut, lat, lon)
    eps = geo["elevation"][0, :, 0]
    d = geo["range_m"][0, :, 0]
    r = WGS84_A_M
    expected = np.sqrt(r**2 * np.sin(eps) ** 2 + H_M**2 + 2 * r * H_M) - r * np.sin(eps)
    np.testing.assert_allclose(d, expected, rtol=1e-9)
    # Elevation from the planar triangle: cos(eps) = (R+h) sin(gamma) / d
    np.testing.assert_allclose(np.cos(eps), (r + H_M) * np.sin(np.radians(gammas)) / d, atol=1e-9)
    # Off-nadir angle at the satellite (sine law): sin(eta) = R cos(eps) / (R + h), and the
    # body z axis is nadir, so the AoD's z component is cos(eta).
    eta = np.arcsin(r * np.cos(eps) / (r + H_M))
    np.testing.assert_allclose(geo["u_sat"][0, :, 0, 2], np.cos(eta), atol=1e-9)
    # The elevation agrees with frames.look_angles (second implementation).
    el2, _, rng2 = look_angles(ut[0, 0], 0.0, 30.0, sat[0])
    np.testing.assert_allclose(eps, el2, atol=1e-9)
    np.testing.assert_allclose(d, rng2, rtol=1e-12)


def _ula(x, n):
    """a_n(x) of (4)/(5), half-wavelength spacing, written out."""
    return np.exp(-1j * np.pi * np.arange(n) * x) / np.sqrt(n)


def test_array_axes_against_closed_form_geometry():
    # Seen from the UT (equator, lon 0) each satellite is due EAST at elevation eps. The UT array faces
    # zenith with x = east, y = north, so (5) must be d0 = a_2(cos eps) (x) a_2(0). The satellite flies
    # north (body x = +z_ITRS) and nadir-pointing, so body y = z x x is local east and the UT, west of
    # it at off-nadir angle eta, is at u_sat = (0, -sin eta, cos eta): g = a_8(0) (x) a_8(-sin eta).
    sat, axes, ut, lat, lon = _equator_links([2.0, 5.0, 10.0])
    zero = LinkLargeScale(np.zeros((1, 3, 1)), np.zeros((1, 3, 1)))
    csi = statistical_csi(sat, axes, ut, lat, lon, zero)
    r = WGS84_A_M
    for s, eps in enumerate(csi.elevation[0, :, 0]):
        assert 0.3 < eps < 1.5
        eta = np.arcsin(r * np.cos(eps) / (r + H_M))
        np.testing.assert_allclose(csi.d0[0, s, 0], np.kron(_ula(np.cos(eps), 2), _ula(0.0, 2)), atol=1e-12)
        np.testing.assert_allclose(csi.g[0, s, 0], np.kron(_ula(0.0, 8), _ula(-np.sin(eta), 8)), atol=1e-9)
    # the AoA angles of (5): theta from the north (y) axis = 90 deg, phi from east towards up = eps
    np.testing.assert_allclose(csi.aoa_theta, np.pi / 2, atol=1e-12)
    np.testing.assert_allclose(csi.aoa_phi, csi.elevation, atol=1e-12)


def test_k_factor_at_low_elevation_is_clamped_to_10_deg_column():
    # ~ 5 and ~ 10 degrees elevation
    sat, axes, ut, lat, lon = _equator_links([18.8, 15.0])
    zero = LinkLargeScale(np.zeros((1, 2, 1)), np.zeros((1, 2, 1)))
    csi = statistical_csi(sat, axes, ut, lat, lon, zero)
    el = np.degrees(csi.elevation[0, :, 0])
    assert el[0] < 9.0 and 9.0 < el[1] < 12.0
    k_db = 10 * np.log10(csi.kappa[0, :, 0])
    assert k_db[0] == pytest.approx(31.83)
    assert k_db[1] == pytest.approx(np.interp(el[1], [10, 20], [31.83, 18.78]))


def test_transmit_beam_towards_ut_has_maximum_gain():
    sat, axes, ut, lat, lon = _equator_links([7.0])
    csi = statistical_csi(sat, axes, ut, lat, lon, LinkLargeScale(np.zeros((1, 1, 1)), np.zeros((1, 1, 1))))
    # True direction sat -> UT in the body frame, by hand: body x = ITRS z, z = -r_sat/|r_sat|.
    los = ut[0, 0] - sat[0, 0]
    los /= np.linalg.norm(los)
    x, y, z = axes[0, 0]
    truth = np.array([los @ x, los @ y, los @ z])
    np.testing.assert_allclose(csi.g[0, 0, 0], steering_from_direction(truth, 8, 8), atol=1e-12)
    rng = np.random.default_rng(0)
    grid = rng.standard_normal((4000, 3))
    grid[:, 2] = np.abs(grid[:, 2])
    grid /= np.linalg.norm(grid, axis=-1, keepdims=True)
    grid = np.vstack([grid, truth])
    a_grid = steering_from_direction(grid, 8, 8)
    gains = 64 * np.abs(a_grid.conj() @ csi.g[0, 0, 0]) ** 2
    assert np.argmax(gains) == grid.shape[0] - 1
    assert gains[-1] == pytest.approx(64.0)
    assert array_gain(truth, truth, 8, 8) == pytest.approx(64.0)


def _u(az_deg, el_deg):
    az, el = np.radians(az_deg), np.radians(el_deg)
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el) * np.ones_like(az)], -1)


def test_nlos_covariance_trace_hermitian_psd_and_zero_spread_limit():
    u = _u(np.array([10.0, 120.0, 250.0]), np.array([15.0, 45.0, 80.0]))
    sig = nlos_covariance(u, np.array([12.55, 17.0, 25.0]), np.array([1.25, 6.0, 9.0]), 2, 2, quadrature=7)
    np.testing.assert_allclose(np.trace(sig, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(sig, np.conj(np.swapaxes(sig, -1, -2)), atol=1e-14)
    assert np.linalg.eigvalsh(sig).min() > -1e-12
    d0 = steering_from_direction(u, 2, 2)
    outer = d0[..., :, None] * d0[..., None, :].conj()
    assert np.abs(sig - outer).max() > 0.05                              # a real spread
    lim = nlos_covariance(u, 1e-6, 1e-6, 2, 2)
    np.testing.assert_allclose(lim, outer, atol=1e-7)
    errs = [np.abs(nlos_covariance(u, s, s, 2, 2) - outer).max() for s in (8.0, 2.0, 0.5)]
    assert errs[0] > errs[1] > errs[2]


def test_nlos_covariance_quadrature_matches_monte_carlo():
    # Second implementation: Monte Carlo over Gaussian azimuth/zenith offsets.
    u = _u(np.array(35.0), np.array(30.0))
    asa, zsa = 20.0, 6.0
    quad = nlos_covariance(u, asa, zsa, 2, 2, quadrature=7)
    rng = np.random.default_rng(5)
    n = 200_000
    az = np.radians(35.0) + np.radians(asa) * rng.standard_normal(n)
    zen = np.radians(60.0) + np.radians(zsa) * rng.standard_normal(n)
    dirs = np.stack([np.sin(zen) * np.cos(az), np.sin(zen) * np.sin(az), np.cos(zen)], -1)
    d = steering_from_direction(dirs, 2, 2)
    mc = d.T @ d.conj() / n
    np.testing.assert_allclose(quad, mc, atol=5e-3)


def test_isotropic_model_and_config_errors():
    sat, axes, ut, lat, lon = _equator_links([3.0])
    csi = statistical_csi(sat, axes, ut, lat, lon, LinkLargeScale(np.zeros((1, 1, 1)), np.zeros((1, 1, 1))),
                          ChannelConfig(nlos_model="isotropic"))
    np.testing.assert_allclose(csi.sigma[0, 0, 0], np.eye(4) / 4)
    with pytest.raises(ValueError, match="scenario"):
        ChannelConfig(scenario="rural")
    with pytest.raises(ValueError, match="sat_upa"):
        ChannelConfig(sat_upa=(8, 0))
    with pytest.raises(ValueError, match="large_scale"):
        statistical_csi(sat, axes, ut, lat, lon, LinkLargeScale(np.zeros((1, 2, 1)), np.zeros((1, 2, 1))))
    with pytest.raises(ValueError, match="sat_axes"):
        statistical_csi(sat, axes[:, :, :2], ut, lat, lon, LinkLargeScale(np.zeros((1, 1, 1)), np.zeros((1, 1, 1))))


def _batch_geometry(rng, b=3, s=2, k=4):
    """Satellites at 600 km above points near (20N, 10E) seen by UTs nearby; nadir-pointing axes."""
    from constellation.frames import geodetic_to_itrs
    sat = geodetic_to_itrs(20 + 4 * rng.standard_normal((b, s)), 10 + 4 * rng.standard_normal((b, s)), H_M)
    z = -sat / np.linalg.norm(sat, axis=-1, keepdims=True)
    x = np.cross(np.array([0.0, 0.0, 1.0]), z)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    axes = np.stack([x, y, z], -2)
    lat = 20 + 2 * rng.standard_normal((b, k))
    lon = 10 + 2 * rng.standard_normal((b, k))
    return sat, axes, geodetic_to_itrs(lat, lon, 0.0), lat, lon


def test_sampled_channels_match_beta_and_r_ut():
    rng = np.random.default_rng(7)
    sat, axes, ut, lat, lon = _batch_geometry(rng)
    ls = LinkLargeScale.draw(rng, (3, 2, 4))
    # Lower K-factors so the NLoS part matters (z-scores shift kappa by -1 sigma).
    ls = LinkLargeScale(ls.shadow_z, ls.kappa_z - 1.0)
    # A 4x2 satellite array keeps the sample tensor small; the statistics below are normalised by beta.
    csi = statistical_csi(sat, axes, ut, lat, lon, ls, ChannelConfig(sat_upa=(4, 2)))
    t = 4000
    h = csi.sample_channels(np.random.default_rng(8), samples=t)         # [T,B,S,K,N,M]
    power = np.sum(np.abs(h) ** 2, axis=(-2, -1)).mean(axis=0)
    np.testing.assert_allclose(power / csi.beta, 1.0, atol=0.06)      # ~4 sigma for NLoS-heavy links
    r_emp = np.einsum("tbskim,tbskjm->bskij", h, h.conj()) / t
    np.testing.assert_allclose(r_emp / csi.beta[..., None, None], csi.r_ut / csi.beta[..., None, None], atol=0.03)
    # (15): every realisation transmits along g, so E[H^H H] = beta g g^H
    r_sat = np.einsum("tbskim,tbskin->bskmn", h.conj(), h) / t
    np.testing.assert_allclose(r_sat / csi.beta[..., None, None], csi.r_sat / csi.beta[..., None, None], atol=0.06)
    np.testing.assert_allclose(np.trace(csi.sigma, axis1=-2, axis2=-1), 1.0, atol=1e-12)


def test_large_scale_draw_is_seeded():
    a = LinkLargeScale.draw(np.random.default_rng(3), (2, 3, 4))
    b = LinkLargeScale.draw(np.random.default_rng(3), (2, 3, 4))
    np.testing.assert_array_equal(a.shadow_z, b.shadow_z)
    np.testing.assert_array_equal(a.kappa_z, b.kappa_z)
    assert a.take(sats=[2, 0]).shape == (2, 2, 4)
    with pytest.raises(ValueError, match="rng"):
        LinkLargeScale.draw(3, (1, 1, 1))


def test_pure_los_links_have_finite_statistics():
    """kappa = inf (pure LoS): d_bar = sqrt(beta) d0, R_ut = beta d0 d0^H, channels deterministic."""
    from constellation.csi import StatisticalCSI

    rng = np.random.default_rng(3)
    b, s, k, m, n = 2, 2, 3, 4, 2
    unit = lambda shape: (lambda z: z / np.linalg.norm(z, axis=-1, keepdims=True))(
        rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    g, d0 = unit((b, s, k, m)), unit((b, s, k, n))
    beta = rng.uniform(1e-13, 1e-12, (b, s, k))
    z = np.zeros((b, s, k))
    csi = StatisticalCSI(g=g, d0=d0, beta=beta, kappa=np.full((b, s, k), np.inf),
                         sigma=np.broadcast_to(np.eye(n) / n, (b, s, k, n, n)).astype(complex),
                         noise_w=np.full((b, k), 1e-15), aod_theta=z, aod_phi=z, aoa_theta=z, aoa_phi=z,
                         elevation=z, range_m=z)
    np.testing.assert_allclose(csi.d_bar, np.sqrt(beta)[..., None] * d0)
    np.testing.assert_allclose(csi.r_ut, beta[..., None, None] * d0[..., :, None] * d0[..., None, :].conj())
    h = csi.sample_channels(rng)
    np.testing.assert_allclose(h, np.sqrt(beta)[..., None, None] * d0[..., :, None] * g[..., None, :].conj())
