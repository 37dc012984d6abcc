"""One-satellite propagation (Constellation.subset) and the quaternion -> body-axes inverse."""
import numpy as np
import pytest

from constellation.ephemeris import Constellation, axes_from_quaternion, quaternion_from_axes


@pytest.fixture(scope="module")
def walker():
    return Constellation.walker()


@pytest.mark.parametrize("source", ["walker", "tle"])
def test_one_satellite_equals_whole_constellation(walker, source):
    # A TLE import has no common epoch among its element sets: the subset must keep the
    # constellation's time axis, not its own satellite's epoch.
    c = walker if source == "walker" else Constellation.from_tle(Constellation.walker(total=40, planes=4).to_tle())
    t = np.array([0.0, 0.1, 777.7, 5800.0, 86400.0])
    r, v = c.state_itrs(t)
    for i in (0, 7, c.n - 1):
        one = c.subset([i])
        assert one.n == 1 and one.names == [c.names[i]] and one.epoch_jd == c.epoch_jd
        assert one.shell.tolist() == [c.shell[i]] and one.min_altitude_km == c.min_altitude_km
        r1, v1 = one.state_itrs(t)
        assert np.abs(r1[:, 0] - r[:, i]).max() < 1e-3                 # < 1 mm
        assert np.abs(v1[:, 0] - v[:, i]).max() < 1e-6                 # < 1 um/s
        np.testing.assert_allclose(one.body_axes(t)[:, 0], c.body_axes(t)[:, i], atol=1e-12)
    pair = c.subset([5, 2])
    np.testing.assert_allclose(pair.state_itrs(3.0)[0], c.state_itrs(3.0)[0][[5, 2]], atol=1e-3)
    for bad in ([], [c.n], [-1], [[1, 2]], [0.5]):
        with pytest.raises(ValueError, match="ids"):
            c.subset(bad)


def test_quaternion_to_axes_round_trip(walker):
    t = np.array([0.0, 1234.5])
    q = walker.attitude(t)                                         # [T,n,4]
    axes = walker.body_axes(t)
    got = axes_from_quaternion(q)
    np.testing.assert_allclose(got, axes, atol=1e-12)
    np.testing.assert_allclose(axes_from_quaternion(-q), axes, atol=1e-12)          # q and -q: one rotation
    np.testing.assert_allclose(axes_from_quaternion(3.0 * q), axes, atol=1e-12)     # normalised
    np.testing.assert_allclose(quaternion_from_axes(got), q, atol=1e-12)
    # rows orthonormal and right-handed
    np.testing.assert_allclose(got @ np.swapaxes(got, -1, -2), np.broadcast_to(np.eye(3), got.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(got), 1.0, atol=1e-12)


def test_quaternion_closed_form_against_known_rotations():
    # identity; 90 deg about z: body x -> ITRS y, body y -> ITRS -x (rows are the images of the body axes)
    np.testing.assert_allclose(axes_from_quaternion([1.0, 0, 0, 0]), np.eye(3), atol=1e-15)
    h = np.sqrt(0.5)
    np.testing.assert_allclose(axes_from_quaternion([h, 0, 0, h]), [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-15)
    # 180 deg about x: y -> -y, z -> -z
    np.testing.assert_allclose(axes_from_quaternion([0, 1.0, 0, 0]), np.diag([1.0, -1, -1]), atol=1e-15)
    with pytest.raises(ValueError, match="q_wxyz"):
        axes_from_quaternion([0.0, 0, 0, 0])
    with pytest.raises(ValueError, match="q_wxyz"):
        axes_from_quaternion([1.0, 0, 0])
