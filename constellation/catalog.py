"""A constellation from real element-set files: merge, deduplicate, screen, infer the structure.

:func:`load_catalog` is what ``--tle`` / ``--omm`` / ``constellation.tle = [...]``
run. In order:

1. **Read** every TLE file (:func:`constellation.tle.read_tle`) and OMM file
   (:func:`constellation.tle.read_omm`); bad input is one ValueError naming the
   file, the record and the field. Each file's SHA-256 goes into the provenance.
2. **Deduplicate** by catalogue (NORAD) number, keeping the record with the
   newest epoch (the first listed among equal epochs): two CelesTrak groups
   concatenated list a satellite twice. Counted in ``dropped.duplicates``.
3. **Filter** (``dropped.filtered``, broken down in ``filtered_by``): element
   sets older than ``max_epoch_age_days`` before the newest epoch of the set
   (stale: often a dead or lost object), names not matching the ``name``
   pattern, satellites outside every ``shells`` band.
4. **Screen at the reference epoch** (t_s = 0, the newest element-set epoch):
   SGP4 fails (``dropped.failed``), or the satellite is below the altitude
   floor ``min_altitude_km`` -- its height at t_s = 0 or the Keplerian
   altitude of its mean motion (``dropped.decayed``: re-entering, deorbiting,
   or still raising from a ~300 km insertion orbit; none of them is a
   plausible cooperating satellite or relay).
5. **Structure**: shells, planes and slots (:func:`constellation.shells.infer_shells`)
   into ``Constellation.shell / plane / slot``; satellites in no shell keep -1 and are
   ``Constellation.transit`` (raising, lowering, too few per plane; counted in
   ``provenance["transit"]``).

Later failures (a satellite that decays during the run) are not dropped but
masked: :class:`constellation.ephemeris.Constellation` makes them absent
(NaN states) at the times they occur, with the same altitude floor.
"""
from __future__ import annotations

from .checks import BadInput

import fnmatch
import hashlib
import math
import re
from pathlib import Path

import numpy as np
from sgp4.conveniences import sat_epoch_datetime

from .ephemeris import Constellation, height_km
from .shells import infer_shells, mean_altitude_km
from .tle import read_omm, read_tle

_SHELL_RE = re.compile(r"^\s*(?P<i0>[0-9.]+)(?:\s*-\s*(?P<i1>[0-9.]+))?\s*(?::\s*(?P<a0>[0-9.]+)\s*-\s*(?P<a1>[0-9.]+))?\s*$")
SHELL_INC_TOL_DEG = 0.5


def parse_shell_filter(text: str) -> tuple[float, float, float, float]:
    """``"53:540-570"`` -> (inc_lo, inc_hi, alt_lo_km, alt_hi_km).

    Forms: ``INC`` (inclination within +-0.5 deg, any altitude), ``INC:ALO-AHI``,
    ``ILO-IHI:ALO-AHI`` (deg : km, mean altitude of the element set's mean motion)."""
    m = _SHELL_RE.match(str(text))
    err = (f"shell {text!r}: expected INC[:ALO-AHI] or ILO-IHI[:ALO-AHI] (inclination deg in [0, 180], "
           f"mean altitude km), e.g. 53:540-570")
    if not m:
        raise BadInput(err)
    try:
        i0 = float(m["i0"])
        i1 = float(m["i1"]) if m["i1"] else None
        a0 = float(m["a0"]) if m["a0"] else 0.0
        a1 = float(m["a1"]) if m["a1"] else math.inf
    except ValueError:
        raise BadInput(err) from None
    lo, hi = (i0 - SHELL_INC_TOL_DEG, i0 + SHELL_INC_TOL_DEG) if i1 is None else (i0, i1)
    if not (0.0 <= i0 <= 180.0 and (i1 is None or i0 <= i1 <= 180.0) and a0 <= a1):
        raise BadInput(err)
    return lo, hi, a0, a1


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dedup_newest(satnums, epochs_jd) -> tuple[np.ndarray, int]:
    """Indices (ascending) of the records to keep: per catalogue number the newest epoch, the first
    listed among equal epochs; and the number of records dropped."""
    satnums = np.asarray(satnums)
    epochs = np.asarray(epochs_jd, float)
    n = satnums.shape[0]
    # sort by satnum, then newest epoch first, then original order
    order = np.lexsort((np.arange(n), -epochs, satnums))
    first = np.ones(n, bool)
    first[1:] = satnums[order][1:] != satnums[order][:-1]
    keep = np.sort(order[first])
    return keep, n - keep.size


