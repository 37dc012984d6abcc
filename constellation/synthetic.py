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

Beyond perturbed Walker shells, :func:`starlink_like_catalog` builds a real-size
catalogue shaped like the public Starlink element sets of February 2026 (nine
shells from 43 to 97.6 deg, the low direct-to-cell shells near 360 km, two
53 deg shells 0.17 deg and 7 km apart) with the satellites a real file holds
between shells: lowering ones at 330-420 km, groups parked at one altitude with
1-3 satellites per plane, launch batches raising in one plane. The ground truth
(shell, plane, slot, transit, role) comes with it. :func:`two_close_shells` and
:func:`shell_with_transit` are the two small cases the shell inference must get
right.

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
        record), "decaying", "raising", "stale", and for :func:`starlink_like_catalog` "lowering",
        "parked" (a group at one altitude with 1-3 per plane), "launch_batch" (raising in one plane)
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

    @property
    def transit(self) -> np.ndarray:
        """bool [records]: the ground truth of :attr:`constellation.shells.ShellStructure.transit`:
        a record that is in no shell and is not an older duplicate (``TRANSIT_ROLES``)."""
        return np.array([r in TRANSIT_ROLES for r in self.role], bool)

    def append(self, sat, name: str, role: str) -> None:
        """Add one record outside every shell (ground truth -1)."""
        self.satrecs.append(sat)
        self.names.append(name)
        self.shell = np.append(self.shell, -1)
        self.plane = np.append(self.plane, -1)
        self.slot = np.append(self.slot, -1)
        self.role.append(role)

    def truth_by_norad(self) -> dict:
        """{NORAD id: (shell, plane, slot, transit)} of every record that is not an older duplicate."""
        tr = self.transit
        return {sat.satnum: (int(self.shell[i]), int(self.plane[i]), int(self.slot[i]), bool(tr[i]))
                for i, sat in enumerate(self.satrecs) if self.role[i] != "duplicate_old"}


TRANSIT_ROLES = ("decaying", "raising", "stale", "lowering", "parked", "launch_batch")


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


# ---------------------------------------------------------------- real-size, Starlink-shaped

# (label, inclination deg, altitude km, planes, satellites per plane, RAAN of plane 0 deg): the shape of the
# public Starlink element sets of February 2026 (shell centres from the issue that reported them; the
# plane and satellite counts are plausible round numbers, not a census).
STARLINK_2026_SHELLS = (
    ("43.0/356 direct-to-cell", 43.0, 356.0, 10, 24, 7.0),
    ("43.0/483", 43.0, 483.0, 28, 36, 3.0),
    ("43.0/559", 43.0, 559.0, 24, 30, 11.0),
    ("53.0/360 direct-to-cell", 53.0, 360.0, 18, 20, 5.0),
    ("53.05/547", 53.05, 547.0, 36, 18, 1.0),
    ("53.16/475", 53.16, 475.0, 36, 28, 2.5),
    ("53.22/540", 53.22, 540.0, 72, 22, 4.0),
    ("70.0/572", 70.0, 572.0, 36, 14, 0.0),
    ("97.6/550", 97.6, 550.0, 8, 24, 10.0),
    ("97.6/563", 97.6, 563.0, 10, 20, 25.0),
)

# groups parked at one altitude with 1-3 satellites per plane: (inclination deg, altitude km, planes)
STARLINK_2026_PARKED = ((53.05, 500.0, 50), (53.22, 505.0, 40), (53.16, 430.0, 20), (43.0, 520.0, 12),
                        (70.0, 540.0, 8), (97.6, 520.0, 6))
# launch batches in one plane: (inclination deg, lowest altitude km, highest altitude km, satellites)
STARLINK_2026_BATCHES = ((53.16, 349.5, 350.5, 24), (43.0, 300.0, 480.0, 24), (53.22, 380.0, 520.0, 28))


