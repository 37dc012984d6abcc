"""Statistical CSI of every (satellite, UT) link: TR 38.811 S-band LOS on top of eqs. (4), (5), (13)-(15).

Model (per link, all links of a batch in one call)
--------------------------------------------------
* Geometry: slant range ``|r_ut - r_sat|``; AoD = direction satellite -> UT in
  the satellite body frame (rows of ``sat_axes``: x along velocity, y, z to
  nadir; the 8x8 UPA's x-axis is body x and its boresight body z); AoA =
  direction UT -> satellite in the UT's local ENU frame (2x2 UPA facing
  zenith: x = east, y = north, boresight = up). Angles as in
  :mod:`constellation.antenna`. Elevation is geodetic (WGS84 local horizon).
* Average power (the array gains are carried by beta because the steering
  vectors are unit-norm, ``channel-parameters.md``)::

      beta_dB = 10 log10(M N) + G_T + G_R - FSPL(d, f_c) - SF,
      SF = sigma_SF(elev) * z_SF,   z_SF ~ N(0, 1)

  Element gains are constant over angle (no element pattern); no clutter loss
  (LOS scenarios) and no atmospheric absorption (0.035 dB at 2 GHz).
* Rician factor: ``kappa_dB = mu_K(elev) + sigma_K(elev) * z_K``, ``z_K ~ N(0, 1)``.
* NLoS covariance at the UT, ``Sigma = E[d(u) d(u)^H]`` over NLoS arrival
  directions ``u`` spread around the LoS AoA: in ENU, azimuth (from east
  towards north) ``alpha = alpha_LoS + ASA * t_a`` and zenith angle
  ``zeta = zeta_LoS + ZSA * t_z`` with ``t_a, t_z`` independent standard
  normals, ``ASA, ZSA`` the TR 38.811 cluster spreads at the link's elevation
  (``nlos_model="cluster_gaussian"``, the default). The expectation is computed
  with a tensor Gauss-Hermite rule of ``nlos_quadrature`` points per angle. Each
  ``d(u)`` has unit norm and the weights sum to one, so ``Tr Sigma = 1``
  exactly; ``Sigma`` is Hermitian PSD; as the spreads -> 0 it tends to
  ``d0 d0^H``. ``nlos_model="isotropic"`` gives ``Sigma = I / N`` (uncorrelated
  Rayleigh NLoS).
* Noise per subcarrier ``sigma^2 = k_B T df NF`` (-152.2 dBW for Table I); the
  transmit power budget of the precoders is also per subcarrier.

The random, slowly varying part (``LinkLargeScale``: shadowing and K-factor
z-scores, one per (satellite, UT) link, keyed by the link's identity with
:meth:`LinkLargeScale.keyed`) is drawn once and passed in, so that
:func:`statistical_csi` is deterministic given the geometry; a live simulation
can call it every tick with the same draws while the satellites move.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from .antenna import direction_to_angles, upa_steering
from .csi import StatisticalCSI
from .frames import enu_basis
from .ntn import SCENARIOS, fspl_db, ntn_table

BOLTZMANN_J_K = 1.380649e-23
NLOS_MODELS = ("cluster_gaussian", "isotropic")


def thermal_noise_w(temperature_k: float, bandwidth_hz: float, noise_figure_db: float) -> float:
    """Noise power k_B T B F in watts."""
    return BOLTZMANN_J_K * temperature_k * bandwidth_hz * 10.0 ** (noise_figure_db / 10.0)


@dataclass(frozen=True)
class ChannelConfig:
    """Link parameters, Table I defaults.

    carrier_hz: carrier frequency (Hz). subcarrier_spacing_hz: noise bandwidth (Hz, one subcarrier).
    sat_upa, ut_upa: (nx, ny) elements of the satellite (body frame) and UT (ENU, facing zenith) UPAs.
    sat_element_gain_dbi, ut_element_gain_dbi: per-element gains G_T, G_R (dBi).
    noise_figure_db, noise_temperature_k: receiver noise.
    scenario: TR 38.811 LOS table, "urban" | "dense_urban" | "suburban".
    shadowing: include log-normal shadow fading in beta.
    nlos_model: "cluster_gaussian" (Gaussian angles around the LoS AoA with the
        table's cluster ASA/ZSA) | "isotropic" (Sigma = I/N).
    nlos_asa_deg, nlos_zsa_deg: override the table's cluster spreads (deg); None = table.
    nlos_quadrature: Gauss-Hermite points per angle for Sigma.
    element_spacing_wl: element spacing in wavelengths (both arrays).
    """

    carrier_hz: float = 2.0e9
    subcarrier_spacing_hz: float = 30.0e3
    sat_upa: tuple[int, int] = (8, 8)
    ut_upa: tuple[int, int] = (2, 2)
    sat_element_gain_dbi: float = 6.0
    ut_element_gain_dbi: float = 0.0
    noise_figure_db: float = 7.0
    noise_temperature_k: float = 290.0
    scenario: str = "urban"
    shadowing: bool = True
    nlos_model: str = "cluster_gaussian"
    nlos_asa_deg: float | None = None
    nlos_zsa_deg: float | None = None
    nlos_quadrature: int = 5
    element_spacing_wl: float = 0.5

    def __post_init__(self):
        for name in ("carrier_hz", "subcarrier_spacing_hz", "noise_temperature_k", "element_spacing_wl"):
            v = getattr(self, name)
            if not (isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v) and v > 0):
                raise ValueError(f"ChannelConfig.{name} must be a positive number, got {v!r}")
        for name in ("sat_element_gain_dbi", "ut_element_gain_dbi", "noise_figure_db"):
            v = getattr(self, name)
            if not (isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)):
                raise ValueError(f"ChannelConfig.{name} must be a finite number (dB), got {v!r}")
        for name in ("sat_upa", "ut_upa"):
            v = tuple(getattr(self, name))
            if len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in v):
                raise ValueError(f"ChannelConfig.{name} must be (nx, ny) positive integers, got {v!r}")
            object.__setattr__(self, name, (int(v[0]), int(v[1])))
        if self.scenario not in SCENARIOS:
            raise ValueError(f"ChannelConfig.scenario must be one of {sorted(SCENARIOS)}, got {self.scenario!r}")
        if self.nlos_model not in NLOS_MODELS:
            raise ValueError(f"ChannelConfig.nlos_model must be one of {NLOS_MODELS}, got {self.nlos_model!r}")
        for name in ("nlos_asa_deg", "nlos_zsa_deg"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v) and v >= 0):
                raise ValueError(f"ChannelConfig.{name} must be None or a spread >= 0 deg, got {v!r}")
        q = self.nlos_quadrature
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 1 <= q <= 40:
            raise ValueError(f"ChannelConfig.nlos_quadrature must be an integer in [1, 40], got {q!r}")

    @property
    def m(self) -> int:
        """Satellite antennas M."""
        return self.sat_upa[0] * self.sat_upa[1]

    @property
    def n(self) -> int:
        """UT antennas N."""
        return self.ut_upa[0] * self.ut_upa[1]

    @property
    def noise_w(self) -> float:
        """Noise power per subcarrier k_B T df NF (W)."""
        return thermal_noise_w(self.noise_temperature_k, self.subcarrier_spacing_hz, self.noise_figure_db)

    @property
    def noise_dbw(self) -> float:
        return 10.0 * np.log10(self.noise_w)

    @property
    def array_gain_db(self) -> float:
        """10 log10(M N G_T G_R): the antenna part of beta (dB)."""
        return 10.0 * np.log10(self.m * self.n) + self.sat_element_gain_dbi + self.ut_element_gain_dbi


@dataclass(frozen=True)
class LinkLargeScale:
    """The random per-link draws, fixed for a (satellite, UT) link across ticks. Shapes ``[B, S, K]``.

    shadow_z: standard-normal shadow-fading score; SF_dB = sigma_SF(elev) * shadow_z.
    kappa_z: standard-normal K-factor score; kappa_dB = mu_K(elev) + sigma_K(elev) * kappa_z.
    Scores rather than dB values so the elevation dependence of the tables still
    applies while a satellite moves.
    """

    shadow_z: np.ndarray
    kappa_z: np.ndarray

    def __post_init__(self):
        if np.shape(self.shadow_z) != np.shape(self.kappa_z):
            raise ValueError(f"LinkLargeScale.shadow_z shape {np.shape(self.shadow_z)} != "
                             f"kappa_z shape {np.shape(self.kappa_z)}")

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: tuple[int, ...]) -> "LinkLargeScale":
        """Independent N(0, 1) scores of ``shape`` (usually ``(B, S, K)``) from ``rng``, indexed by
        position (slot), not by identity; the world model uses :meth:`keyed`."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        shadow = rng.standard_normal(shape)
        kappa = rng.standard_normal(shape)
        return cls(shadow_z=shadow, kappa_z=kappa)

    @classmethod
    def keyed(cls, key, sat_ids, ut_ids) -> "LinkLargeScale":
        """Scores keyed by link identity: ``z = f(key, satellite id, UT id)``, shape ``[B, S, K]``.

        key: uint64 scalar or ``[B]`` (e.g. :attr:`constellation.scenario.Drops.link_key`, or
        :func:`constellation.keyed.seed_key` of a run seed); sat_ids: int ``[S]`` or ``[B, S]``
        (constellation indices, not slots); ut_ids: int ``[K]`` or ``[B, K]``.
        The same (key, satellite, UT) always gets the same draw, whatever the other satellites
        and their order: a satellite that leaves the cooperating set and comes back finds the
        same link, and permuting ``sat_ids`` permutes the scores. Independent N(0, 1) scores per
        link and per quantity (counter-based hashing, :mod:`constellation.keyed`).
        """
        from .keyed import STREAMS, normal

        sat = np.asarray(sat_ids)
        ut = np.asarray(ut_ids)
        k = np.asarray(key)
        if sat.ndim not in (1, 2) or ut.ndim not in (1, 2) or k.ndim > 1:
            raise ValueError(f"LinkLargeScale.keyed: sat_ids must be [S] or [B,S], ut_ids [K] or [B,K], key scalar "
                             f"or [B]; got shapes {sat.shape}, {ut.shape}, {k.shape}")
        if sat.ndim == 1:
            sat = sat[None]
        if ut.ndim == 1:
            ut = ut[None]
        b = max(sat.shape[0], ut.shape[0], k.size if k.ndim == 1 else 1)
        for name, a in (("sat_ids", sat), ("ut_ids", ut)):
            if a.shape[0] not in (1, b):
                raise ValueError(f"LinkLargeScale.keyed: {name} has batch {a.shape[0]}, expected 1 or {b}")
        if k.ndim == 1 and k.size not in (1, b):
            raise ValueError(f"LinkLargeScale.keyed: key has {k.size} entries, expected 1 or {b}")
        kb = np.broadcast_to(k.reshape(-1) if k.ndim == 1 else k.reshape(1), (b,))[:, None, None]
        s_ids = np.broadcast_to(sat, (b, sat.shape[1]))[:, :, None]
        u_ids = np.broadcast_to(ut, (b, ut.shape[1]))[:, None, :]
        return cls(shadow_z=normal(kb, STREAMS["shadow"], s_ids, u_ids),
                   kappa_z=normal(kb, STREAMS["kappa"], s_ids, u_ids))

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.shadow_z)

    def take(self, batch=slice(None), sats=slice(None), uts=slice(None)) -> "LinkLargeScale":
        """Sub-select drops, satellites and UTs (as :meth:`StatisticalCSI.take`)."""
        return LinkLargeScale(**{f.name: getattr(self, f.name)[batch][:, sats][:, :, uts] for f in fields(self)})


