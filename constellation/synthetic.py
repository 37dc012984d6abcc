"""Realistic synthetic element sets with a known ground truth (tests and benchmarks).

Real catalogue files are not shipped; this module builds what they look like:
several perturbed Walker shells whose satellites carry *their own* epochs
(spread over the days before the reference epoch, as CelesTrak's are), with
RAAN and phasing noise, plus the awkward records real files have: a
re-entering satellite, satellites still raising at insertion altitude,
duplicated records (the same NORAD number twice, an older and a newer epoch),
and stale element sets weeks old.

Consistency across epochs: a satellite's element set at its own epoch
``t_i = t_ref - dt_i`` is its intended element set at ``t_ref`` moved back
along SGP4's own secular rates (``Satrec.mdot``, ``nodedot``, ``argpdot``,
which depend only on n, e, i and are exactly what SGP4 applies forward, drag
free). Propagated to ``t_ref`` the satellite is therefore where the perturbed
Walker pattern puts it, and the ground truth (shell, plane, slot) holds there:
RAANs drifted by J2 over the epoch spread come back to the pattern.

Randomness only from the ``numpy.random.Generator`` passed in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
from sgp4.api import WGS72, Satrec

from .tle import write_tle
from .walker import MU_WGS72_KM3_S2, R_WGS72_KM, WalkerDelta, datetime_to_jd

_SGP4_EPOCH0_JD = 2433281.5
TWO_PI = 2.0 * math.pi


def _mean_motion_rad_min(altitude_km: float) -> float:
    a = R_WGS72_KM + altitude_km
    return math.sqrt(MU_WGS72_KM3_S2 / a**3) * 60.0


def element_set(satnum: int, epoch: datetime, *, inclination_deg: float, raan_deg: float, arg_lat_deg: float,
                altitude_km: float, ecc: float = 1e-4, bstar: float = 0.0, back_days: float = 0.0) -> Satrec:
    """A Satrec whose mean elements at ``epoch`` are the given ones (argument of perigee 90 deg, so the
    mean anomaly is ``u - 90``), re-expressed at the epoch ``epoch - back_days`` with SGP4's secular
    rates (module docstring)."""
    no = _mean_motion_rad_min(altitude_km)
    inc = math.radians(inclination_deg)
    argp = math.radians(90.0)
    mo = math.radians(arg_lat_deg) - argp
    node = math.radians(raan_deg)
    whole, frac = datetime_to_jd(epoch)
    ep = (whole - _SGP4_EPOCH0_JD) + frac
    sat = Satrec()
    sat.sgp4init(WGS72, "i", satnum, ep, bstar, 0.0, 0.0, ecc, argp, inc, mo % TWO_PI, no, node % TWO_PI)
    if back_days:
        dt_min = back_days * 1440.0
        back = Satrec()
        back.sgp4init(WGS72, "i", satnum, ep - back_days, bstar, 0.0, 0.0, ecc,
                      (argp - sat.argpdot * dt_min) % TWO_PI, inc, (mo - sat.mdot * dt_min) % TWO_PI, no,
                      (node - sat.nodedot * dt_min) % TWO_PI)
        sat = back
    _designate(sat, epoch)
    return sat


def _designate(sat: Satrec, epoch: datetime) -> None:
    """A plausible international designator (launch year, launch number, piece) and classification,
    so that TLE and OMM exports carry them as real records do."""
    sat.intldesg = f"{epoch.year % 100:02d}{sat.satnum // 60 % 999 + 1:03d}A"
    sat.classification = "U"


@dataclass
class SyntheticSet:
    """Element sets plus the generator's ground truth, one entry per record (duplicates included).

    satrecs, names : the records, in file order
    shell, plane, slot : int [records] ground truth (-1 for raising / decaying / stale extras)
    role : list[str] [records]: "operational", "duplicate_old" (an older copy of an operational
        record), "decaying", "raising", "stale"
    reference_epoch : datetime, the newest epoch (where the pattern holds)
    shells : the generating patterns
    """

    satrecs: list
    names: list
    shell: np.ndarray
    plane: np.ndarray
    slot: np.ndarray
    role: list
    reference_epoch: datetime
    shells: list = field(default_factory=list)

    def to_tle(self) -> str:
        return write_tle(self.satrecs, self.names)

    def count(self, role: str) -> int:
        return sum(r == role for r in self.role)


def synthetic_catalog(shells, rng: np.random.Generator, *, epoch: datetime | None = None,
                      epoch_spread_days: float = 2.0, raan_noise_deg: float = 0.1, phase_noise_deg: float = 1.0,
                      inc_noise_deg: float = 0.01, alt_noise_km: float = 0.5, n_decaying: int = 1,
                      n_raising: int = 0, n_duplicates: int = 0, n_stale: int = 0,
                      stale_age_days: float = 60.0) -> SyntheticSet:
    """Perturbed Walker shells with the defects of real files (module docstring).

    ``shells``: list of :class:`constellation.walker.WalkerDelta` (delta or star). Per satellite:
    epoch ``t_ref - U(0, epoch_spread_days)``; RAAN + N(0, raan_noise_deg); argument of latitude
    + N(0, phase_noise_deg); inclination + N(0, inc_noise_deg); altitude + N(0, alt_noise_km).
    Extras (appended after the shells, ground truth -1): ``n_decaying`` re-entering satellites
    (around 315 km with a large drag term: above a 300 km floor at t_ref, below it within hours, and
    failing SGP4 later); ``n_raising`` at 270-290 km; ``n_stale`` element sets ``stale_age_days`` old;
    ``n_duplicates`` older copies (1-3 days older epoch) of randomly chosen operational records,
    inserted at random positions.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    epoch = epoch or datetime(2026, 1, 1, tzinfo=timezone.utc)
    satrecs, names, shell, plane, slot, role = [], [], [], [], [], []
    satnum = 1
    for k, w in enumerate(shells):
        t = w.total
        back = rng.uniform(0.0, epoch_spread_days, t)
        raan = w.raan_deg + rng.normal(0.0, raan_noise_deg, t)
        u = w.mean_anomaly_deg + rng.normal(0.0, phase_noise_deg, t)
        inc = w.inclination_deg + rng.normal(0.0, inc_noise_deg, t)
        alt = w.altitude_km + rng.normal(0.0, alt_noise_km, t)
        for i in range(t):
            satrecs.append(element_set(satnum, epoch, inclination_deg=float(np.clip(inc[i], 0, 180)),
                                       raan_deg=float(raan[i]), arg_lat_deg=float(u[i]), altitude_km=float(alt[i]),
                                       back_days=float(back[i])))
            names.append(f"SYN{k}-P{int(w.plane[i]):03d}-S{int(w.slot[i]):03d}")
            satnum += 1
        shell.append(np.full(t, k))
        plane.append(np.asarray(w.plane))
        slot.append(np.asarray(w.slot))
        role += ["operational"] * t
    shell = list(np.concatenate(shell)) if shell else []
    plane = list(np.concatenate(plane)) if plane else []
    slot = list(np.concatenate(slot)) if slot else []
    n_op = len(satrecs)

    def extra(sat, name, kind):
        satrecs.append(sat)
        names.append(name)
        shell.append(-1)
        plane.append(-1)
        slot.append(-1)
        role.append(kind)

    for j in range(n_decaying):
        inc = float(rng.uniform(40, 98))
        sat = element_set(satnum, epoch, inclination_deg=inc, raan_deg=float(rng.uniform(0, 360)),
                          arg_lat_deg=float(rng.uniform(0, 360)), altitude_km=315.0, bstar=0.05)
        extra(sat, f"DECAY-{j}", "decaying")
        satnum += 1
    for j in range(n_raising):
        ref = shells[j % len(shells)] if shells else WalkerDelta()
        sat = element_set(satnum, epoch, inclination_deg=float(ref.inclination_deg), raan_deg=float(rng.uniform(0, 360)),
                          arg_lat_deg=float(rng.uniform(0, 360)), altitude_km=float(rng.uniform(270, 290)),
                          back_days=float(rng.uniform(0, epoch_spread_days)))
        extra(sat, f"RAISING-{j}", "raising")
        satnum += 1
    for j in range(n_stale):
        ref = shells[j % len(shells)] if shells else WalkerDelta()
        sat = element_set(satnum, epoch - timedelta(days=stale_age_days),
                          inclination_deg=float(ref.inclination_deg), raan_deg=float(rng.uniform(0, 360)),
                          arg_lat_deg=float(rng.uniform(0, 360)), altitude_km=float(ref.altitude_km))
        extra(sat, f"STALE-{j}", "stale")
        satnum += 1
    if n_duplicates:
        name_of = {sat.satnum: nm for sat, nm in zip(satrecs, names)}
        picks = rng.choice(n_op, size=min(n_duplicates, n_op), replace=False)
        for i in picks.tolist():
            src = satrecs[i]
            back = float(rng.uniform(1.0, 3.0))
            dt_min = back * 1440.0
            dup = Satrec()
            dup.sgp4init(WGS72, "i", src.satnum, src.jdsatepoch + src.jdsatepochF - _SGP4_EPOCH0_JD - back,
                         src.bstar, 0.0, 0.0, src.ecco, (src.argpo - src.argpdot * dt_min) % TWO_PI, src.inclo,
                         (src.mo - src.mdot * dt_min) % TWO_PI, src.no_kozai,
                         (src.nodeo - src.nodedot * dt_min) % TWO_PI)
            dup.intldesg, dup.classification = src.intldesg, src.classification
            pos = int(rng.integers(0, len(satrecs) + 1))
            satrecs.insert(pos, dup)
            names.insert(pos, name_of[src.satnum])
            shell.insert(pos, -1)
            plane.insert(pos, -1)
            slot.insert(pos, -1)
            role.insert(pos, "duplicate_old")
    return SyntheticSet(satrecs=satrecs, names=names, shell=np.array(shell, int), plane=np.array(plane, int),
                        slot=np.array(slot, int), role=role, reference_epoch=epoch, shells=list(shells))


__all__ = ["SyntheticSet", "synthetic_catalog", "element_set"]
