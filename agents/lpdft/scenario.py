"""Single-satellite LP-DFT scenario: configuration, user drops and LoS channels.

Geometry (spherical Earth of radius ``earth_radius_m``, as the paper's Table I
lists an Earth radius): the satellite is at altitude ``altitude_km`` above the
sub-satellite point, nadir pointing, with the URA in the plane orthogonal to
nadir (array frame: z = boresight = nadir, x, y in the array plane; the
in-plane orientation is irrelevant because users are drawn with a uniform
azimuth). Users are drawn uniformly *by area* on the spherical cap of the
Earth from which the satellite is seen at an elevation >= ``min_elevation_deg``:
Earth central angle ``psi`` with ``cos psi ~ U[cos psi_max, 1]`` and azimuth
``~ U[0, 2 pi)``, ``psi_max = arccos(R cos(eps_min) / (R + h)) - eps_min``.

Channel (LoS, free space), row ``k`` of ``h`` is ``h_k^H`` so that
``y_k = h[k] @ x + n_k`` for the element signals ``x`` [N_a]::

    h_k = sqrt(g_k) * sqrt(N_a) * a(u_k),
    g_k = G_e(theta_k) * G_ut * (lambda / (4 pi d_k))^2          (linear, W/W),
    G_e(theta) = G_e0 * cos(theta)^q                             (element power pattern),

with ``a`` the unit-norm URA steering vector of
:func:`constellation.antenna.steering_from_direction` (element (i, j) at
(i d, j d), response ``exp(-j 2 pi d (i u_x + j u_y)) / sqrt(N_a)``), ``theta_k``
the off-boresight angle of user k, ``d_k`` the slant range and the free-space
loss from :func:`constellation.ntn.fspl_db`. A common carrier phase
``exp(-j 2 pi d_k / lambda)`` per user is dropped (it does not change any rate).
``G_e0 = 2 (q + 1)`` is the directivity of the ``cos^q`` pattern over the front
hemisphere (q = 1: 6.0 dBi) unless ``element_gain_dbi`` is given. Noise power
per user ``sigma^2 = k_B T B`` (W).

Parameter sources: the paper's Table I lost its numbers in extraction; only the
*rows* survive (carrier, bandwidth, MEO altitude, Earth radius, total RF power,
minimum elevation, number of users, URA size, spacing, cosine element model,
FFT size 256, UT antenna gain, UT temperature). Every value below is marked
"paper" (readable in the text) or "assumed" (with the reason).
"""
from __future__ import annotations

from constellation.checks import BadInput

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from constellation.antenna import steering_from_direction
from constellation.channel import BOLTZMANN_J_K, thermal_noise_w
from constellation.frames import WGS84_A_M
from constellation.ntn import fspl_db

from .dft import check_shapes, dft_codebook

__all__ = ["BOLTZMANN_J_K", "LPDFTConfig", "LPDFTScenario", "draw_scenario", "draw_user_geometry",
           "max_central_angle_rad"]



