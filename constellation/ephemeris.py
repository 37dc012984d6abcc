"""Ephemeris of a whole constellation: SGP4 states in TEME and ITRS, subpoints, attitude.

:class:`Constellation` is the one way in for orbits. Build it from a Walker
pattern, a TLE file or an OMM file; ask it for states at times ``t_s``.

Time
----
``t_s`` is in seconds since :attr:`Constellation.epoch` (a UTC datetime),
counted the way SGP4 counts ``tsince``: the UTC Julian date of ``t_s`` is
``JD_utc(epoch) + t_s / 86400``. That equals elapsed SI seconds unless a leap
second falls inside the span (then the two differ by that second). ``t_s`` may
be a scalar (results without the time axis) or array-like of shape ``[T]``.

Frames
------
* TEME: SGP4's True Equator Mean Equinox frame (quasi-inertial).
* ITRS: Earth-fixed. TEME -> ITRS is the rotation about z by the Greenwich
  mean sidereal angle GMST1982(UT1) (AIAA 2006-6753 appendix C, as
  ``skyfield.sgp4lib.TEME_to_ITRF``), with UT1 from skyfield's builtin
  timescale (offline). Polar motion is neglected (the builtin timescale has no
  polar-motion table; it is < ~15 m), so this is strictly the pseudo
  Earth-fixed (PEF) frame; skyfield's ``wgs84`` positions with the builtin
  timescale use the same frame. ITRS velocities are relative to the rotating
  Earth: ``v_itrs = R v_teme - omega_E x r_itrs``.

Shapes and units: positions in metres, velocities in m/s, ``[T, n, 3]`` for a
time array of shape ``[T]`` and ``[n, 3]`` for a scalar time.

Absent satellites
-----------------
A satellite is *absent* at a time when SGP4 fails for it (e.g. a re-entering
element set whose orbit has decayed, SGP4 error 6) or when its height is
below :attr:`Constellation.min_altitude_km` (the altitude floor; None = no
floor). Absence never raises: the states of an absent satellite are NaN rows,
:meth:`Constellation.present` / :meth:`Constellation.state_itrs_present` give the
mask ``[T, n]``, and everything downstream (cooperating-satellite selection,
ISL topology) treats non-finite rows as absent. The floor uses the height
above the WGS84 ellipsoid to first order in the flattening,
``|r| - a (1 - f sin^2 phi_c)`` (phi_c geocentric latitude; within ~50 m of
the geodetic height in LEO).

The whole constellation is propagated at all times in one
``SatrecArray.sgp4`` call; the frame rotation is one batched matrix product
per call (one 3x3 rotation per time, shared by all satellites).
"""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta, timezone
from functools import lru_cache

import numpy as np
from scipy.spatial.transform import Rotation
from sgp4.api import SGP4_ERRORS, Satrec, SatrecArray
from sgp4.conveniences import sat_epoch_datetime
from skyfield.api import load
from skyfield.sgp4lib import theta_GMST1982

from . import frames
from .frames import WGS84_A_M, WGS84_F
from .tle import read_omm, read_tle, write_tle
from .walker import WalkerDelta, datetime_to_jd

DAY_S = 86400.0


@lru_cache(maxsize=1)
def timescale():
    """skyfield's builtin ``Timescale`` (offline: leap seconds and UT1 ship with skyfield; loaded once)."""
    return load.timescale(builtin=True)


def _as_times(t_s) -> tuple[np.ndarray, bool]:
    """``t_s`` as a float array [T] and whether it was a scalar."""
    t = np.asarray(t_s, dtype=float)
    scalar = t.ndim == 0
    if t.ndim > 1:
        raise ValueError(f"t_s must be a scalar or a 1-D array of seconds, got shape {t.shape}")
    t = np.atleast_1d(t)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"t_s must be finite seconds since epoch, got {t[~np.isfinite(t)][:5]}")
    return t, scalar


def _rot_z_teme_to_itrs(theta: np.ndarray) -> np.ndarray:
    """Rotation matrices [T, 3, 3] taking TEME vectors to ITRS: rot_z(-theta) (theta in rad, [T])."""
    c, s = np.cos(theta), np.sin(theta)
    R = np.zeros(theta.shape + (3, 3))
    R[..., 0, 0] = c
    R[..., 0, 1] = s
    R[..., 1, 0] = -s
    R[..., 1, 1] = c
    R[..., 2, 2] = 1.0
    return R


