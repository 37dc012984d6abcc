"""Walker constellations (T/P/F, delta or star) as SGP4 element sets.

A Walker-Delta pattern ``i: T/P/F`` puts ``T`` satellites in ``P`` circular
orbital planes of equal inclination ``i``, ``S = T/P`` per plane. Satellite
``j`` (slot, 0..S-1) of plane ``p`` (0..P-1) has::

    RAAN_p   = raan0 + 360 p / P                      (deg)
    M_{p,j}  = 360 j / S + 360 F p / T                (deg, mean anomaly at epoch)

so neighbouring satellites in a plane are 360/S apart and the relative
phasing between adjacent planes is 360 F / T.  Satellite index
``i = p * S + j``.

A Walker-*star* (``kind="star"``; Iridium: 86.4 deg, 66/6/2 at 780 km) spreads
the ascending nodes over 180 deg instead, ``RAAN_p = raan0 + 180 p / P``
(adjacent planes 180/P apart), with the same in-plane and inter-plane phasing
rule. Near-polar planes then all ascend on one side of the Earth and descend
on the other: planes P-1 and 0 are neighbours across the *seam*, where the
satellites of the two planes move in opposite directions (relative speed
about twice the orbital speed), which is where inter-plane ISLs break.
Several shells (a multi-shell constellation) are built by
:meth:`constellation.ephemeris.Constellation.walker_shells`.

:meth:`WalkerDelta.satrecs` turns the pattern into ``sgp4.api.Satrec``
objects with ``sgp4init`` using the WGS72 constants (the SGP4 convention; TLEs
are WGS72 element sets). The mean motion comes from Kepler's third law,
``n = sqrt(mu / a^3)`` with ``a = R_WGS72 + altitude`` and the WGS72 ``mu``
(398600.8 km^3/s^2) and equatorial radius (6378.135 km), circular
(eccentricity 0, argument of perigee 0), no drag (bstar 0).

SGP4 treats these numbers as *mean* (Kozai) elements: the propagated,
osculating orbit is not exactly a circle of radius ``a``. J2 short-period
terms make the geocentric radius oscillate by a few km around the orbit, and
SGP4's Kozai->Brouwer mean-motion conversion shifts its mean semi-major axis
by a few km. ``altitude_km`` is therefore the *nominal* altitude above the
WGS72 equatorial radius; the orbit-averaged ``|r| - 6378.135 km`` of the
propagated orbit stays within 5 km of it in LEO (measured -3.2 .. +1.6 km for
400..1200 km and 0..98 deg; -0.14 km for the 600 km / 53 deg default; the
tests check 5 km), while the instantaneous radius swings by about +-7 km,
and the geodetic height above the WGS84 ellipsoid varies by a further
~ +21 km x sin^2(latitude) because of the Earth's flattening.
"""
from __future__ import annotations

from .checks import BadInput

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

import numpy as np
from sgp4.api import WGS72, Satrec
from sgp4.earth_gravity import wgs72 as _WGS72_CONSTANTS

from .checks import check_int, check_real

MU_WGS72_KM3_S2 = _WGS72_CONSTANTS.mu                # 398600.8 km^3/s^2
R_WGS72_KM = _WGS72_CONSTANTS.radiusearthkm          # 6378.135 km
_SGP4_EPOCH0_JD = 2433281.5                           # 1949-12-31 00:00 UTC, origin of sgp4init's epoch
_UNIX_EPOCH_JD = 2440587.5                            # 1970-01-01 00:00 UTC

MIN_ALTITUDE_KM = 100.0
MAX_ALTITUDE_KM = 100_000.0


def _check_int(name, value, minimum):
    check_int(name, value, minimum)


def _check_real(name, value, lo, hi, unit):
    check_real(name, value, lo, hi, unit)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def datetime_to_jd(epoch: datetime) -> tuple[float, float]:
    """UTC Julian date of a timezone-aware datetime as ``(whole, fraction)``.

    ``whole`` is the Julian date of the preceding midnight (ends in .5), and
    ``fraction`` the fraction of the UTC day, exact to the microsecond.
    """
    if not isinstance(epoch, datetime) or epoch.tzinfo is None or epoch.utcoffset() is None:
        raise BadInput(f"epoch must be a timezone-aware datetime (UTC), got {epoch!r}")
    e = epoch.astimezone(timezone.utc)
    midnight = datetime(e.year, e.month, e.day, tzinfo=timezone.utc)
    whole = _UNIX_EPOCH_JD + (midnight - datetime(1970, 1, 1, tzinfo=timezone.utc)).days
    seconds = (e.hour * 3600 + e.minute * 60 + e.second) + e.microsecond * 1e-6
    return float(whole), seconds / 86400.0


WALKER_KINDS = ("delta", "star")


