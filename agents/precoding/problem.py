"""Batched precoding problem (statistical CSI as torch tensors) and the precoder container.

Shapes (B drops, S cooperating satellites, K UTs, M satellite antennas, N UT antennas):

    g       complex [B, S, K, M]   unit-norm satellite steering vectors, eq. (4)
    d0      complex [B, S, K, N]   unit-norm UT LoS steering vectors, eq. (5)
    beta    real    [B, S, K]      average channel power (W/W, array gains included)
    kappa   real    [B, S, K]      Rician K-factor (linear; +inf allowed = pure LoS)
    sigma   complex [B, S, K, N, N] NLoS covariance at the UT, trace 1
    noise_w real    [B, K]         noise power sigma_k^2 (W), > 0
    power_w real    [B, S]         satellite power budgets P_s (W), > 0
    weights real    [B, S, K]      rate weights a_{s,k} >= 0

Derived: ``d_bar`` = E{d} = sqrt(kappa beta/(kappa+1)) d0 [B,S,K,N],
``nlos_w`` = beta/(kappa+1) [B,S,K], ``r_ut`` eq. (14) [B,S,K,N,N].

Everything is pure torch and dtype-generic (complex128 by default); the
containers are plain dataclasses so autograd flows through them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch

__all__ = ["PrecodingProblem", "Precoders", "db_to_linear"]


def db_to_linear(x_db):
    return 10.0 ** (np.asarray(x_db, dtype=float) / 10.0)


def _real(dtype: torch.dtype) -> torch.dtype:
    return torch.empty((), dtype=dtype).real.dtype


@dataclass
class PrecodingProblem:
    """Statistical CSI, noise, budgets and weights of B drops (see module docstring for shapes)."""

    g: torch.Tensor
    d0: torch.Tensor
    beta: torch.Tensor
    kappa: torch.Tensor
    sigma: torch.Tensor
    noise_w: torch.Tensor
    power_w: torch.Tensor
    weights: torch.Tensor
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _cached(self, key: str, inputs: tuple, compute):
        """Memoise a derived tensor while its input tensors are the same objects, unmodified
        (same in-place version counter), and need no grad. The entry keeps the inputs alive,
        so a replaced field can never alias a new tensor with a recycled id."""
        if any(t.requires_grad for t in inputs):
            return compute()
        versions = tuple(t._version for t in inputs)
        hit = self._cache.get(key)
        if (hit is not None and len(hit[0]) == len(inputs) and all(a is b for a, b in zip(hit[0], inputs))
                and hit[1] == versions):
            return hit[2]
        val = compute()
        self._cache[key] = (inputs, versions, val)
        return val

    def __post_init__(self):
        if self.beta.dim() != 3:
            raise ValueError(f"PrecodingProblem.beta must be [B,S,K], got shape {tuple(self.beta.shape)}")
        b, s, k = self.beta.shape
        m, n = self.g.shape[-1], self.d0.shape[-1]
        expect = {"g": (b, s, k, m), "d0": (b, s, k, n), "kappa": (b, s, k), "sigma": (b, s, k, n, n),
                  "noise_w": (b, k), "power_w": (b, s), "weights": (b, s, k)}
        for name, shp in expect.items():
            got = tuple(getattr(self, name).shape)
            if got != shp:
                raise ValueError(f"PrecodingProblem.{name} has shape {got}, expected {shp}")
        if min(b, s, k, m, n) < 1:
            raise ValueError(f"PrecodingProblem: empty dimension in (B,S,K,M,N)={(b, s, k, m, n)}")
        for name in ("g", "d0", "beta", "sigma", "noise_w", "power_w", "weights"):
            if not bool(torch.isfinite(getattr(self, name)).all()):
                raise ValueError(f"PrecodingProblem.{name} contains NaN or inf")
        if bool(torch.isnan(self.kappa).any()) or bool((self.kappa < 0).any()):
            raise ValueError("PrecodingProblem.kappa must be >= 0 (inf allowed), without NaN")
        if bool((self.beta < 0).any()):
            raise ValueError("PrecodingProblem.beta must be >= 0")
        if bool((self.noise_w <= 0).any()):
            raise ValueError("PrecodingProblem.noise_w must be > 0 (W); a noiseless receiver is ill-posed")
        if bool((self.power_w <= 0).any()):
            raise ValueError("PrecodingProblem.power_w must be > 0 (W)")
        if bool((self.weights < 0).any()):
            raise ValueError("PrecodingProblem.weights must be >= 0")

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_csi(cls, csi, power_dbw=None, power_w=None, weights=None,
                 dtype: torch.dtype = torch.complex128) -> "PrecodingProblem":
        """From a :class:`constellation.csi.StatisticalCSI` (numpy) and a power budget.

        ``power_dbw`` / ``power_w``: scalar, [B] or [B,S] (exactly one of them);
        ``weights`` [B,S,K] (default all ones).
        """
        if (power_dbw is None) == (power_w is None):
            raise ValueError("from_csi: give exactly one of power_dbw, power_w")
        b, s, k, m, n = csi.shape
        rdt = _real(dtype)
        pw = db_to_linear(power_dbw) if power_w is None else np.asarray(power_w, dtype=float)
        if pw.ndim == 1:
            pw = pw[:, None]
        pw = np.broadcast_to(pw, (b, s))
        wts = np.ones((b, s, k)) if weights is None else np.broadcast_to(np.asarray(weights, float), (b, s, k))
        t = lambda x, dt: torch.from_numpy(np.array(x, copy=True)).to(dt)
        return cls(g=t(csi.g, dtype), d0=t(csi.d0, dtype), beta=t(csi.beta, rdt), kappa=t(csi.kappa, rdt),
                   sigma=t(csi.sigma, dtype), noise_w=t(csi.noise_w, rdt), power_w=t(pw, rdt),
                   weights=t(wts, rdt))

    # ---------------------------------------------------------------- derived
    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """(B, S, K, M, N)."""
        b, s, k = self.beta.shape
        return b, s, k, self.g.shape[-1], self.d0.shape[-1]

    @property
    def dtype(self) -> torch.dtype:
        return self.g.dtype

    @property
    def los_w(self) -> torch.Tensor:
        """kappa beta/(kappa+1) [B,S,K] (= beta for kappa = inf)."""
        return self.beta / (1.0 + 1.0 / self.kappa)

    @property
    def nlos_w(self) -> torch.Tensor:
        """beta/(kappa+1) [B,S,K] (= 0 for kappa = inf)."""
        return self.beta / (self.kappa + 1.0)

    @property
    def d_bar(self) -> torch.Tensor:
        """E{d} = sqrt(kappa beta/(kappa+1)) d0, [B,S,K,N]."""
        return torch.sqrt(self.los_w).to(self.dtype)[..., None] * self.d0

    @property
    def r_ut(self) -> torch.Tensor:
        """R_ut = E{H H^H}, eq. (14), [B,S,K,N,N] (memoised)."""
        def compute():
            db = self.d_bar
            return db[..., :, None] * db[..., None, :].conj() + self.nlos_w.to(self.dtype)[..., None, None] * self.sigma
        return self._cached("r_ut", (self.d0, self.beta, self.kappa, self.sigma), compute)

    @property
    def steering_qr(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Reduced QR of each satellite's steering matrix [g_{s,1} .. g_{s,K}] (memoised):
        Q [B,S,M,R] orthonormal, Rg [B,S,R,K], R = min(M, K)."""
        return self._cached("qr", (self.g,), lambda: torch.linalg.qr(self.g.transpose(-2, -1), mode="reduced"))

    # ---------------------------------------------------------------- reshaping
    def take(self, batch=slice(None), sats=slice(None), uts=slice(None)) -> "PrecodingProblem":
        """Sub-select or permute drops, satellites and UTs (index tensors/lists or slices)."""
        out = {}
        for f in fields(self):
            if not f.init:
                continue
            a = getattr(self, f.name)[batch]
            out[f.name] = a[:, uts] if f.name == "noise_w" else (
                a[:, sats] if f.name == "power_w" else a[:, sats][:, :, uts])
        return PrecodingProblem(**out)

    def per_satellite(self) -> "PrecodingProblem":
        """Each satellite alone: a problem with B*S drops and S = 1 (drop index b*S + s)."""
        b, s, k, m, n = self.shape
        one = lambda x: x.reshape(b * s, 1, *x.shape[2:])
        return PrecodingProblem(
            g=one(self.g), d0=one(self.d0), beta=one(self.beta), kappa=one(self.kappa), sigma=one(self.sigma),
            noise_w=self.noise_w[:, None, :].expand(b, s, k).reshape(b * s, k),
            power_w=self.power_w.reshape(b * s, 1), weights=one(self.weights))

    def with_power(self, power_w) -> "PrecodingProblem":
        """The same sCSI with another budget (W): scalar, [B] or [B,S]."""
        pw = torch.as_tensor(power_w, dtype=self.power_w.dtype)
        if pw.dim() == 1:
            pw = pw[:, None]
        return replace(self, power_w=pw.expand_as(self.power_w).clone())


@dataclass
class Precoders:
    """Transmit precoders p [B,S,K,M] (p[b,s,k] = p_{s,k}) and receive vectors b [B,S,K,N]."""

    p: torch.Tensor
    b: torch.Tensor

    @property
    def power_w(self) -> torch.Tensor:
        """Transmit power of each satellite sum_k ||p_{s,k}||^2, [B,S] (W)."""
        return (self.p.abs() ** 2).sum((-2, -1))

    def take(self, batch=slice(None), sats=slice(None), uts=slice(None)) -> "Precoders":
        return Precoders(p=self.p[batch][:, sats][:, :, uts], b=self.b[batch][:, sats][:, :, uts])

    def detach(self) -> "Precoders":
        return Precoders(p=self.p.detach(), b=self.b.detach())
