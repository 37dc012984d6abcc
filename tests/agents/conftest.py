"""Shared fixtures for the agents tests: a synthetic statistical-CSI generator; ``local_ray``, a local Ray
instance shared by the tests of a module (never a stranger's cluster).

``synthetic_csi`` draws a :class:`constellation.csi.StatisticalCSI` without the
world model: UPA steering vectors at random angles (unit norm), random beta
(log-uniform), kappa (log-uniform), a random trace-one PSD Sigma, noise power.
All randomness from the numpy Generator passed in.
"""
from __future__ import annotations

import numpy as np
import pytest
import ray

from constellation.csi import StatisticalCSI


def _upa(nx: int, ny: int, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """UPA response a_nx(sin th cos ph) kron a_ny(cos th), half-wavelength spacing; [..., nx*ny]."""
    ux = np.sin(theta) * np.cos(phi)
    uy = np.cos(theta)
    ax = np.exp(-1j * np.pi * np.arange(nx) * ux[..., None]) / np.sqrt(nx)
    ay = np.exp(-1j * np.pi * np.arange(ny) * uy[..., None]) / np.sqrt(ny)
    return (ax[..., :, None] * ay[..., None, :]).reshape(*theta.shape, nx * ny)


def _grid(n: int) -> tuple[int, int]:
    nx = int(np.sqrt(n))
    while n % nx:
        nx -= 1
    return nx, n // nx


def synthetic_csi(rng: np.random.Generator, B: int = 2, S: int = 2, K: int = 4, M: int = 16, N: int = 2,
                  beta_db=(-125.0, -115.0), kappa_db=(3.0, 12.0), noise_w: float = 1e-13,
                  kappa=None) -> StatisticalCSI:
    """Random sCSI of B drops, shapes as in :class:`StatisticalCSI`.

    beta is log-uniform in ``beta_db``; kappa log-uniform in ``kappa_db`` unless a
    fixed linear ``kappa`` is given. Sigma = X X^H / tr with X complex Gaussian N x N.
    With the defaults, P = 0 dBW gives a per-link SNR of roughly 0-10 dB per UT antenna
    before array gain, as for the LEO S-band budget.
    """
    shp = (B, S, K)
    aod_t = rng.uniform(0.0, np.pi / 3, shp)
    aod_p = rng.uniform(-np.pi, np.pi, shp)
    aoa_t = rng.uniform(0.0, np.pi / 3, shp)
    aoa_p = rng.uniform(-np.pi, np.pi, shp)
    g = _upa(*_grid(M), aod_t, aod_p)
    d0 = _upa(*_grid(N), aoa_t, aoa_p)
    beta = 10.0 ** (rng.uniform(*beta_db, shp) / 10.0)
    kap = (10.0 ** (rng.uniform(*kappa_db, shp) / 10.0)) if kappa is None else np.full(shp, float(kappa))
    x = (rng.standard_normal(shp + (N, N)) + 1j * rng.standard_normal(shp + (N, N))) / np.sqrt(2)
    sig = x @ np.conj(np.swapaxes(x, -1, -2))
    sig = sig / np.trace(sig, axis1=-2, axis2=-1).real[..., None, None]
    elev = np.pi / 2 - aoa_t
    return StatisticalCSI(
        g=g, d0=d0, beta=beta, kappa=kap, sigma=sig, noise_w=np.full((B, K), noise_w),
        aod_theta=aod_t, aod_phi=aod_p, aoa_theta=aoa_t, aoa_phi=aoa_p,
        elevation=elev, range_m=np.full(shp, 1.0e6),
    )


@pytest.fixture
def make_csi():
    """Factory fixture: ``make_csi(seed, **shape_kwargs) -> StatisticalCSI``."""
    def _make(seed: int = 0, **kw) -> StatisticalCSI:
        return synthetic_csi(np.random.default_rng(seed), **kw)
    return _make


@pytest.fixture(scope="module")
def local_ray():
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