@dataclass(frozen=True)
class LPDFTConfig:
    """All parameters of the single-satellite LP-DFT scenario (SI units in the names).

    Defaults and sources:

    * ``altitude_km = 10_000`` -- assumed: a MEO altitude (the paper: "MEO", number lost).
      Any altitude > 0 works, e.g. 550 for a LEO satellite.
    * ``earth_radius_m = 6_378_137`` -- WGS84 equatorial radius (paper lists "Earth radius").
    * ``carrier_hz = 20e9`` -- assumed: Ka-band forward (user) downlink, 17.7-20.2 GHz.
    * ``bandwidth_hz = 500e6`` -- assumed: a 500 MHz Ka user-link channel; only converts
      bit/s/Hz to bit/s and sets the noise power.
    * ``power_w = 4000`` -- assumed: the paper sweeps the "total payload RF power" in kW;
      4 kW is ~16 W per element of the 256-element URA. At 1 kW the links are noise
      limited (per-user SNR ~5-10 dB) and ZF loses its edge over plain DFT beams.
      The budget is ``||W||_F^2 <= P`` at the DFT input (the paper's (12)-(14) use an
      identity-regularised precoder, i.e. this constraint); see :mod:`.algorithms`.
    * ``min_elevation_deg = 20`` -- assumed.
    * ``n_users = 8`` -- assumed (paper's default lost).
    * ``n_streams = None`` -- number of LP outputs L (= n_users when None, as in the paper
      where every user symbol gets its own DFT beam).
    * ``ura = (16, 16)`` -- assumed: fills the 16 x 16 FFT window (T = I); the paper sweeps it.
    * ``spacing_wl = 0.5`` -- element spacing in wavelengths (paper sweeps it; 0.5 usual).
    * ``element_pattern_exponent = 1`` -- cosine pattern (paper: "Cosine"), power ``cos^q``.
    * ``element_gain_dbi = None`` -- peak element gain; None: ``10 log10(2 (q + 1))``.
    * ``fft_shape = (16, 16)`` -- paper: FFT size 256, taken as a 16 x 16 2-D FFT.
    * ``window_offset = (0, 0)`` -- first DFT output of the window along each axis.
    * ``ut_gain_dbi = 40`` -- assumed: a ~0.6 m Ka-band terminal dish at 20 GHz.
    * ``ut_noise_temp_k = 290`` -- assumed: UT system noise temperature.
    * ``orbit = "fixed altitude"`` -- where ``altitude_km`` came from (free text, reported in
      the config); :meth:`from_constellation` sets it to the satellite, time and SGP4 state.

    LEO from the constellation: :meth:`from_constellation` takes ``altitude_km`` from one
    satellite of a :class:`constellation.ephemeris.Constellation` (default the Walker of the
    world model) propagated with SGP4 to ``t_s``.
    """

    altitude_km: float = 10_000.0
    earth_radius_m: float = float(WGS84_A_M)
    carrier_hz: float = 20e9
    bandwidth_hz: float = 500e6
    power_w: float = 4000.0
    min_elevation_deg: float = 20.0
    n_users: int = 8
    n_streams: int | None = None
    ura: tuple[int, int] = (16, 16)
    spacing_wl: float = 0.5
    element_pattern_exponent: float = 1.0
    element_gain_dbi: float | None = None
    fft_shape: tuple[int, int] = (16, 16)
    window_offset: tuple[int, int] = (0, 0)
    ut_gain_dbi: float = 40.0
    ut_noise_temp_k: float = 290.0
    orbit: str = "fixed altitude"

    def __post_init__(self):
        def positive(name):
            v = getattr(self, name)
            if isinstance(v, bool) or not np.isfinite(v) or v <= 0:
                raise BadInput(f"{name} must be a finite positive number, got {v!r}")
        for name in ("altitude_km", "earth_radius_m", "carrier_hz", "bandwidth_hz", "power_w",
                     "spacing_wl", "ut_noise_temp_k"):
            positive(name)
        if not (0.0 <= self.min_elevation_deg < 90.0):
            raise BadInput(f"min_elevation_deg must be in [0, 90), got {self.min_elevation_deg!r}")
        if not (np.isfinite(self.element_pattern_exponent) and self.element_pattern_exponent >= 0):
            raise BadInput(f"element_pattern_exponent must be >= 0, got {self.element_pattern_exponent!r}")
        (n1, n2), (nx, ny), _ = check_shapes(self.fft_shape, self.ura, self.window_offset)
        object.__setattr__(self, "fft_shape", (n1, n2))
        object.__setattr__(self, "ura", (nx, ny))
        object.__setattr__(self, "window_offset", tuple(int(v) for v in self.window_offset))
        if isinstance(self.n_users, bool) or int(self.n_users) != self.n_users or self.n_users < 1:
            raise BadInput(f"users must be a positive integer, got {self.n_users!r}")
        if self.n_users > n1 * n2:
            raise BadInput(f"users = {self.n_users} exceeds the {n1 * n2} DFT columns (FFT {n1}x{n2})")
        if self.n_streams is not None:
            if int(self.n_streams) != self.n_streams or not (1 <= self.n_streams <= self.n_users):
                raise BadInput(f"n_streams must be an integer in [1, users = {self.n_users}] (L <= K beams), "
                                 f"got {self.n_streams!r}")

        if not isinstance(self.orbit, str):
            raise BadInput(f"orbit must be a description string, got {self.orbit!r}")

    @classmethod
    def from_constellation(cls, constellation=None, sat=0, t_s: float = 0.0, **overrides) -> "LPDFTConfig":
        """The scenario of one satellite of a satcoop constellation at time ``t_s``.

        ``constellation``: a :class:`constellation.ephemeris.Constellation` (default
        ``Constellation.walker()``, the world model's Walker-Delta 1680/28/1 at 600 km, 53 deg);
        ``sat``: its index (int) or name (str); ``t_s``: seconds since the constellation epoch.
        ``overrides``: any other :class:`LPDFTConfig` field (not ``altitude_km``).

        What is taken from the orbit: the altitude only, ``altitude_km`` = the satellite's WGS84
        geodetic height from :meth:`Constellation.subpoints` (SGP4, ITRS) at ``t_s`` -- its height
        above the Earth's surface under it, which sets the nadir range and, on this model's
        spherical Earth, the slant ranges and the coverage cap. What is not: the rest of this
        scenario is unchanged -- a snapshot (no motion, no Doppler during a drop), nadir pointing
        (as :meth:`Constellation.body_axes`), users drawn uniformly in the visible cap around the
        sub-satellite point on a sphere of radius ``earth_radius_m`` (not the world model's UT
        regions), one satellite alone (no other satellites, no inter-satellite interference),
        and the free-space link budget of this config (defaults chosen for MEO: at LEO ranges the
        SNR is ~25 dB higher at the same power). ``orbit`` records the satellite, time,
        latitude/longitude and height.
        """
        if "altitude_km" in overrides:
            raise BadInput("from_constellation: altitude_km comes from the orbit; do not pass it "
                             "(use LPDFTConfig(altitude_km=...) for a fixed altitude)")
        if "orbit" in overrides:
            raise BadInput("from_constellation: orbit is set from the satellite; do not pass it")
        from constellation.ephemeris import Constellation

        if constellation is None:
            constellation = Constellation.walker()
        if isinstance(sat, str) and not sat.strip().lstrip("-").isdigit():
            if sat not in constellation.names:
                raise BadInput(f"sat {sat!r} is not a satellite name of the constellation "
                                 f"(names like {constellation.names[0]!r}; or give an index 0..{constellation.n - 1})")
            index = constellation.names.index(sat)
        else:
            try:
                index = int(sat)
            except (TypeError, ValueError):
                raise BadInput(f"sat must be an index 0..{constellation.n - 1} or a satellite name, "
                                 f"got {sat!r}") from None
            if isinstance(sat, bool) or isinstance(sat, float) and sat != index or not 0 <= index < constellation.n:
                raise BadInput(f"sat must be an index 0..{constellation.n - 1} or a satellite name, got {sat!r}")
        try:
            t = float(t_s)
        except (TypeError, ValueError):
            raise BadInput(f"t_s must be finite seconds since the constellation epoch, got {t_s!r}") from None
        if not np.isfinite(t):
            raise BadInput(f"t_s must be finite seconds since the constellation epoch, got {t_s!r}")
        lat, lon, alt = constellation.subpoints(np.array([t]))
        lat, lon, alt_km = float(lat[0, index]), float(lon[0, index]), float(alt[0, index]) / 1e3
        kind = "LEO" if alt_km < 2000.0 else ("MEO" if alt_km < 35_000.0 else "GEO/HEO")
        walker = getattr(constellation, "walker", None)
        source = (f"Walker {walker.inclination_deg:g} deg: {walker.total}/{walker.planes}/{walker.phasing} "
                  f"at {walker.altitude_km:g} km" if walker is not None else f"{constellation.n} element sets")
        orbit = (f"{kind}: satellite {constellation.names[index]!r} (index {index}) of {source}, "
                 f"t_s = {t:g} s after {constellation.epoch.isoformat()}; SGP4 geodetic height "
                 f"{alt_km:.3f} km at lat {lat:.3f}, lon {lon:.3f} deg")
        return cls(altitude_km=alt_km, orbit=orbit, **overrides)

    # derived quantities -------------------------------------------------------------
    @property
    def n_fft(self) -> int:
        """Number of DFT columns N = N1 * N2."""
        return self.fft_shape[0] * self.fft_shape[1]

    @property
    def n_elements(self) -> int:
        """Number of radiating elements N_a = Nx * Ny."""
        return self.ura[0] * self.ura[1]

    @property
    def streams(self) -> int:
        """Number of LP outputs / DFT beams L."""
        return self.n_users if self.n_streams is None else int(self.n_streams)

    @property
    def element_peak_gain(self) -> float:
        """Peak element gain G_e0 (linear)."""
        if self.element_gain_dbi is None:
            return 2.0 * (self.element_pattern_exponent + 1.0)
        return 10.0 ** (self.element_gain_dbi / 10.0)

    @property
    def noise_w(self) -> float:
        """Noise power per user k_B T B (W)."""
        return thermal_noise_w(self.ut_noise_temp_k, self.bandwidth_hz, noise_figure_db=0.0)

    def replace(self, **changes) -> "LPDFTConfig":
        """A copy with ``changes``; a new ``altitude_km`` without an ``orbit`` resets the provenance
        to "fixed altitude" (it no longer comes from the orbit that ``orbit`` describes)."""
        if "altitude_km" in changes and "orbit" not in changes and changes["altitude_km"] != self.altitude_km:
            changes["orbit"] = "fixed altitude"
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ura"] = list(self.ura)
        d["fft_shape"] = list(self.fft_shape)
        d["window_offset"] = list(self.window_offset)
        d["noise_w"] = self.noise_w
        d["n_fft"] = self.n_fft
        return d


