"""TR 38.811 tables (published values at the grid ends, interpolation, clamp) and free-space path loss."""
import numpy as np
import pytest

from constellation.ntn import SPEED_OF_LIGHT_M_S, fspl_db, ntn_table


def test_urban_k_factor_endpoints_and_clamp():
    t = ntn_table("urban")
    mean, sigma = t.k_factor_db(np.array([10.0, 90.0]))
    np.testing.assert_allclose(mean, [31.83, 3.68])
    np.testing.assert_allclose(sigma, [13.84, 3.14])
    below, _ = t.k_factor_db(np.array([9.9, 5.0, 0.0, -4.0]))
    np.testing.assert_allclose(below, 31.83)


def test_interpolation_midpoints():
    t = ntn_table("urban")
    mean, sigma = t.k_factor_db(np.array([15.0, 45.0, 85.0]))
    np.testing.assert_allclose(mean, [(31.83 + 18.78) / 2, (7.46 + 6.52) / 2, (4.03 + 3.68) / 2])
    np.testing.assert_allclose(sigma, [(13.84 + 13.78) / 2, (8.01 + 8.27) / 2, (4.49 + 3.14) / 2])
    asa, zsa = t.cluster_spreads_deg(np.array([10.0, 25.0, 90.0]))
    np.testing.assert_allclose(asa, [12.55, (12.76 + 14.36) / 2, 27.80])
    np.testing.assert_allclose(zsa, [1.25, (3.23 + 4.39) / 2, 9.25])
    np.testing.assert_allclose(t.shadow_sigma_db(np.array([10.0, 37.0, 90.0])), 4.0)
    # 32.5 deg is a quarter of the way from 30 to 40
    np.testing.assert_allclose(t.k_factor_db(32.5)[0], 10.49 + 0.25 * (7.46 - 10.49))


def test_other_scenarios():
    du = ntn_table("dense_urban")
    np.testing.assert_allclose(du.k_factor_db(np.array([10.0, 90.0]))[0], [4.4, 6.8])
    np.testing.assert_allclose(du.shadow_sigma_db(np.array([10.0, 90.0, 55.0])), [3.5, 1.2, (3.1 + 2.7) / 2])
    su = ntn_table("suburban")
    np.testing.assert_allclose(su.k_factor_db(np.array([10.0, 90.0]))[1], [6.26, 9.91])
    np.testing.assert_allclose(su.shadow_sigma_db(np.array([10.0, 90.0])), [1.79, 0.72])
    with pytest.raises(ValueError, match="scenario"):
        ntn_table("rural")


def test_fspl_closed_form():
    d = np.array([600e3, 1200e3, 2000e3])
    got = fspl_db(d, 2e9)
    np.testing.assert_allclose(got, 32.45 + 20 * np.log10(2.0) + 20 * np.log10(d), atol=0.01)
    lam = SPEED_OF_LIGHT_M_S / 2e9
    np.testing.assert_allclose(got, 10 * np.log10((4 * np.pi * d / lam) ** 2), rtol=1e-12)
    assert fspl_db(600e3, 2e9) == pytest.approx(154.03, abs=0.01)
    assert fspl_db(1200e3, 2e9) - fspl_db(600e3, 2e9) == pytest.approx(20 * np.log10(2))
    with pytest.raises(ValueError, match="distance_m"):
        fspl_db(-1.0, 2e9)
    with pytest.raises(ValueError, match="frequency_hz"):
        fspl_db(1.0, 0.0)
