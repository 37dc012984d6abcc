"""Statistical CSI of every (satellite, UT) link: the contract between world and precoders.

Shapes follow ``[batch, S, K, ...]`` (B independent drops, S cooperating
satellites, K user terminals; M satellite antennas, N UT antennas). Produced by
:mod:`constellation.channel`, consumed by ``agents.precoding`` (which converts
to torch) and by the message types of ``network`` (sCSI reports).

Model, eq. (13) of the multi-satellite paper::

    H[s,k] = sqrt(kappa beta / (kappa+1)) d0 g^H + sqrt(beta / (kappa+1)) d~ g^H,
    d~ ~ CN(0, Sigma),  ||g|| = ||d0|| = 1,  Tr Sigma = 1,

so that beta = E Tr(H H^H) is the average channel power (array gains included).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class StatisticalCSI:
    """sCSI of a batch of drops. All arrays share the leading ``[B, S, K]``.

    Attributes
    ----------
    g : complex [B, S, K, M]   unit-norm satellite steering vector, eq. (4)
    d0 : complex [B, S, K, N]  unit-norm UT LoS steering vector, eq. (5)
    beta : float [B, S, K]     average channel power (linear, W/W), array gains included
    kappa : float [B, S, K]    Rician K-factor (linear)
    sigma : complex [B, S, K, N, N]  NLoS spatial covariance at the UT, trace 1
    noise_w : float [B, K]     noise power per subcarrier sigma_k^2 (W)
    aod_theta, aod_phi : float [B, S, K]  AoD (rad) in the satellite array frame, as in (4)
    aoa_theta, aoa_phi : float [B, S, K]  AoA (rad) of the LoS path in the UT array frame, as in (5)
    elevation : float [B, S, K]  elevation of the satellite seen from the UT (rad)
    range_m : float [B, S, K]    slant range (m)
    """

    g: np.ndarray
    d0: np.ndarray
    beta: np.ndarray
    kappa: np.ndarray
    sigma: np.ndarray
    noise_w: np.ndarray
    aod_theta: np.ndarray
    aod_phi: np.ndarray
    aoa_theta: np.ndarray
    aoa_phi: np.ndarray
    elevation: np.ndarray
    range_m: np.ndarray

    def __post_init__(self):
        b, s, k = self.beta.shape
        expect = {
            "g": (b, s, k, self.g.shape[-1]), "d0": (b, s, k, self.d0.shape[-1]),
            "kappa": (b, s, k), "sigma": (b, s, k, self.d0.shape[-1], self.d0.shape[-1]),
            "noise_w": (b, k), "aod_theta": (b, s, k), "aod_phi": (b, s, k),
            "aoa_theta": (b, s, k), "aoa_phi": (b, s, k), "elevation": (b, s, k), "range_m": (b, s, k),
        }
        for name, shape in expect.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"StatisticalCSI.{name} has shape {got}, expected {shape} "
                                 f"(from beta [B,S,K]={self.beta.shape})")

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """(B, S, K, M, N)."""
        b, s, k = self.beta.shape
        return b, s, k, self.g.shape[-1], self.d0.shape[-1]

    @property
    def los_fraction(self) -> np.ndarray:
        """kappa/(kappa+1) [B, S, K], written 1/(1+1/kappa) so that kappa = inf (pure LoS) gives 1."""
        with np.errstate(divide="ignore"):
            return 1.0 / (1.0 + 1.0 / self.kappa)

    @property
    def d_bar(self) -> np.ndarray:
        """Mean receive steering E{d} = sqrt(kappa beta/(kappa+1)) d0, [B, S, K, N]."""
        return np.sqrt(self.los_fraction * self.beta)[..., None] * self.d0

    @property
    def r_ut(self) -> np.ndarray:
        """UT-side correlation R_ut = E{H H^H}, eq. (14), [B, S, K, N, N]."""
        los = (self.los_fraction * self.beta)[..., None, None] * (
            self.d0[..., :, None] * self.d0[..., None, :].conj())
        return los + (self.beta / (self.kappa + 1.0))[..., None, None] * self.sigma

    @property
    def r_sat(self) -> np.ndarray:
        """Satellite-side correlation R_sat = E{H^H H} = beta g g^H, eq. (15), [B, S, K, M, M]."""
        return self.beta[..., None, None] * (self.g[..., :, None] * self.g[..., None, :].conj())

    def take(self, batch=slice(None), sats=slice(None), uts=slice(None)) -> "StatisticalCSI":
        """Sub-select (or permute, with index arrays) drops, satellites and UTs."""
        out = {}
        for f in fields(self):
            a = getattr(self, f.name)
            a = a[batch]
            if f.name == "noise_w":
                out[f.name] = a[:, uts]
            else:
                out[f.name] = a[:, sats][:, :, uts]
        return StatisticalCSI(**out)

    def sample_channels(self, rng: np.random.Generator, samples: int | None = None) -> np.ndarray:
        """Instantaneous channels H, eq. (13): complex [B, S, K, N, M], or [T, B, S, K, N, M].

        Every link's NLoS receive component is drawn independently from
        CN(0, Sigma) with the seeded generator ``rng``.
        """
        b, s, k, m, n = self.shape
        lead = (b, s, k) if samples is None else (samples, b, s, k)
        white = (rng.standard_normal(lead + (n,)) + 1j * rng.standard_normal(lead + (n,))) / np.sqrt(2.0)
        return self.channels(white)

    def channels(self, white: np.ndarray) -> np.ndarray:
        """Instantaneous channels H, eq. (13), from given white normals ``white`` ~ CN(0, I_N) of shape
        [..., B, S, K, N] (e.g. drawn link by link from keyed streams): d = d_bar + sqrt(beta / (kappa + 1))
        Sigma^(1/2) w, H = d g^H; complex [..., B, S, K, N, M]."""
        chol = _psd_sqrt(self.sigma)                                   # [B,S,K,N,N]
        d_tilde = np.einsum("...ij,...j->...i", chol, white)
        d = self.d_bar + np.sqrt(self.beta / (self.kappa + 1.0))[..., None] * d_tilde
        return d[..., :, None] * self.g[..., None, :].conj()


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    """A matrix square root L with L L^H = a for Hermitian PSD a (eigen-based, robust to rank loss)."""
    w, v = np.linalg.eigh(a)
    return v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]