def link_geometry(sat_r_itrs, sat_axes, ut_r_itrs, ut_lat_deg, ut_lon_deg) -> dict[str, np.ndarray]:
    """Geometry of every link of a batch.

    Inputs: ``sat_r_itrs`` [B,S,3] (m, ITRS), ``sat_axes`` [B,S,3,3] (rows: body x, y, z unit
    vectors in ITRS), ``ut_r_itrs`` [B,K,3] (m), ``ut_lat_deg``, ``ut_lon_deg`` [B,K] (WGS84).

    Returns a dict of ``[B,S,K]`` arrays ``range_m``, ``elevation`` (rad) and ``[B,S,K,3]``
    unit vectors ``u_sat`` (satellite -> UT in the satellite body frame) and
    ``u_ut`` (UT -> satellite in the UT's ENU frame).
    """
    sat = np.asarray(sat_r_itrs, float)
    axes = np.asarray(sat_axes, float)
    ut = np.asarray(ut_r_itrs, float)
    if sat.ndim != 3 or sat.shape[-1] != 3:
        raise ValueError(f"sat_r_itrs must have shape [B,S,3], got {sat.shape}")
    b, s, _ = sat.shape
    if axes.shape != (b, s, 3, 3):
        raise ValueError(f"sat_axes must have shape [B,S,3,3]={(b, s, 3, 3)}, got {axes.shape}")
    if ut.ndim != 3 or ut.shape[0] != b or ut.shape[-1] != 3:
        raise ValueError(f"ut_r_itrs must have shape [B,K,3] with B={b}, got {ut.shape}")
    k = ut.shape[1]
    lat = np.asarray(ut_lat_deg, float)
    lon = np.asarray(ut_lon_deg, float)
    if lat.shape != (b, k) or lon.shape != (b, k):
        raise ValueError(f"ut_lat_deg/ut_lon_deg must have shape [B,K]={(b, k)}, got {lat.shape}/{lon.shape}")
    los = ut[:, None, :, :] - sat[:, :, None, :]                       # [B,S,K,3] sat -> UT, ITRS
    range_m = np.linalg.norm(los, axis=-1)
    if np.any(range_m <= 0):
        raise ValueError("a satellite coincides with a UT (zero slant range)")
    u_itrs = los / range_m[..., None]
    u_sat = np.einsum("bsij,bskj->bski", axes, u_itrs)
    u_ut = -np.einsum("bkij,bskj->bski", enu_basis(lat, lon), u_itrs)
    elevation = np.arctan2(u_ut[..., 2], np.hypot(u_ut[..., 0], u_ut[..., 1]))
    return {"range_m": range_m, "elevation": elevation, "u_sat": u_sat, "u_ut": u_ut}