def max_central_angle_rad(altitude_m: float, earth_radius_m: float, min_elevation_rad: float) -> float:
    """Earth central angle of the coverage edge at elevation ``min_elevation_rad`` (rad)."""
    r = earth_radius_m
    return float(np.arccos(r * np.cos(min_elevation_rad) / (r + altitude_m)) - min_elevation_rad)


def draw_user_geometry(cfg: LPDFTConfig, n_drops: int, rng: np.random.Generator) -> dict:
    """Users uniform by area in the visible cap, ``n_drops`` independent drops.

    Returns a dict of arrays ``[B, K]`` (and ``u`` [B, K, 3]):
    ``u`` unit direction satellite -> user in the array frame (z = nadir);
    ``off_boresight_rad``; ``elevation_rad`` (seen from the user); ``range_m``;
    ``central_angle_rad``; ``azimuth_rad``.
    """
    if int(n_drops) != n_drops or n_drops < 1:
        raise BadInput(f"drops must be a positive integer, got {n_drops!r}")
    r = cfg.earth_radius_m
    h = cfg.altitude_km * 1e3
    psi_max = max_central_angle_rad(h, r, np.radians(cfg.min_elevation_deg))
    shape = (int(n_drops), cfg.n_users)
    cos_psi = rng.uniform(np.cos(psi_max), 1.0, size=shape)
    az = rng.uniform(0.0, 2.0 * np.pi, size=shape)
    sin_psi = np.sqrt(np.clip(1.0 - cos_psi**2, 0.0, None))
    user = r * np.stack([sin_psi * np.cos(az), sin_psi * np.sin(az), cos_psi], axis=-1)   # Earth-centred
    sat = np.array([0.0, 0.0, r + h])
    d = user - sat
    rng_m = np.linalg.norm(d, axis=-1)
    los = d / rng_m[..., None]
    # array frame: z = nadir = -Z, x = X, y = z cross x = -Y (right-handed)
    u = np.stack([los[..., 0], -los[..., 1], -los[..., 2]], axis=-1)
    elevation = np.arcsin(np.clip(np.sum(-los * user / r, axis=-1), -1.0, 1.0))
    return {"u": u, "off_boresight_rad": np.arccos(np.clip(u[..., 2], -1.0, 1.0)),
            "elevation_rad": elevation, "range_m": rng_m, "central_angle_rad": np.arccos(cos_psi),
            "azimuth_rad": az}