def starlink_walkers(shells=STARLINK_2026_SHELLS, scale: float = 1.0) -> list:
    """The shells as :class:`constellation.walker.WalkerDelta` (phasing 1); ``scale`` multiplies the
    satellites per plane (at least 4 per plane kept)."""
    out = []
    for _, inc, alt, planes, per_plane, raan0 in shells:
        s = max(4, int(round(per_plane * scale)))
        out.append(WalkerDelta(total=planes * s, planes=planes, phasing=1, altitude_km=alt, inclination_deg=inc,
                               raan0_deg=raan0))
    return out


def add_transit(syn: SyntheticSet, rng: np.random.Generator, *, lowering: int = 0, lowering_km=(330.0, 420.0),
                lowering_inclinations_deg=(53.0,), parked=(), batches=(), epoch_spread_days: float = 2.0) -> None:
    """Append satellites in transit to ``syn`` (ground truth shell -1, in ``TRANSIT_ROLES``):

    ``lowering`` satellites at inclinations drawn from ``lowering_inclinations_deg`` (+ N(0, 0.01)),
    altitude U(``lowering_km``), RAAN and argument of latitude uniform (role "lowering");
    ``parked``: groups ``(inclination_deg, altitude_km, planes)``, 1-3 satellites (uniform) in each of
    ``planes`` planes evenly spread in RAAN, altitude + N(0, 0.5 km) (role "parked");
    ``batches``: ``(inclination_deg, alt_lo_km, alt_hi_km, satellites)``, one plane at a uniform RAAN,
    altitudes U(alt_lo, alt_hi), arguments of latitude spread over one arc (role "launch_batch").
    Each with its own epoch up to ``epoch_spread_days`` before the reference epoch."""
    epoch = syn.reference_epoch
    satnum = max(sat.satnum for sat in syn.satrecs) + 1 if syn.satrecs else 1

    def one(inc, raan, u, alt, name, role):
        nonlocal satnum
        sat = element_set(satnum, epoch, inclination_deg=float(inc), raan_deg=float(raan), arg_lat_deg=float(u),
                          altitude_km=float(alt), back_days=float(rng.uniform(0.0, epoch_spread_days)))
        syn.append(sat, name, role)
        satnum += 1

    incs = np.asarray(lowering_inclinations_deg, float)
    for j in range(int(lowering)):
        one(rng.choice(incs) + rng.normal(0.0, 0.01), rng.uniform(0, 360), rng.uniform(0, 360),
            rng.uniform(*lowering_km), f"LOWER-{j}", "lowering")
    for g, (inc, alt, planes) in enumerate(parked):
        raan0 = rng.uniform(0, 360)
        for p in range(int(planes)):
            for j in range(int(rng.integers(1, 4))):
                one(inc + rng.normal(0.0, 0.01), raan0 + 360.0 * p / planes + rng.normal(0.0, 0.1),
                    rng.uniform(0, 360), alt + rng.normal(0.0, 0.5), f"PARKED-{g}-{p}-{j}", "parked")
    for b, (inc, lo, hi, count) in enumerate(batches):
        raan, u0 = rng.uniform(0, 360), rng.uniform(0, 360)
        for j in range(int(count)):
            one(inc + rng.normal(0.0, 0.01), raan + rng.normal(0.0, 0.1), u0 + 3.0 * j + rng.normal(0.0, 0.5),
                rng.uniform(lo, hi), f"BATCH-{b}-{j}", "launch_batch")