def _gauss_hermite(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (sum 1) of the q-point rule for E[f(t)], t ~ N(0, 1)."""
    t, w = np.polynomial.hermite_e.hermegauss(q)
    return t, w / w.sum()


def nlos_covariance(u_ut, asa_deg, zsa_deg, nx: int, ny: int, quadrature: int = 5,
                    spacing_wl: float = 0.5) -> np.ndarray:
    """NLoS spatial covariance at a zenith-facing UPA, trace 1: complex ``[..., N, N]``.

    ``u_ut`` [..., 3]: LoS arrival direction (UT -> satellite) in ENU; ``asa_deg``,
    ``zsa_deg`` [...]: standard deviations (deg) of the Gaussian azimuth / zenith
    offsets of the NLoS arrivals around the LoS direction (see module doc).
    ``Sigma = sum_ij w_i w_j d(u_ij) d(u_ij)^H`` over a Gauss-Hermite grid.
    """
    u = np.asarray(u_ut, float)
    asa = np.radians(np.broadcast_to(np.asarray(asa_deg, float), u.shape[:-1]))
    zsa = np.radians(np.broadcast_to(np.asarray(zsa_deg, float), u.shape[:-1]))
    t, w = _gauss_hermite(quadrature)
    alpha0 = np.arctan2(u[..., 1], u[..., 0])                           # azimuth from east to north
    zeta0 = np.arccos(np.clip(u[..., 2], -1.0, 1.0))                    # zenith angle
    alpha = alpha0[..., None, None] + asa[..., None, None] * t[:, None]  # [..., Q, 1]
    zeta = zeta0[..., None, None] + zsa[..., None, None] * t[None, :]    # [..., 1, Q]
    sz = np.sin(zeta)
    east = sz * np.cos(alpha)                                            # [..., Q, Q]
    north = sz * np.sin(alpha)
    d = upa_steering(east, north, nx, ny, spacing_wl)                    # [..., Q, Q, N]
    weights = (w[:, None] * w[None, :])                                  # [Q, Q]
    d = d.reshape(u.shape[:-1] + (quadrature * quadrature, nx * ny))
    wd = d * weights.reshape(-1)[:, None]
    return np.einsum("...qi,...qj->...ij", wd, d.conj())


def statistical_csi(sat_r_itrs, sat_axes, ut_r_itrs, ut_lat_deg, ut_lon_deg,
                    large_scale: LinkLargeScale, config: ChannelConfig | None = None) -> StatisticalCSI:
    """Statistical CSI of all links of a batch of drops (deterministic given the inputs).

    Parameters
    ----------
    sat_r_itrs : [B,S,3] satellite positions (m, ITRS)
    sat_axes : [B,S,3,3] satellite body axes, rows x (velocity), y, z (nadir) in ITRS
    ut_r_itrs : [B,K,3] UT positions (m, ITRS)
    ut_lat_deg, ut_lon_deg : [B,K] UT geodetic coordinates (deg)
    large_scale : LinkLargeScale with ``[B,S,K]`` scores
    config : ChannelConfig (Table I defaults)

    Returns StatisticalCSI ``[B,S,K,...]`` (g [.., M], d0 [.., N], beta, kappa, sigma
    [.., N, N], noise_w [B,K], AoD/AoA angles, elevation (rad), range_m).
    """
    cfg = ChannelConfig() if config is None else config
    geo = link_geometry(sat_r_itrs, sat_axes, ut_r_itrs, ut_lat_deg, ut_lon_deg)
    b, s, k = geo["range_m"].shape
    if large_scale.shape != (b, s, k):
        raise ValueError(f"large_scale has shape {large_scale.shape}, expected [B,S,K]={(b, s, k)}")
    table = ntn_table(cfg.scenario)
    elev_deg = np.degrees(geo["elevation"])

    u_sat, u_ut = geo["u_sat"], geo["u_ut"]
    g = upa_steering(u_sat[..., 0], u_sat[..., 1], *cfg.sat_upa, cfg.element_spacing_wl)
    d0 = upa_steering(u_ut[..., 0], u_ut[..., 1], *cfg.ut_upa, cfg.element_spacing_wl)
    aod_theta, aod_phi = direction_to_angles(u_sat)
    aoa_theta, aoa_phi = direction_to_angles(u_ut)

    shadow_db = table.shadow_sigma_db(elev_deg) * large_scale.shadow_z if cfg.shadowing else 0.0
    beta_db = cfg.array_gain_db - fspl_db(geo["range_m"], cfg.carrier_hz) - shadow_db
    k_mean, k_sigma = table.k_factor_db(elev_deg)
    kappa = 10.0 ** ((k_mean + k_sigma * large_scale.kappa_z) / 10.0)

    n = cfg.n
    if cfg.nlos_model == "isotropic":
        sigma = np.broadcast_to(np.eye(n, dtype=complex) / n, (b, s, k, n, n)).copy()
    else:
        asa, zsa = table.cluster_spreads_deg(elev_deg)
        if cfg.nlos_asa_deg is not None:
            asa = np.full_like(asa, cfg.nlos_asa_deg)
        if cfg.nlos_zsa_deg is not None:
            zsa = np.full_like(zsa, cfg.nlos_zsa_deg)
        sigma = nlos_covariance(u_ut, asa, zsa, *cfg.ut_upa, cfg.nlos_quadrature, cfg.element_spacing_wl)

    return StatisticalCSI(
        g=g, d0=d0, beta=10.0 ** (beta_db / 10.0), kappa=kappa, sigma=sigma,
        noise_w=np.full((b, k), cfg.noise_w),
        aod_theta=aod_theta, aod_phi=aod_phi, aoa_theta=aoa_theta, aoa_phi=aoa_phi,
        elevation=geo["elevation"], range_m=geo["range_m"],
    )