def axes_from_state(r_itrs, v_itrs, omega_rad_s) -> np.ndarray:
    """Nadir-pointing body axes ``[..., 3, 3]`` (rows x, y, z in ITRS) from ITRS states ``[..., 3]``.

    z = -r/|r| (geocentric nadir); x = the inertial velocity seen in ITRS,
    ``v_itrs + omega_E z x r_itrs``, with its z component removed; y = z x x.
    ``omega_rad_s`` (Earth rotation rate) broadcasts over the leading dimensions.
    The convention of :meth:`Constellation.body_axes`, which uses this function.
    """
    r = np.asarray(r_itrs, float)
    v = np.asarray(v_itrs, float)
    w = np.asarray(omega_rad_s, float)[..., None]
    z = -r / np.linalg.norm(r, axis=-1, keepdims=True)
    v_in = v + w * np.stack([-r[..., 1], r[..., 0], np.zeros_like(r[..., 0])], axis=-1)
    x = v_in - np.sum(v_in * z, axis=-1, keepdims=True) * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    return np.stack([x, np.cross(z, x), z], axis=-2)


def quaternion_from_axes(axes) -> np.ndarray:
    """Attitude quaternion (w, x, y, z), scalar first, canonical sign (w >= 0), of the rotation
    body -> ITRS whose matrix has the body axes as columns: ``axes [..., 3, 3]`` (rows x, y, z in
    ITRS, as :func:`axes_from_state`) -> ``[..., 4]``. The convention of :meth:`Constellation.attitude`."""
    a = np.asarray(axes, float)
    m = np.swapaxes(a, -1, -2)                                # columns = body axes
    q_xyzw = Rotation.from_matrix(m.reshape(-1, 3, 3)).as_quat(canonical=True)
    return q_xyzw[:, [3, 0, 1, 2]].reshape(a.shape[:-2] + (4,))


def axes_from_quaternion(q_wxyz) -> np.ndarray:
    """Body axes ``[..., 3, 3]`` (rows x, y, z as unit vectors in ITRS) of attitude quaternions
    ``[..., 4]`` (w, x, y, z), body -> ITRS: the inverse of :func:`quaternion_from_axes` /
    :meth:`Constellation.attitude`. The quaternion is normalised first (q and -q give the same axes).
    Closed form: the rows are the columns of the rotation matrix R(q)."""
    q = np.asarray(q_wxyz, float)
    if q.shape[-1:] != (4,):
        raise ValueError(f"q_wxyz must have shape [..., 4] (w, x, y, z), got {q.shape}")
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(~np.isfinite(norm)) or np.any(norm == 0):
        raise ValueError("q_wxyz must be finite and non-zero")
    w, x, y, z = np.moveaxis(q / norm, -1, 0)
    r = np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)                                                    # R(q), body -> ITRS
    return np.swapaxes(r, -1, -2)                             # rows = body axes


