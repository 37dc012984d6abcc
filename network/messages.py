"""Typed ISL messages that carry their payload arrays and know their exact size in bits.

Size model: every real number costs ``bits_per_real`` bits (default 32, float32);
a complex number is two reals. Only the information content of Table III of the
multi-satellite paper is counted; protocol headers (addresses, timestamps,
message type) are not, since they are independent of the scheme (the bus
knows source, destination and send time of every message anyway).

Message types and their real-number counts (K UTs, M satellite antennas,
N UT antennas):

``SSI``            satellite state information: ITRS position (3), attitude
                   quaternion (4), power budget P_sat (1)  ->  8 reals.
``SCSIReport``     a member's statistical CSI for the central satellite: the
                   sender's SSI (8) plus, for every UT k, beta_k (1), kappa_k (1)
                   and the NLoS covariance Sigma_k (N x N complex):
                   ``sigma_packing="full"``      -> 2 N^2 reals per UT (default),
                   ``sigma_packing="hermitian"`` -> N^2 reals per UT.
``PrecoderBundle`` the precoders p_{s,k} (M complex each) of one satellite for
                   its K UTs  ->  2 K M reals.

Why ``full`` is the default for Sigma: it is what the paper counts. Its Fig. 8
reports 0.124928 Mbit per centralized update for S=3, K=12, M=64, N=4 with
float32, which is exactly 2 reports x 32 x (8 + 12 (2 + 2*16)) bits + 2 bundles
x 32 x (2*12*64) bits = 26,624 + 98,304 = 124,928 bits, i.e. the full complex
N x N matrix. Sigma is a covariance, hence Hermitian, so the upper triangle
(N real diagonal entries + N(N-1)/2 complex off-diagonal ones = N^2 reals)
determines it exactly; ``sigma_packing="hermitian"`` sends that lossless
packing (see :func:`pack_hermitian` / :func:`unpack_hermitian`) and is the
efficient choice for new experiments. The payload array carried by the
message is always the full matrix, so the receiver sees the same Sigma either way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

DEFAULT_BITS_PER_REAL = 32
SIGMA_PACKINGS = ("full", "hermitian")


def _check_bits_per_real(owner: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}.bits_per_real = {value!r}: must be a positive integer number of bits")


def _real_array(owner: str, name: str, value, shape: tuple | None = None, ndim: int | None = None) -> np.ndarray:
    a = np.asarray(value)
    if np.iscomplexobj(a):
        raise ValueError(f"{owner}.{name} is complex: a real array is expected")
    a = a.astype(float, copy=False)
    if shape is not None and a.shape != shape:
        raise ValueError(f"{owner}.{name} has shape {a.shape}, expected {shape}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{owner}.{name} has shape {a.shape}, expected {ndim} dimensions")
    return a


class Message:
    """Base class: a payload with an exact size. Subclasses define ``n_reals``."""

    kind: ClassVar[str] = "message"
    bits_per_real: int

    @property
    def n_reals(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def size_bits(self) -> int:
        """Exact payload size in bits: ``n_reals * bits_per_real``."""
        return int(self.n_reals) * int(self.bits_per_real)


@dataclass(frozen=True, eq=False)
class SSI(Message):
    """Satellite state information (8 reals).

    position_m : float [3]    ITRS position (m)
    attitude_q : float [4]    attitude quaternion (w, x, y, z), scalar first, body -> ITRS,
                              as ``constellation.ephemeris.Constellation.attitude``
    power_w    : float        transmit power budget P_sat (W)
    """

    kind: ClassVar[str] = "SSI"
    position_m: np.ndarray
    attitude_q: np.ndarray
    power_w: float
    bits_per_real: int = DEFAULT_BITS_PER_REAL

    def __post_init__(self):
        object.__setattr__(self, "position_m", _real_array("SSI", "position_m", self.position_m, (3,)))
        object.__setattr__(self, "attitude_q", _real_array("SSI", "attitude_q", self.attitude_q, (4,)))
        p = np.asarray(self.power_w)
        if p.shape != () or np.iscomplexobj(p):
            raise ValueError(f"SSI.power_w = {self.power_w!r}: must be one real number (W)")
        object.__setattr__(self, "power_w", float(p))
        _check_bits_per_real("SSI", self.bits_per_real)

    @property
    def n_reals(self) -> int:
        return self.position_m.size + self.attitude_q.size + 1


@dataclass(frozen=True, eq=False)
class SCSIReport(Message):
    """A member satellite's sCSI report to the central satellite (Table III).

    ssi   : SSI                     the sender's position, attitude and power budget
    beta  : float [K]               average channel power per UT (W/W)
    kappa : float [K]               Rician K-factor per UT (linear)
    sigma : complex [K, N, N]       NLoS covariance per UT (Hermitian, trace 1)
    sigma_packing : "full" (2 N^2 reals per UT, the paper's count) or
                    "hermitian" (N^2 reals per UT, lossless for Hermitian Sigma)
    bits_per_real : applies to every real of the report, the nested SSI included.
    """

    kind: ClassVar[str] = "SCSIReport"
    ssi: SSI
    beta: np.ndarray
    kappa: np.ndarray
    sigma: np.ndarray
    sigma_packing: str = "full"
    bits_per_real: int = DEFAULT_BITS_PER_REAL

    def __post_init__(self):
        if not isinstance(self.ssi, SSI):
            raise ValueError(f"SCSIReport.ssi is a {type(self.ssi).__name__}: an SSI is expected")
        beta = _real_array("SCSIReport", "beta", self.beta, ndim=1)
        k = beta.shape[0]
        kappa = _real_array("SCSIReport", "kappa", self.kappa, (k,))
        sigma = np.asarray(self.sigma).astype(complex, copy=False)
        if sigma.ndim != 3 or sigma.shape[0] != k or sigma.shape[1] != sigma.shape[2]:
            raise ValueError(f"SCSIReport.sigma has shape {sigma.shape}, expected (K, N, N) with K={k}")
        if self.sigma_packing not in SIGMA_PACKINGS:
            raise ValueError(f"SCSIReport.sigma_packing = {self.sigma_packing!r}: allowed {SIGMA_PACKINGS}")
        _check_bits_per_real("SCSIReport", self.bits_per_real)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "kappa", kappa)
        object.__setattr__(self, "sigma", sigma)

    @property
    def n_uts(self) -> int:
        return self.beta.shape[0]

    @property
    def n_ut_antennas(self) -> int:
        return self.sigma.shape[-1]

    @property
    def sigma_reals_per_ut(self) -> int:
        n = self.n_ut_antennas
        return 2 * n * n if self.sigma_packing == "full" else n * n

    @property
    def n_reals(self) -> int:
        return self.ssi.n_reals + self.n_uts * (2 + self.sigma_reals_per_ut)

    @classmethod
    def from_csi(cls, csi, sat: int, ssi: SSI, batch: int = 0, **kw) -> "SCSIReport":
        """The report of cooperating satellite ``sat`` (index into S) for drop ``batch`` of a
        :class:`constellation.csi.StatisticalCSI`."""
        b, s, _, _, _ = csi.shape
        if not 0 <= sat < s:
            raise ValueError(f"sat = {sat!r}: must be in [0, {s}) (S cooperating satellites)")
        if not 0 <= batch < b:
            raise ValueError(f"batch = {batch!r}: must be in [0, {b})")
        return cls(ssi=ssi, beta=csi.beta[batch, sat], kappa=csi.kappa[batch, sat],
                   sigma=csi.sigma[batch, sat], **kw)


@dataclass(frozen=True, eq=False)
class PrecoderBundle(Message):
    """The precoders of one satellite for its K UTs: p complex [K, M] (2 K M reals)."""

    kind: ClassVar[str] = "PrecoderBundle"
    p: np.ndarray
    bits_per_real: int = DEFAULT_BITS_PER_REAL

    def __post_init__(self):
        p = np.asarray(self.p).astype(complex, copy=False)
        if p.ndim != 2:
            raise ValueError(f"PrecoderBundle.p has shape {p.shape}, expected (K, M)")
        _check_bits_per_real("PrecoderBundle", self.bits_per_real)
        object.__setattr__(self, "p", p)

    @property
    def n_reals(self) -> int:
        return 2 * self.p.size

    @classmethod
    def for_satellite(cls, p_skm, sat: int, **kw) -> "PrecoderBundle":
        """Satellite ``sat``'s bundle out of all precoders p [S, K, M]."""
        p = np.asarray(p_skm)
        if p.ndim != 3:
            raise ValueError(f"p has shape {p.shape}, expected (S, K, M)")
        if not 0 <= sat < p.shape[0]:
            raise ValueError(f"sat = {sat!r}: must be in [0, {p.shape[0]})")
        return cls(p=p[sat], **kw)


@dataclass(frozen=True, eq=False)
class Opaque(Message):
    """A message of a given size with no structured payload (benchmarks, other protocols)."""

    kind: ClassVar[str] = "Opaque"
    size: int = 0
    payload: object = field(default=None)
    bits_per_real: int = 1

    def __post_init__(self):
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 0:
            raise ValueError(f"Opaque.size = {self.size!r}: must be an integer number of bits >= 0")

    @property
    def n_reals(self) -> int:
        return int(self.size)

    @property
    def size_bits(self) -> int:
        return int(self.size)


def pack_hermitian(a) -> np.ndarray:
    """Lossless real packing of Hermitian matrices [..., N, N] -> [..., N^2] reals:
    the N real diagonal entries, then real and imaginary parts of the strict upper triangle."""
    a = np.asarray(a)
    n = a.shape[-1]
    iu = np.triu_indices(n, 1)
    diag = np.real(np.diagonal(a, axis1=-2, axis2=-1))
    up = a[..., iu[0], iu[1]]
    return np.concatenate([diag, up.real, up.imag], axis=-1)


def unpack_hermitian(x, n: int) -> np.ndarray:
    """Inverse of :func:`pack_hermitian`: [..., N^2] reals -> Hermitian [..., N, N] complex."""
    x = np.asarray(x, float)
    if x.shape[-1] != n * n:
        raise ValueError(f"packed Hermitian has {x.shape[-1]} reals, expected N^2 = {n * n} for N = {n}")
    m = n * (n - 1) // 2
    diag, re, im = x[..., :n], x[..., n:n + m], x[..., n + m:]
    out = np.zeros(x.shape[:-1] + (n, n), complex)
    iu = np.triu_indices(n, 1)
    out[..., iu[0], iu[1]] = re + 1j * im
    out[..., iu[1], iu[0]] = re - 1j * im
    idx = np.arange(n)
    out[..., idx, idx] = diag
    return out
