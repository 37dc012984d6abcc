"""Uniform planar array (UPA) steering vectors, eqs. (4) and (5) of the multi-satellite paper.

Array frame and angle convention
--------------------------------
A UPA of ``nx x ny`` isotropic elements lies in the x-y plane of its *array
frame* (right-handed: x, y in the array plane, z = boresight). Element
``(i, j)`` sits at ``(i dx, j dy, 0)``. For a unit direction ``u = (u_x, u_y,
u_z)`` expressed in that frame, the paper writes the response as::

    a(theta, phi) = a_nx(sin(theta) cos(phi)) (x) a_ny(cos(theta)),
    a_n(x) = 1/sqrt(n) [1, e^{-j 2 pi d x / lambda}, ..., e^{-j 2 pi d (n-1) x / lambda}]^T.

The arguments must be the direction cosines with respect to the array axes,
``sin(theta) cos(phi) = u_x`` and ``cos(theta) = u_y``. That fixes the angles:

* ``theta`` is the angle between ``u`` and the array **y-axis**, in [0, pi]:
  ``theta = arccos(u_y)``;
* ``phi`` is the azimuth of ``u`` in the **x-z plane**, measured from the
  x-axis towards the boresight z: ``phi = atan2(u_z, u_x)``; directions in
  front of the array (``u_z >= 0``) have ``phi`` in [0, pi], boresight is
  ``(theta, phi) = (pi/2, pi/2)``.

Hence ``u = (sin(theta) cos(phi), cos(theta), sin(theta) sin(phi))``.
:func:`direction_to_angles` and :func:`angles_to_direction` implement this.

Index order: the Kronecker product puts the x index outermost, so element
``(i, j)`` is entry ``i * ny + j`` of the length ``nx * ny`` vector.

Frames used by :mod:`constellation.channel`: the satellite array frame is the
satellite body frame (x along the velocity, z to nadir, y = z x x); the UT
array faces zenith with x = east, y = north, z = up (the local ENU frame).
"""
from __future__ import annotations

import numpy as np


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer number of elements, got {value!r}")
    return int(value)


def ula_response(cosine, n: int, spacing_wl: float = 0.5) -> np.ndarray:
    """Unit-norm ULA response a_n(x) of (4)/(5): complex ``[..., n]``.

    ``cosine`` [...] is the direction cosine x with respect to the array axis;
    ``spacing_wl`` is the element spacing d / lambda.
    """
    n = _check_size("n", n)
    if not np.isfinite(spacing_wl) or spacing_wl <= 0:
        raise ValueError(f"spacing_wl must be a positive element spacing in wavelengths, got {spacing_wl!r}")
    x = np.asarray(cosine, float)
    idx = np.arange(n, dtype=float)
    return np.exp(-2j * np.pi * spacing_wl * x[..., None] * idx) / np.sqrt(n)


def upa_steering(sin_x, cos_y, nx: int, ny: int, spacing_wl: float = 0.5) -> np.ndarray:
    """UPA steering vector ``a_nx(sin_x) (x) a_ny(cos_y)``, eqs. (4)/(5): complex ``[..., nx*ny]``.

    Parameters
    ----------
    sin_x : array [...]   ``sin(theta) cos(phi)``, the direction cosine on the array x-axis
    cos_y : array [...]   ``cos(theta)``, the direction cosine on the array y-axis
    nx, ny : elements along x and y
    spacing_wl : element spacing in wavelengths (both axes), 0.5 in the paper

    The result has unit norm and broadcasts over the leading dimensions of
    ``sin_x`` and ``cos_y``.
    """
    sin_x, cos_y = np.broadcast_arrays(np.asarray(sin_x, float), np.asarray(cos_y, float))
    ax = ula_response(sin_x, nx, spacing_wl)
    ay = ula_response(cos_y, ny, spacing_wl)
    return (ax[..., :, None] * ay[..., None, :]).reshape(sin_x.shape + (nx * ny,))


def steering_from_direction(u, nx: int, ny: int, spacing_wl: float = 0.5) -> np.ndarray:
    """Steering vector ``[..., nx*ny]`` for unit directions ``u`` ``[..., 3]`` in the array frame."""
    u = np.asarray(u, float)
    if u.shape[-1:] != (3,):
        raise ValueError(f"u must have a trailing dimension of 3 (x, y, z in the array frame), got shape {u.shape}")
    return upa_steering(u[..., 0], u[..., 1], nx, ny, spacing_wl)


def direction_to_angles(u) -> tuple[np.ndarray, np.ndarray]:
    """(theta, phi) in radians of unit directions ``u`` ``[..., 3]`` (array frame), see the module doc.

    ``theta = arccos(u_y)`` in [0, pi]; ``phi = atan2(u_z, u_x)`` in (-pi, pi].
    """
    u = np.asarray(u, float)
    if u.shape[-1:] != (3,):
        raise ValueError(f"u must have a trailing dimension of 3, got shape {u.shape}")
    theta = np.arccos(np.clip(u[..., 1], -1.0, 1.0))
    phi = np.arctan2(u[..., 2], u[..., 0])
    return theta, phi


def angles_to_direction(theta, phi) -> np.ndarray:
    """Unit direction ``[..., 3]`` = (sin th cos ph, cos th, sin th sin ph) in the array frame."""
    theta, phi = np.broadcast_arrays(np.asarray(theta, float), np.asarray(phi, float))
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), np.cos(theta), st * np.sin(phi)], axis=-1)


def upa_steering_angles(theta, phi, nx: int, ny: int, spacing_wl: float = 0.5) -> np.ndarray:
    """Steering vector ``[..., nx*ny]`` from the paper's angles (theta, phi) in radians."""
    theta, phi = np.broadcast_arrays(np.asarray(theta, float), np.asarray(phi, float))
    return upa_steering(np.sin(theta) * np.cos(phi), np.cos(theta), nx, ny, spacing_wl)


def array_gain(beam_dir, true_dir, nx: int, ny: int, spacing_wl: float = 0.5) -> np.ndarray:
    """Power gain ``M |a(beam_dir)^H a(true_dir)|^2`` (linear, relative to one element), ``[...]``.

    A beam steered with the unit-norm weights ``a(beam_dir)`` and a plane wave from
    ``true_dir`` (both unit vectors ``[..., 3]`` in the array frame, broadcast
    together). Equals ``M = nx*ny`` when the beam points at the true direction.
    """
    a_beam = steering_from_direction(beam_dir, nx, ny, spacing_wl)
    a_true = steering_from_direction(true_dir, nx, ny, spacing_wl)
    inner = np.sum(a_beam.conj() * a_true, axis=-1)
    return nx * ny * np.abs(inner) ** 2