def load_catalog(tle=(), omm=(), *, shells=(), max_epoch_age_days: float | None = 30.0, name: str | None = None,
                 min_altitude_km: float = 300.0, **infer_options) -> tuple[Constellation, dict]:
    """Constellation of the merged element-set files and its provenance (module docstring).

    Returns ``(constellation, provenance)`` with provenance ``{"kind", "files": [{"name", "sha256",
    "format", "records"}], "records", "satellites", "dropped": {"duplicates", "decayed", "filtered",
    "failed"}, "filtered_by": {"epoch_age", "name", "shell"}, "epoch_min", "epoch_max",
    "reference_epoch", "min_altitude_km", "max_epoch_age_days", "name", "shell", "shells": [...],
    "unassigned", "transit": {"satellites", "by_reason", "groups"}}``. ``infer_options`` go to
    :func:`constellation.shells.infer_shells` (tolerances, ``min_planes``, ``min_sats_per_plane``). Raises ValueError if no file is given or no satellite survives.
    """
    tle, omm = [Path(p) for p in tle], [Path(p) for p in omm]
    if not tle and not omm:
        raise BadInput("give at least one TLE or OMM file")
    if not (isinstance(min_altitude_km, (int, float)) and math.isfinite(min_altitude_km) and min_altitude_km >= 0):
        raise BadInput(f"min_altitude_km must be a number >= 0 (km), got {min_altitude_km!r}")
    if max_epoch_age_days is not None and not (math.isfinite(max_epoch_age_days) and max_epoch_age_days > 0):
        raise BadInput(f"max_epoch_age_days must be > 0 (days) or None, got {max_epoch_age_days!r}")
    bands = [parse_shell_filter(s) for s in shells]

    satrecs, names, files = [], [], []
    for fmt, paths, reader in (("tle", tle, read_tle), ("omm", omm, read_omm)):
        for p in paths:
            s, nm = reader(p)                                         # names the file on any problem
            satrecs += s
            names += nm
            files.append({"name": str(p), "format": fmt, "sha256": _sha256(p), "records": len(s)})
    records = len(satrecs)
    epochs = np.array([sat.jdsatepoch + sat.jdsatepochF for sat in satrecs])
    keep, n_dup = dedup_newest([sat.satnum for sat in satrecs], epochs)

    # ---- filters
    newest = epochs[keep].max()
    filtered_by = {"epoch_age": 0, "name": 0, "shell": 0}
    mask = np.ones(keep.size, bool)
    if max_epoch_age_days is not None:
        stale = newest - epochs[keep] > max_epoch_age_days
        filtered_by["epoch_age"] = int(stale.sum())
        mask &= ~stale
    if name is not None:
        pat = re.compile(fnmatch.translate(name), re.IGNORECASE)
        nomatch = mask & ~np.array([bool(pat.match(names[i])) for i in keep])
        filtered_by["name"] = int(nomatch.sum())
        mask &= ~nomatch
    if bands:
        kept = [satrecs[i] for i in keep]
        inc = np.degrees([s.inclo for s in kept])
        alt = mean_altitude_km(kept)
        inside = np.zeros(keep.size, bool)
        for lo, hi, a0, a1 in bands:
            inside |= (inc >= lo) & (inc <= hi) & (alt >= a0) & (alt <= a1)
        out = mask & ~inside
        filtered_by["shell"] = int(out.sum())
        mask &= inside
    keep = keep[mask]
    n_filtered = sum(filtered_by.values())
    if keep.size == 0:
        raise BadInput(f"no satellite left after the filters ({records} records, {n_dup} duplicates, "
                         f"filtered {filtered_by})")

    # ---- screen at the reference epoch (the newest epoch of what is left)
    trial = Constellation([satrecs[i] for i in keep], names=[names[i] for i in keep])
    whole, frac = trial.epoch_jd
    e, r_km, v_km = trial._array.sgp4(np.array([whole]), np.array([frac]))
    failed = (e[:, 0] != 0) | ~np.isfinite(r_km[:, 0]).all(axis=1)
    with np.errstate(invalid="ignore"):
        low = ~failed & ((height_km(r_km[:, 0]) < min_altitude_km)
                         | (mean_altitude_km(trial.satrecs) < min_altitude_km))
    good = ~failed & ~low
    if not good.any():
        raise BadInput(f"no satellite is above min_altitude_km={min_altitude_km:g} at the reference epoch "
                         f"({int(failed.sum())} failed, {int(low.sum())} below the floor)")
    keep = keep[good]
    sats = [satrecs[i] for i in keep]
    structure = infer_shells(sats, r_km[good, 0], v_km[good, 0], **infer_options)
    c = Constellation(sats, names=[names[i] for i in keep], plane=structure.plane, slot=structure.slot,
                      shell=structure.shell, epoch=None, min_altitude_km=float(min_altitude_km),
                      transit=structure.transit)
    c.shell_info = structure.shells
    ep = [sat_epoch_datetime(s) for s in sats]
    prov = {
        "kind": "tle+omm" if tle and omm else "tle" if tle else "omm",
        "files": files,
        "records": records,
        "satellites": c.n,
        "dropped": {"duplicates": int(n_dup), "decayed": int(low.sum()), "filtered": int(n_filtered),
                    "failed": int(failed.sum())},
        "filtered_by": filtered_by,
        "epoch_min": min(ep).isoformat(),
        "epoch_max": max(ep).isoformat(),
        "reference_epoch": c.epoch.isoformat(),
        "min_altitude_km": float(min_altitude_km),
        "max_epoch_age_days": max_epoch_age_days,
        "name": name,
        "shell": list(shells),
        "shells": structure.shells,
        "unassigned": structure.unassigned,
        "transit": structure.transit_summary(),
    }
    return c, prov


__all__ = ["load_catalog", "dedup_newest", "parse_shell_filter"]