def path_gain(cfg: LPDFTConfig, off_boresight_rad, range_m) -> np.ndarray:
    """Per-element link gain g = G_e(theta) G_ut / FSPL (linear W/W), ``[...]``."""
    ge = cfg.element_peak_gain * np.cos(off_boresight_rad).clip(0.0, None) ** cfg.element_pattern_exponent
    return ge * 10.0 ** ((cfg.ut_gain_dbi - fspl_db(range_m, cfg.carrier_hz)) / 10.0)


def channel_from_geometry(cfg: LPDFTConfig, u, off_boresight_rad, range_m) -> np.ndarray:
    """Channel rows ``h_k^H`` ``[..., N_a]`` (complex) of users at array-frame directions ``u`` [..., 3]."""
    nx, ny = cfg.ura
    a = steering_from_direction(u, nx, ny, cfg.spacing_wl)          # unit norm, [.., N_a]
    amp = np.sqrt(path_gain(cfg, off_boresight_rad, range_m) * cfg.n_elements)
    # h_k = amp a(u_k)  =>  row h_k^H = amp conj(a(u_k)); a DFT beam b = a(u_n) gives h_k^H b = amp a^H a.
    return amp[..., None] * a.conj()


@dataclass(frozen=True)
class LPDFTScenario:
    """A batch of drops: everything an LP-DFT scheme needs.

    Attributes
    ----------
    cfg : the configuration
    h : complex [B, K, N_a]   row k = h_k^H (so y_k = h[b, k] @ x + n_k), sqrt(W/W) units
    noise_w : float [B, K]    noise power per user (W)
    power_w : float [B]       total power budget P (W)
    codebook : complex [N_a, N]  B = T F / sqrt(N_a), see :mod:`.dft`
    geometry : dict of [B, K] arrays from :func:`draw_user_geometry`
    """

    cfg: LPDFTConfig
    h: np.ndarray
    noise_w: np.ndarray
    power_w: np.ndarray
    codebook: np.ndarray
    geometry: dict = field(repr=False)

    @property
    def beam_channel(self) -> np.ndarray:
        """G = h @ B: response of every user to every DFT port, complex [B, K, N]."""
        return self.h @ self.codebook

    @property
    def n_drops(self) -> int:
        return self.h.shape[0]


def draw_scenario(cfg: LPDFTConfig, n_drops: int, rng: np.random.Generator) -> LPDFTScenario:
    """Draw ``n_drops`` independent user drops (seeded ``rng``) and build the channels."""
    geo = draw_user_geometry(cfg, n_drops, rng)
    h = channel_from_geometry(cfg, geo["u"], geo["off_boresight_rad"], geo["range_m"])
    b = h.shape[0]
    return LPDFTScenario(cfg=cfg, h=h, noise_w=np.full((b, cfg.n_users), cfg.noise_w),
                         power_w=np.full(b, cfg.power_w),
                         codebook=dft_codebook(cfg.fft_shape, cfg.ura, cfg.window_offset), geometry=geo)