def starlink_like_catalog(rng: np.random.Generator, *, scale: float = 1.0, epoch: datetime | None = None,
                          epoch_spread_days: float = 2.0, lowering: int = 60, parked=STARLINK_2026_PARKED,
                          batches=STARLINK_2026_BATCHES, n_decaying: int = 2, n_duplicates: int = 0,
                          n_stale: int = 0, inc_noise_deg: float = 0.02, alt_noise_km: float = 1.0) -> SyntheticSet:
    """A real-size catalogue shaped like Starlink in February 2026 (module docstring): the shells of
    ``STARLINK_2026_SHELLS`` (6,464 satellites at ``scale=1``) perturbed as in :func:`synthetic_catalog`
    (inclination noise ``inc_noise_deg``, altitude noise ``alt_noise_km``), ``lowering`` satellites at
    330-420 km at the shells' inclinations, the parked groups and launch batches of
    ``STARLINK_2026_PARKED`` / ``STARLINK_2026_BATCHES``, ``n_decaying`` re-entering satellites near
    315 km; optional duplicates and stale records. Reference epoch 2026-02-23 unless given."""
    epoch = epoch or datetime(2026, 2, 23, tzinfo=timezone.utc)
    walkers = starlink_walkers(STARLINK_2026_SHELLS, scale)
    syn = synthetic_catalog(walkers, rng, epoch=epoch, epoch_spread_days=epoch_spread_days,
                            inc_noise_deg=inc_noise_deg, alt_noise_km=alt_noise_km, n_decaying=n_decaying,
                            n_duplicates=n_duplicates, n_stale=n_stale)
    syn.names = [_label_name(nm) for nm in syn.names]
    add_transit(syn, rng, lowering=lowering, lowering_inclinations_deg=sorted({s[1] for s in STARLINK_2026_SHELLS}),
                parked=parked, batches=batches, epoch_spread_days=epoch_spread_days)
    return syn


def _label_name(name: str) -> str:
    """``SYNk-Pppp-Ssss`` -> ``STARLIKE-<shell label>-Pppp-Ssss`` (readable in outputs)."""
    if not name.startswith("SYN"):
        return name
    head, rest = name.split("-", 1)
    k = int(head[3:])
    label = STARLINK_2026_SHELLS[k][0].split(" ")[0] if k < len(STARLINK_2026_SHELLS) else head
    return f"STARLIKE-{label}-{rest}"


def two_close_shells(rng: np.random.Generator, **options) -> SyntheticSet:
    """Two 53 deg shells 0.2 deg and 7 km apart (53.0 deg / 550 km and 53.2 deg / 557 km, 20 planes of
    20 each, planes interleaved in RAAN): the inference must find both (:mod:`constellation.shells`)."""
    shells = [WalkerDelta(total=400, planes=20, phasing=1, altitude_km=550.0, inclination_deg=53.0),
              WalkerDelta(total=400, planes=20, phasing=3, altitude_km=557.0, inclination_deg=53.2, raan0_deg=9.0)]
    return synthetic_catalog(shells, rng, **{"n_decaying": 0, **options})


def shell_with_transit(rng: np.random.Generator, **options) -> SyntheticSet:
    """One 53 deg / 550 km shell (24 planes of 20) with satellites in transit: 40 lowering at 330-420 km,
    two groups parked at one altitude with 1-3 per plane (53.0 deg / 500 km over 30 planes, 53.0 deg /
    530 km over 12 planes), a launch batch of 24 parked in one plane at 350 km and one raising through
    300-540 km, and one re-entering satellite."""
    w = WalkerDelta(total=480, planes=24, phasing=1, altitude_km=550.0, inclination_deg=53.0)
    syn = synthetic_catalog([w], rng, **{"n_decaying": 1, **options})
    add_transit(syn, rng, lowering=40, lowering_inclinations_deg=(53.0,), parked=((53.0, 500.0, 30), (53.0, 530.0, 12)),
                batches=((53.0, 349.5, 350.5, 24), (53.0, 300.0, 540.0, 24)))
    return syn


__all__ = ["SyntheticSet", "synthetic_catalog", "element_set", "starlink_like_catalog", "two_close_shells",
           "shell_with_transit", "add_transit", "starlink_walkers", "STARLINK_2026_SHELLS", "TRANSIT_ROLES"]