class Constellation:
    """A set of satellites propagated with SGP4 and expressed in TEME / ITRS.

    Parameters
    ----------
    satrecs : sequence of ``sgp4.api.Satrec``
    names : list[str], optional
        One per satellite; default the catalogue numbers.
    plane, slot : int array-like [n], optional
        Orbital plane and slot within the plane; -1 where unknown (the default).
    epoch : datetime, optional
        Timezone-aware reference of simulation time (``t_s = 0``). Default: the
        latest element-set epoch among ``satrecs`` (exact, not rounded to the
        microsecond, so that ``t_s / 60`` is exactly SGP4's ``tsince`` for
        that satellite).

    Attributes
    ----------
    n : int                   number of satellites
    names : list[str]         [n]
    plane, slot : int [n]     -1 when unknown (e.g. TLE imports)
    epoch : datetime          UTC reference of ``t_s`` (rounded to the microsecond for display)
    epoch_jd : (float, float) exact UTC Julian date of ``epoch`` as (whole, fraction)
    walker : WalkerDelta | None  the generating pattern, for one-shell Walker constellations
    walkers : tuple[WalkerDelta, ...]  the shells of a (multi-shell) Walker constellation, () for element sets
    shell : int [n]           shell index of each satellite, -1 when unknown / unassigned
    transit : bool [n]        in transit (raising, lowering, too few per plane: in no shell although its
                              shell structure was inferred, see :mod:`constellation.shells`); False when
                              unknown and for Walker constellations
    shell_info : list[dict]   one summary per shell (see :meth:`shell_summary`)
    min_altitude_km : float | None  altitude floor below which a satellite is absent (None: no floor)
    satrecs : list[Satrec]    the element sets (WGS72)

    Note: on the class, ``Constellation.walker(...)`` is the Walker factory;
    on an instance, ``.walker`` is the pattern (or None).
    """

    def __init__(self, satrecs, names=None, plane=None, slot=None, epoch=None, shell=None,
                 min_altitude_km: float | None = None, transit=None):
        satrecs = list(satrecs)
        if not satrecs:
            raise ValueError("satrecs must hold at least one sgp4.api.Satrec, got none")
        for k, sat in enumerate(satrecs):
            if not isinstance(sat, Satrec):
                raise ValueError(f"satrecs[{k}] must be an sgp4.api.Satrec, got {type(sat).__name__}")
        self.satrecs = satrecs
        self.n = len(satrecs)
        if names is None:
            names = [str(sat.satnum) for sat in satrecs]
        names = [str(x) for x in names]
        if len(names) != self.n:
            raise ValueError(f"names must have one entry per satellite ({self.n}), got {len(names)}")
        self.names = names
        self.plane = self._index_array("plane", plane)
        self.slot = self._index_array("slot", slot)
        self.shell = self._index_array("shell", shell)
        self.transit = np.zeros(self.n, bool) if transit is None else np.asarray(transit, bool).copy()
        if self.transit.shape != (self.n,):
            raise ValueError(f"transit must be a boolean array of shape ({self.n},), got shape {self.transit.shape}")
        self.shell_info: list[dict] = []
        self.walkers: tuple = ()
        self.min_altitude_km = min_altitude_km
        if epoch is None:
            jds = [(sat.jdsatepoch, sat.jdsatepochF) for sat in satrecs]
            k = max(range(self.n), key=lambda i: jds[i][0] + jds[i][1])
            whole, frac = jds[k]
            # Normalise to (midnight JD, fraction of day) so that day arithmetic is exact.
            shift = np.floor(whole + frac - 0.5) + 0.5 - whole
            self.epoch_jd = (whole + shift, frac - shift)
            self.epoch = sat_epoch_datetime(satrecs[k])
        else:
            self.epoch_jd = datetime_to_jd(epoch)
            self.epoch = epoch.astimezone(timezone.utc)
        self.walker = None
        self._array = SatrecArray(satrecs)

    def _index_array(self, field, values):
        if values is None:
            return np.full(self.n, -1, dtype=int)
        a = np.asarray(values)
        if a.shape != (self.n,) or not np.issubdtype(a.dtype, np.integer) or np.any(a < -1):
            raise ValueError(f"{field} must be an integer array of shape ({self.n},) with values >= -1 "
                             f"(-1 = unknown), got {a.dtype} array of shape {a.shape}")
        return a.astype(int)

    # ---- construction ---------------------------------------------------------------

    @classmethod
    def walker(cls, config: WalkerDelta | None = None, **overrides) -> "Constellation":
        """A Walker-Delta constellation; ``overrides`` replace fields of ``config`` (default WalkerDelta())."""
        config = WalkerDelta() if config is None else config
        if overrides:
            known = {f.name for f in dataclasses.fields(WalkerDelta)}
            unknown = sorted(set(overrides) - known)
            if unknown:
                raise ValueError(f"unknown WalkerDelta field(s) {unknown}; allowed: {sorted(known)}")
            config = dataclasses.replace(config, **overrides)
        c = cls(config.satrecs(), names=config.names(), plane=config.plane, slot=config.slot,
                epoch=config.epoch, shell=np.zeros(config.total, int))
        c.walker = config
        c.walkers = (config,)
        c.shell_info = [_walker_info(0, config)]
        return c

    @classmethod
    def walker_shells(cls, shells) -> "Constellation":
        """A multi-shell Walker constellation: the shells' satellites one after the other (shell k's
        satellite ``p * S_k + j`` at index ``offset_k + p * S_k + j``), catalogue numbers 1..n,
        names ``SHELLk-Pppp-Ssss``; ``plane`` / ``slot`` are per shell, ``shell`` says which.
        The epoch is the latest of the shells' epochs."""
        shells = list(shells)
        if not shells or not all(isinstance(w, WalkerDelta) for w in shells):
            raise ValueError("shells must be a non-empty list of WalkerDelta patterns")
        satrecs, names, plane, slot, shell = [], [], [], [], []
        for k, w in enumerate(shells):
            satrecs += w.satrecs(first_satnum=len(satrecs) + 1)
            names += w.names(prefix=f"SHELL{k}")
            plane.append(w.plane)
            slot.append(w.slot)
            shell.append(np.full(w.total, k))
        epoch = max(w.epoch for w in shells)
        c = cls(satrecs, names=names, plane=np.concatenate(plane), slot=np.concatenate(slot), epoch=epoch,
                shell=np.concatenate(shell))
        c.walker = shells[0] if len(shells) == 1 else None
        c.walkers = tuple(shells)
        c.shell_info = [_walker_info(k, w) for k, w in enumerate(shells)]
        return c

    @property
    def norad_id(self) -> np.ndarray:
        """Catalogue (NORAD) number of each satellite, int [n]."""
        return np.array([sat.satnum for sat in self.satrecs], dtype=np.int64)

    def shell_summary(self) -> list[dict]:
        """One JSON-able dict per shell: ``shell, satellites, planes, inclination_deg, altitude_km``
        (+ ``kind`` for Walker shells, inferred statistics for element sets)."""
        return [dict(d) for d in self.shell_info]

    @classmethod
    def from_tle(cls, text_or_path, epoch=None) -> "Constellation":
        """From 2-line / 3-line TLE text or file (see :func:`constellation.tle.read_tle`)."""
        satrecs, names = read_tle(text_or_path)
        return cls(satrecs, names=names, epoch=epoch)

    @classmethod
    def from_omm(cls, path, epoch=None) -> "Constellation":
        """From a CelesTrak OMM file, CSV / JSON / XML (see :func:`constellation.tle.read_omm`)."""
        satrecs, names = read_omm(path)
        return cls(satrecs, names=names, epoch=epoch)

    def subset(self, ids) -> "Constellation":
        """The satellites ``ids`` (int array-like) as their own Constellation, on the SAME time axis
        (identical ``epoch_jd``), so ``c.subset([i]).state_itrs(t)[..., 0, :]`` equals
        ``c.state_itrs(t)[..., i, :]``: an agent propagates only its own Satrec. ``walker`` is None
        (a subset is not the pattern); names, plane, slot, shell and transit follow the satellites, and the
        altitude floor ``min_altitude_km`` is kept."""
        idx = np.atleast_1d(np.asarray(ids))
        if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= self.n:
            raise ValueError(f"ids must be a non-empty 1-D integer array of indices in [0, {self.n}), got {ids!r}")
        c = Constellation([self.satrecs[i] for i in idx.tolist()], names=[self.names[i] for i in idx.tolist()],
                          plane=self.plane[idx], slot=self.slot[idx], epoch=self.epoch, shell=self.shell[idx],
                          transit=self.transit[idx],
                          min_altitude_km=self.min_altitude_km)   # same absence rule as the whole constellation
        c.epoch_jd, c.epoch = self.epoch_jd, self.epoch       # exact, not re-derived from the rounded datetime
        return c

    def to_tle(self) -> str:
        """3-line TLE text (name line + the two element lines) of every satellite."""
        return write_tle(self.satrecs, self.names)

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        kind = f"walker={self.walker}" if self.walker is not None else "from element sets"
        return f"Constellation(n={self.n}, epoch={self.epoch.isoformat()}, {kind})"

    # ---- time -----------------------------------------------------------------------

    def epoch_plus(self, t_s):
        """skyfield ``Time`` (builtin timescale) of ``t_s`` seconds after ``epoch`` (SGP4's UTC count)."""
        t, scalar = _as_times(t_s)
        whole, frac = self.epoch_jd
        sec = frac * DAY_S + t
        days = np.floor(sec / DAY_S)
        sec_of_day = sec - days * DAY_S
        midnight = date(1970, 1, 1) + timedelta(days=round(whole - 2440587.5))   # the epoch's UTC date
        year, month, day = midnight.year, midnight.month, midnight.day
        # day + days overflows months / years correctly in skyfield's Julian-day arithmetic.
        tt = timescale().utc(year, month, day + days, 0, 0, sec_of_day)
        return tt[0] if scalar else tt

    def earth_rotation(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """GMST1982 angle ``theta`` (rad, [T]) and Earth rotation rate ``omega`` (rad/s, [T]) at ``t_s``.

        Exactly skyfield's ``theta_GMST1982`` with UT1 from the builtin timescale.
        """
        t, _ = _as_times(t_s)
        tt = self.epoch_plus(t)
        theta, theta_dot_per_day = theta_GMST1982(tt.whole, tt.ut1_fraction)
        return np.asarray(theta, float), np.asarray(theta_dot_per_day, float) / DAY_S

    # ---- states ---------------------------------------------------------------------

    def _sgp4(self, t: np.ndarray):
        """SatrecArray.sgp4 at times t [T] (s): TEME r (km), v (km/s), both [n, T, 3], and the present
        mask [n, T] (SGP4 succeeded and the height is at or above the floor). Absent rows are NaN."""
        whole, frac = self.epoch_jd
        jd = np.full(t.shape, whole)
        fr = frac + t / DAY_S
        e, r, v = self._array.sgp4(jd, fr)
        present = (e == 0) & np.isfinite(r).all(axis=-1) & np.isfinite(v).all(axis=-1)
        if self.min_altitude_km is not None:
            with np.errstate(invalid="ignore"):
                present &= height_km(r) >= float(self.min_altitude_km)
        if not present.all():
            r[~present] = np.nan
            v[~present] = np.nan
        return r, v, present

    def sgp4_errors(self, t_s) -> list[str]:
        """Human-readable SGP4 failures at ``t_s`` (one string per failing satellite-time, first 10)."""
        t, _ = _as_times(t_s)
        whole, frac = self.epoch_jd
        e, _, _ = self._array.sgp4(np.full(t.shape, whole), frac + t / DAY_S)
        bad_sat, bad_t = np.nonzero(e)
        return [f"{self.names[i]!r} (index {i}) at t_s={float(t[j])}: {SGP4_ERRORS.get(int(e[i, j]), e[i, j])}"
                for i, j in zip(bad_sat[:10].tolist(), bad_t[:10].tolist())]

    def present(self, t_s) -> np.ndarray:
        """Which satellites are present (SGP4 succeeds, height >= ``min_altitude_km``): bool ``[T, n]``
        (``[n]`` for scalar ``t_s``)."""
        t, scalar = _as_times(t_s)
        _, _, ok = self._sgp4(t)
        ok = ok.T
        return ok[0] if scalar else ok

    def state_itrs_present(self, t_s):
        """``(r_m, v_m_s, present)``: :meth:`state_itrs` plus the present mask ``[T, n]`` (``[n]``)."""
        t, scalar = _as_times(t_s)
        r_m, v_m_s, _, ok = self._propagate_itrs(t)
        return (r_m[0], v_m_s[0], ok[0]) if scalar else (r_m, v_m_s, ok)

    def state_teme(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """SGP4 position (m) and velocity (m/s) in TEME: ``[T, n, 3]`` (``[n, 3]`` for scalar ``t_s``)."""
        t, scalar = _as_times(t_s)
        r, v, _ = self._sgp4(t)
        r_m = np.multiply(r.transpose(1, 0, 2), 1e3)
        v_m_s = np.multiply(v.transpose(1, 0, 2), 1e3)
        return (r_m[0], v_m_s[0]) if scalar else (r_m, v_m_s)

    def state_itrs(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """Position (m) and Earth-relative velocity (m/s) in ITRS: ``[T, n, 3]`` (``[n, 3]`` for scalar).

        Same transformation as ``skyfield.sgp4lib.TEME_to_ITRF(jd_ut1, r, v)``
        (no polar motion): ``r_itrs = R r_teme``,
        ``v_itrs = R v_teme - omega_E z x r_itrs`` with ``R = rot_z(-GMST1982)``.
        Absent satellites (module docstring) are NaN rows; this never raises for them.
        """
        t, scalar = _as_times(t_s)
        r_m, v_m_s, _ = self._state_itrs(t)
        return (r_m[0], v_m_s[0]) if scalar else (r_m, v_m_s)

    def _state_itrs(self, t: np.ndarray):
        """ITRS r (m), v (m/s) ``[T, n, 3]`` and the Earth rotation rate omega (rad/s) ``[T]`` at times t [T]."""
        r_m, v_m_s, omega, _ = self._propagate_itrs(t)
        return r_m, v_m_s, omega

    def _propagate_itrs(self, t: np.ndarray):
        """ITRS r (m), v (m/s) ``[T, n, 3]`` (NaN rows where absent), omega (rad/s) ``[T]``, present ``[T, n]``."""
        r, v, present = self._sgp4(t)                          # [n, T, 3] km, km/s
        theta, omega = self.earth_rotation(t)
        # Scale km -> m into the rotation matrix, and apply it per time to all satellites:
        # r_itrs[t, i, :] = R_t @ r[i, t, :]  ==  r[:, t, :] @ R_t^T.
        RT = _rot_z_teme_to_itrs(theta).transpose(0, 2, 1) * 1e3        # [T, 3, 3]
        r_m = np.matmul(r.transpose(1, 0, 2), RT)                        # [T, n, 3]
        v_m_s = np.matmul(v.transpose(1, 0, 2), RT)
        w = omega[:, None]
        v_m_s[..., 0] += w * r_m[..., 1]
        v_m_s[..., 1] -= w * r_m[..., 0]
        return r_m, v_m_s, omega, present.T

    def subpoints(self, t_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """WGS84 geodetic ``(lat_deg, lon_deg, alt_m)`` of every satellite: ``[T, n]`` (``[n]`` for scalar)."""
        r_m, _ = self.state_itrs(t_s)
        return frames.itrs_to_geodetic(r_m)

    def body_axes(self, t_s) -> np.ndarray:
        """Nadir-pointing body axes, ``[T, n, 3, 3]`` (``[n, 3, 3]`` for scalar ``t_s``).

        ``axes[..., 0, :]``, ``[..., 1, :]``, ``[..., 2, :]`` are the body x, y, z
        axes as unit vectors in ITRS:

        * z towards nadir: ``-r / |r|`` (geocentric, not geodetic, nadir);
        * x along the *inertial* velocity (the TEME velocity rotated into ITRS,
          without the Earth-rotation term ``-omega x r``), with its component
          along z removed; the satellite UPA's x-axis is body x. The inertial
          velocity is the satellite's direction of flight along its orbit
          (orthogonal to r for a circular orbit); the Earth-relative velocity
          would tilt x by up to ~4 deg in LEO;
        * y = z x x (right-handed; for a prograde orbit y is minus the orbit normal).

        Computed by :func:`axes_from_state` from the ITRS states (``R v_teme =
        v_itrs + omega_E z x r_itrs`` restores the inertial velocity exactly).
        """
        t, scalar = _as_times(t_s)
        r, v, omega = self._state_itrs(t)
        axes = axes_from_state(r, v, omega[:, None])
        return axes[0] if scalar else axes

    def attitude(self, t_s) -> np.ndarray:
        """Quaternion (w, x, y, z), scalar first, of the rotation body -> ITRS: ``[T, n, 4]`` (``[n, 4]``).

        ``Rotation.from_quat(q[..., [1, 2, 3, 0]]).apply(e_body)`` maps body
        coordinates to ITRS, i.e. the rotation matrix has the body axes of
        :meth:`body_axes` as its columns. Canonical sign (w >= 0).
        """
        # scipy returns (x, y, z, w); quaternion_from_axes reorders rather than rely on scalar_first
        # (scipy >= 1.14). Inverse: axes_from_quaternion.
        return quaternion_from_axes(self.body_axes(t_s))


def height_km(r_km) -> np.ndarray:
    """Height (km) above the WGS84 ellipsoid, to first order in the flattening, of positions
    ``r_km [..., 3]`` (km, TEME or ITRS: only |r| and z are used): ``|r| - a (1 - f sin^2 phi_c)``."""
    r = np.asarray(r_km, float)
    norm = np.linalg.norm(r, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sin2 = (r[..., 2] / norm) ** 2
    return norm - WGS84_A_M / 1e3 * (1.0 - WGS84_F * sin2)


def _walker_info(k: int, w: WalkerDelta) -> dict:
    return {"shell": k, "kind": w.kind, "satellites": w.total, "planes": w.planes,
            "sats_per_plane": w.sats_per_plane, "phasing": w.phasing,
            "inclination_deg": float(w.inclination_deg), "altitude_km": float(w.altitude_km)}
