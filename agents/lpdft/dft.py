"""The 2-D DFT beamforming network of the LP-DFT payload: codebook ``T F`` and its grid angles.

Construction (precise)
----------------------
The FFT has ``N = N1 * N2`` inputs (default 16 x 16 = 256). An input vector
``z`` (length N, the DFT "beam" ports) is read row-major as an ``N1 x N2``
array: port ``n = n1 * N2 + n2``. The DFT block computes the 2-D DFT (numpy's
forward convention, ``np.fft.fft2``)::

    X[m1, m2] = sum_{n1, n2} Z[n1, n2] exp(-j 2 pi (m1 n1 / N1 + m2 n2 / N2)),

i.e. ``F = F_N1 (x) F_N2`` (Kronecker, row-major). The spatial window ``T``
keeps the ``Nx x Ny`` sub-block ``m1 in [o1, o1 + Nx)``, ``m2 in [o2, o2 + Ny)``
(consecutive outputs along both axes; offset ``(o1, o2)``, default (0, 0)), and
output ``(o1 + i, o2 + j)`` feeds the URA element ``(i, j)`` at position
``(i d, j d)`` in the array frame (x, y in the array plane, z boresight), i.e.
element index ``i * Ny + j`` -- the order of :mod:`constellation.antenna`.
Requires ``Nx <= N1`` and ``Ny <= N2``.

Normalisation: the codebook is ``B = T F / sqrt(N_a)``, ``N_a = Nx * Ny``, so
every column (beam) has unit norm over the radiating elements: a stream of
power ``p`` fed to one DFT port radiates exactly ``p``, and a user in the beam
centre receives the full array gain ``N_a``. With ``(o1, o2) = (0, 0)`` column
``n = (n1, n2)`` *is* the unit-norm URA steering vector of
:func:`constellation.antenna.steering_from_direction` at the grid direction
cosines ``d u_x = wrap(n1 / N1)``, ``d u_y = wrap(n2 / N2)`` (``wrap`` to
[-1/2, 1/2); ``d`` = spacing in wavelengths); a non-zero offset only multiplies
column ``n`` by the constant phase ``exp(-j 2 pi (o1 n1/N1 + o2 n2/N2))``. When
the window is the whole FFT (``Nx, Ny = N1, N2``) the columns are orthonormal;
a smaller window widens the beams and makes neighbouring beams overlap (not
orthogonal).
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_shapes", "dft_codebook", "dft_codebook_fft", "grid_direction_cosines"]


def _pair(name: str, value) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of positive integers, got {value!r}") from None
    if a < 1 or b < 1 or tuple(value) != (a, b):
        raise ValueError(f"{name} must be a pair of positive integers, got {value!r}")
    return a, b


def check_shapes(fft_shape, ura_shape, offset=(0, 0)) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate (fft_shape, ura_shape, offset); ValueError naming the offending field."""
    n1, n2 = _pair("fft_shape", fft_shape)
    nx, ny = _pair("ura", ura_shape)
    try:
        o1, o2 = (int(v) for v in offset)
    except (TypeError, ValueError):
        raise ValueError(f"window_offset must be a pair of integers, got {offset!r}") from None
    if nx > n1 or ny > n2:
        raise ValueError(f"ura {nx}x{ny} does not fit in the FFT {n1}x{n2}: the window selects one "
                         f"DFT output per element, so each URA side must be <= the FFT side")
    if not (0 <= o1 <= n1 - nx and 0 <= o2 <= n2 - ny):
        raise ValueError(f"window_offset {offset!r} puts the {nx}x{ny} window outside the {n1}x{n2} FFT outputs")
    return (n1, n2), (nx, ny), (o1, o2)


def dft_codebook(fft_shape=(16, 16), ura_shape=(16, 16), offset=(0, 0)) -> np.ndarray:
    """Windowed, normalised 2-D DFT ``B = T F / sqrt(N_a)``: complex ``[N_a, N]``.

    Row ``i * Ny + j`` = URA element (i, j); column ``n1 * N2 + n2`` = DFT input port.
    Built from the closed form (Kronecker of two windowed 1-D DFTs).
    """
    (n1, n2), (nx, ny), (o1, o2) = check_shapes(fft_shape, ura_shape, offset)
    f1 = np.exp(-2j * np.pi * np.outer(np.arange(o1, o1 + nx), np.arange(n1)) / n1)   # [Nx, N1]
    f2 = np.exp(-2j * np.pi * np.outer(np.arange(o2, o2 + ny), np.arange(n2)) / n2)   # [Ny, N2]
    return np.kron(f1, f2) / np.sqrt(nx * ny)


def dft_codebook_fft(z, fft_shape=(16, 16), ura_shape=(16, 16), offset=(0, 0)) -> np.ndarray:
    """Apply ``B`` to port vectors with the FFT: ``z`` [..., N] -> radiated element signals [..., N_a].

    The payload's actual signal path (``np.fft.fft2`` then the window); equals ``z @ B.T``.
    """
    (n1, n2), (nx, ny), (o1, o2) = check_shapes(fft_shape, ura_shape, offset)
    z = np.asarray(z)
    x = np.fft.fft2(z.reshape(z.shape[:-1] + (n1, n2)), axes=(-2, -1))
    x = x[..., o1:o1 + nx, o2:o2 + ny]
    return x.reshape(z.shape[:-1] + (nx * ny,)) / np.sqrt(nx * ny)


def grid_direction_cosines(fft_shape=(16, 16), spacing_wl: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Direction cosines (u_x, u_y) ``[N]`` at which each DFT column points (main lobe).

    ``u_x = wrap(n1 / N1) / d``, ``u_y = wrap(n2 / N2) / d`` with ``wrap`` to [-1/2, 1/2).
    Columns with ``u_x^2 + u_y^2 > 1`` point to no physical direction (possible for d > 1/2:
    their main lobe is invisible, grating lobes may not be).
    """
    n1, n2 = _pair("fft_shape", fft_shape)
    if not np.isfinite(spacing_wl) or spacing_wl <= 0:
        raise ValueError(f"spacing must be a positive element spacing in wavelengths, got {spacing_wl!r}")
    f1 = (np.arange(n1) / n1 + 0.5) % 1.0 - 0.5
    f2 = (np.arange(n2) / n2 + 0.5) % 1.0 - 0.5
    ux = np.repeat(f1, n2) / spacing_wl
    uy = np.tile(f2, n1) / spacing_wl
    return ux, uy
