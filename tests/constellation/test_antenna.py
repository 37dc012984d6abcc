"""UPA steering vectors (4)/(5): conventions, norm, and the array gain against closed forms."""
import numpy as np
import pytest

from constellation.antenna import (angles_to_direction, array_gain, direction_to_angles,
                                   steering_from_direction, upa_steering, upa_steering_angles)


def _random_front_directions(rng, n):
    u = rng.standard_normal((n, 3))
    u[:, 2] = np.abs(u[:, 2])
    return u / np.linalg.norm(u, axis=-1, keepdims=True)


def test_unit_norm_batched():
    rng = np.random.default_rng(1)
    u = _random_front_directions(rng, 60).reshape(3, 4, 5, 3)
    g = steering_from_direction(u, 8, 8)
    assert g.shape == (3, 4, 5, 64)
    np.testing.assert_allclose(np.linalg.norm(g, axis=-1), 1.0, atol=1e-12)


def test_elements_match_plane_wave_phase_from_positions():
    # Element (i, j) at (i d, j d, 0), d = lambda/2: phase -2 pi p.u / lambda, index i*ny + j.
    u = np.array([0.3, -0.5, np.sqrt(1 - 0.34)])
    nx, ny = 4, 3
    pos_wl = np.array([[i * 0.5, j * 0.5, 0.0] for i in range(nx) for j in range(ny)])
    expected = np.exp(-2j * np.pi * pos_wl @ u) / np.sqrt(nx * ny)
    np.testing.assert_allclose(steering_from_direction(u, nx, ny), expected, atol=1e-12)
    np.testing.assert_allclose(upa_steering(u[0], u[1], nx, ny),
                               np.kron(np.exp(-1j * np.pi * np.arange(nx) * u[0]) / 2,
                                       np.exp(-1j * np.pi * np.arange(ny) * u[1]) / np.sqrt(3)), atol=1e-12)


def test_angle_convention_gives_direction_cosines():
    rng = np.random.default_rng(2)
    u = _random_front_directions(rng, 200)
    theta, phi = direction_to_angles(u)
    np.testing.assert_allclose(np.sin(theta) * np.cos(phi), u[:, 0], atol=1e-12)   # (4): first argument
    np.testing.assert_allclose(np.cos(theta), u[:, 1], atol=1e-12)                 # (4): second argument
    assert np.all((phi >= 0) & (phi <= np.pi))                                     # front hemisphere
    np.testing.assert_allclose(angles_to_direction(theta, phi), u, atol=1e-12)
    np.testing.assert_allclose(upa_steering_angles(theta, phi, 8, 8), steering_from_direction(u, 8, 8), atol=1e-12)
    th0, ph0 = direction_to_angles(np.array([0.0, 0.0, 1.0]))
    assert th0 == pytest.approx(np.pi / 2) and ph0 == pytest.approx(np.pi / 2)


def _dirichlet_power(n, delta):
    """|a_n(x)^H a_n(x + delta)|^2 for half-wavelength spacing, closed form."""
    num = np.sin(n * np.pi * delta / 2)
    den = n * np.sin(np.pi * delta / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (num / den) ** 2
    return np.where(np.abs(den) < 1e-12, 1.0, out)


def test_beam_towards_true_direction_has_maximum_gain():
    rng = np.random.default_rng(3)
    truth = np.array([0.35, -0.2, 0.0])
    truth[2] = np.sqrt(1 - truth[0] ** 2 - truth[1] ** 2)
    grid = _random_front_directions(rng, 5000)
    gains = array_gain(grid, truth, 8, 8)
    assert array_gain(truth, truth, 8, 8) == pytest.approx(64.0)
    assert gains.max() <= 64.0 + 1e-9
    # Closed form: separable Dirichlet kernels in the direction-cosine offsets.
    expected = 64 * _dirichlet_power(8, grid[:, 0] - truth[0]) * _dirichlet_power(8, grid[:, 1] - truth[1])
    np.testing.assert_allclose(gains, expected, rtol=1e-9, atol=1e-9)
    # The best grid beam is the one closest to the truth in direction cosines.
    best = np.argmax(gains)
    dist = np.hypot(grid[:, 0] - truth[0], grid[:, 1] - truth[1])
    assert dist[best] < 0.05
    # Outside the main lobe on either axis (first null at 2/8 = 0.25) at most the first
    # sidelobe of an 8-element half-wavelength array, -12.80 dB (0.05251 of the peak).
    off = np.maximum(np.abs(grid[:, 0] - truth[0]), np.abs(grid[:, 1] - truth[1])) > 0.25
    assert off.sum() > 1000
    assert np.all(gains[off] < 64 * 0.0526)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="n"):
        upa_steering(0.1, 0.2, 0, 4)
    with pytest.raises(ValueError, match="spacing_wl"):
        upa_steering(0.1, 0.2, 2, 2, spacing_wl=-1)
    with pytest.raises(ValueError, match="trailing dimension"):
        steering_from_direction(np.zeros((3, 2)), 2, 2)