@dataclass(frozen=True)
class WalkerDelta:
    """Walker pattern ``inclination: total/planes/phasing`` at ``altitude_km`` (delta, or star with ``kind``).

    Defaults: 28 planes x 60 satellites (1680), 600 km, 53 deg, F = 1, epoch
    2026-01-01T00:00Z, first plane at RAAN 0, delta.

    Attributes
    ----------
    total : int           T, number of satellites (multiple of ``planes``)
    planes : int          P, number of orbital planes
    phasing : int         F, Walker phasing factor, 0 <= F <= P - 1
    altitude_km : float   nominal altitude above the WGS72 equatorial radius (km), see module doc
    inclination_deg : float  orbit inclination to the equator (deg), 0..180
    epoch : datetime      timezone-aware epoch of the element sets (converted to UTC)
    raan0_deg : float     right ascension of the ascending node of plane 0 (deg, TEME)
    kind : str            "delta" (RAANs over 360 deg) or "star" (over 180 deg, with a seam)
    """

    total: int = 1680
    planes: int = 28
    phasing: int = 1
    altitude_km: float = 600.0
    inclination_deg: float = 53.0
    epoch: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
    raan0_deg: float = 0.0
    kind: str = "delta"

    def __post_init__(self):
        _check_int("planes", self.planes, 1)
        _check_int("total", self.total, 1)
        if self.total % self.planes:
            raise BadInput(
                f"total must be a multiple of planes={self.planes}, got total={self.total}")
        _check_int("phasing", self.phasing, 0)
        if self.phasing > self.planes - 1:
            raise BadInput(
                f"phasing must be an integer in 0..planes-1 = 0..{self.planes - 1}, got {self.phasing}")
        _check_real("altitude_km", self.altitude_km, MIN_ALTITUDE_KM, MAX_ALTITUDE_KM, "km")
        _check_real("inclination_deg", self.inclination_deg, 0.0, 180.0, "deg")
        _check_real("raan0_deg", self.raan0_deg, -360.0, 360.0, "deg")
        if self.kind not in WALKER_KINDS:
            raise BadInput(f"kind must be one of {WALKER_KINDS}, got {self.kind!r}")
        datetime_to_jd(self.epoch)   # validates the epoch
        object.__setattr__(self, "epoch", self.epoch.astimezone(timezone.utc))

    @property
    def sats_per_plane(self) -> int:
        """S = T / P, satellites per plane."""
        return self.total // self.planes

    @cached_property
    def plane(self) -> np.ndarray:
        """Plane index p of each satellite, int [T], 0..P-1."""
        return _frozen(np.arange(self.total) // self.sats_per_plane)

    @cached_property
    def slot(self) -> np.ndarray:
        """Slot index j of each satellite within its plane, int [T], 0..S-1."""
        return _frozen(np.arange(self.total) % self.sats_per_plane)

    @property
    def raan_spread_deg(self) -> float:
        """Arc over which the ascending nodes are spread: 360 (delta) or 180 (star) deg."""
        return 180.0 if self.kind == "star" else 360.0

    @cached_property
    def raan_deg(self) -> np.ndarray:
        """Right ascension of the ascending node (deg, TEME at epoch, in [0, 360)) [T]:
        ``raan0 + spread p / P`` with spread 360 (delta) or 180 (star)."""
        return _frozen(np.mod(self.raan0_deg + self.raan_spread_deg * self.plane / self.planes, 360.0))

    @cached_property
    def mean_anomaly_deg(self) -> np.ndarray:
        """Mean anomaly at epoch (deg, in [0, 360)) [T]: 360 j / S + 360 F p / T."""
        return _frozen(np.mod(360.0 * self.slot / self.sats_per_plane
                              + 360.0 * self.phasing * self.plane / self.total, 360.0))

    @property
    def semi_major_axis_km(self) -> float:
        """Nominal semi-major axis a = R_WGS72 + altitude (km)."""
        return R_WGS72_KM + float(self.altitude_km)

    @property
    def mean_motion_rad_s(self) -> float:
        """Kepler mean motion sqrt(mu / a^3) (rad/s), WGS72 mu."""
        return math.sqrt(MU_WGS72_KM3_S2 / self.semi_major_axis_km**3)

    @property
    def period_s(self) -> float:
        """Nominal (Keplerian) orbital period 2 pi / n (s)."""
        return 2.0 * math.pi / self.mean_motion_rad_s

    def names(self, prefix: str = "WALKER") -> list[str]:
        """Satellite names ``WALKER-Pppp-Ssss`` (plane, slot), one per satellite."""
        return [f"{prefix}-P{p:03d}-S{j:03d}" for p, j in zip(self.plane.tolist(), self.slot.tolist())]

    def satrecs(self, first_satnum: int = 1) -> list[Satrec]:
        """One ``sgp4.api.Satrec`` per satellite (index i = p*S + j), built with ``sgp4init``.

        WGS72 constants, 'i' (improved) operation mode, catalogue numbers
        ``first_satnum .. first_satnum + T - 1``, eccentricity 0, argument of perigee 0, bstar 0.
        """
        whole, fraction = datetime_to_jd(self.epoch)
        epoch_days = (whole - _SGP4_EPOCH0_JD) + fraction
        no_kozai_rad_min = self.mean_motion_rad_s * 60.0
        inclo = math.radians(self.inclination_deg)
        out = []
        for i, (raan, m) in enumerate(zip(np.radians(self.raan_deg).tolist(),
                                          np.radians(self.mean_anomaly_deg).tolist())):
            sat = Satrec()
            sat.sgp4init(WGS72, "i", i + first_satnum, epoch_days, 0.0, 0.0, 0.0, 0.0, 0.0,
                         inclo, m, no_kozai_rad_min, raan)
            if sat.error:
                raise BadInput(f"sgp4init failed for Walker satellite {i} (error {sat.error})")
            out.append(sat)
        return out
