"""``ConstellationSpec``: the ``constellation`` field of every satcoop config (pydantic v2).

One schema for the orbits an experiment runs on, whatever the front end
(``satcoop world --tle FILE``, a compare / sweep / live-run config file):

* ``walker``: one Walker shell or a list of shells (multi-shell Walker), each
  ``{total (T), planes (P), phasing (F), altitude_km, inclination_deg,
  kind: "delta" | "star", raan0_deg, epoch}``; the default (nothing given) is
  the project's default Walker-Delta 53 deg: 1680/28/1 at 600 km.
* ``tle = [files]`` and / or ``omm = [files]``: real element sets (2/3-line
  TLE; CelesTrak OMM .csv / .json / .xml). Several files are merged; records
  with the same catalogue number keep the newest epoch.
* filters (element sets only): ``shell = ["53:540-570", ...]`` (inclination
  deg, or a range ``52.9-53.3``, then the mean-altitude band in km),
  ``max_epoch_age_days`` (default 30, older than the newest epoch in the set),
  ``name`` (a shell-style pattern, case-insensitive, e.g. ``"STARLINK-*"``),
  ``min_altitude_km`` (default 300: the floor below which a satellite is
  absent -- dropped at the reference epoch, masked at later times).
* ``max_propagation_days`` (default 30): element sets are not propagated further than this from
  their own epochs (refused with one line, :func:`constellation.epoch_span.check_propagation_span`),
  unless ``allow_far_from_epoch`` (then a warning line); Walker patterns are exact at any time.

``spec.build() -> (Constellation, provenance)``; ``provenance`` is the JSON-able
record every output carries under ``"constellation"`` (see
:func:`constellation.catalog.load_catalog` for the element-set fields).

Bad input raises :class:`BadInput` with one line naming ``constellation.<field>``
(:meth:`ConstellationSpec.parse`, :func:`agents.config.errors.one_line`); the CLI maps fields to
its options.
"""
from __future__ import annotations

import os

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import (AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from .errors import BadInput, one_line

DEFAULT_MIN_ALTITUDE_KM = 300.0
DEFAULT_MAX_EPOCH_AGE_DAYS = 30.0


class WalkerShellSpec(BaseModel):
    """One Walker shell: T/P/F at ``altitude_km`` and ``inclination_deg``; ``kind`` delta (RAANs over
    360 deg) or star (RAANs over 180 deg, counter-rotating seam between the last and first plane)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    total: int = Field(1680, ge=1, le=200_000, validation_alias=AliasChoices("total", "T"),
                       description="T, number of satellites (multiple of planes)")
    planes: int = Field(28, ge=1, le=10_000, validation_alias=AliasChoices("planes", "P"),
                        description="P, orbital planes")
    phasing: int = Field(1, ge=0, validation_alias=AliasChoices("phasing", "F"),
                         description="F, Walker phasing factor, 0..P-1")
    altitude_km: float = Field(600.0, ge=100.0, le=100_000.0, allow_inf_nan=False,
                               description="nominal altitude above the WGS72 equatorial radius (km)")
    inclination_deg: float = Field(53.0, ge=0.0, le=180.0, allow_inf_nan=False)
    kind: Literal["delta", "star"] = "delta"
    raan0_deg: float = Field(0.0, ge=-360.0, le=360.0, allow_inf_nan=False)
    epoch: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)

    @model_validator(mode="after")
    def _pattern(self):
        if self.total % self.planes:
            raise ValueError(f"total (T) must be a multiple of planes (P) = {self.planes}, got {self.total}")
        if self.phasing > self.planes - 1:
            raise ValueError(f"phasing (F) must be in 0..planes-1 = 0..{self.planes - 1}, got {self.phasing}")
        if self.epoch.tzinfo is None:
            raise ValueError(f"epoch must carry a timezone (e.g. 2026-01-01T00:00:00Z), got {self.epoch}")
        return self

    def to_walker(self):
        from constellation.walker import WalkerDelta
        return WalkerDelta(total=self.total, planes=self.planes, phasing=self.phasing,
                           altitude_km=self.altitude_km, inclination_deg=self.inclination_deg,
                           epoch=self.epoch, raan0_deg=self.raan0_deg, kind=self.kind)


class ConstellationSpec(BaseModel):
    """The constellation of an experiment (see module docstring). Nothing given = the default Walker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    walker: WalkerShellSpec | list[WalkerShellSpec] | None = None
    tle: list[Path] = Field(default_factory=list, description="TLE files (2/3-line), merged")
    omm: list[Path] = Field(default_factory=list, description="CelesTrak OMM files (.csv/.json/.xml), merged")
    shell: list[str] = Field(default_factory=list,
                             description='keep only these shells, "INC:ALO-AHI" (deg : km), e.g. "53:540-570"')
    max_epoch_age_days: float | None = Field(DEFAULT_MAX_EPOCH_AGE_DAYS, gt=0.0, allow_inf_nan=False,
                                             description="drop element sets this much older than the newest "
                                                         "(None: keep all)")
    name: str | None = Field(None, min_length=1, description="keep names matching this pattern (fnmatch, "
                                                             "case-insensitive), e.g. STARLINK-*")
    min_altitude_km: float = Field(DEFAULT_MIN_ALTITUDE_KM, ge=0.0, le=100_000.0, allow_inf_nan=False,
                                   description="altitude floor (km): below it a satellite is absent")

    max_propagation_days: float = Field(30.0, gt=0.0, allow_inf_nan=False,
                                        description="largest |time from an element set's epoch| (days)")
    allow_far_from_epoch: bool = Field(False, description="run past max_propagation_days with a warning")

    def check_span(self, constellation, t_s, time_name: str = "t_s",
                   options=("constellation.max_propagation_days", "constellation.allow_far_from_epoch")) -> str | None:
        """None, or the warning line when ``allow_far_from_epoch``; :class:`BadInput` (one line naming
        ``time_name`` and the ``options`` (days, allow) as the user types them) when an element set is
        propagated too far at the times ``t_s`` (s since the constellation epoch). Walker patterns: None."""
        if self.kind == "walker":
            return None
        from constellation.epoch_span import check_propagation_span
        return check_propagation_span(constellation, t_s, max_propagation_days=self.max_propagation_days,
                                      allow=self.allow_far_from_epoch, time_name=time_name,
                                      days_option=options[0], allow_option=options[1])

    @field_validator("tle", "omm", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, (str, Path)) else v

    @field_validator("tle", "omm")
    @classmethod
    def _files_exist(cls, v):
        # checked at validation, before any work (a run must not start Ray / a sweep must not
        # launch tasks to find out); the content is checked when the files are read (build)
        for p in v:
            if not p.exists():
                raise ValueError(f"{p}: no such file")
            if p.is_dir():
                raise ValueError(f"{p}: is a directory, expected an element-set file")
        # absolute before any work (a worker in another folder or on another node finds the same file;
        # agents.config.element_files ships the content where the path does not exist)
        return [Path(os.path.abspath(p.expanduser())) for p in v]

    @field_validator("shell", mode="before")
    @classmethod
    def _shells(cls, v):
        v = [v] if isinstance(v, str) else v
        from constellation.catalog import parse_shell_filter
        for s in v or []:
            parse_shell_filter(s)           # ValueError naming the text and the expected form
        return v

    @model_validator(mode="after")
    def _one_source(self):
        if self.walker is not None and (self.tle or self.omm):
            raise ValueError("give either walker or tle/omm files, not both")
        if (self.shell or self.name is not None) and not (self.tle or self.omm):
            raise ValueError("shell / name filters apply to tle/omm element sets only")
        if isinstance(self.walker, list) and not self.walker:
            raise ValueError("walker: an empty list of shells")
        if self.walker is not None:
            for k, w in enumerate(self.shells_list()):
                if w.altitude_km < self.min_altitude_km:
                    raise ValueError(f"walker shell {k}: altitude_km={w.altitude_km:g} is below "
                                     f"min_altitude_km={self.min_altitude_km:g} (every satellite would be absent)")
        return self

    # ------------------------------------------------------------------ helpers
    @classmethod
    def parse(cls, data) -> "ConstellationSpec":
        """Validate ``data`` (dict, spec or None); a bad field raises ValueError with ONE line
        ``constellation.<field> = <value>: <what is allowed>``."""
        if isinstance(data, cls):
            return data
        try:
            return cls.model_validate({} if data is None else data)
        except ValidationError as exc:
            raise BadInput(one_line(exc, cls, data, prefix="constellation.")) from None

    @property
    def kind(self) -> str:
        """"walker", "tle", "omm" or "tle+omm"."""
        if self.tle and self.omm:
            return "tle+omm"
        return "tle" if self.tle else "omm" if self.omm else "walker"

    def shells_list(self) -> list[WalkerShellSpec]:
        """The Walker shells (the default shell when nothing is given); [] for element sets."""
        if self.tle or self.omm:
            return []
        if self.walker is None:
            return [WalkerShellSpec()]
        return list(self.walker) if isinstance(self.walker, list) else [self.walker]

    def build(self):
        """``(Constellation, provenance dict)``. Walker: ``Constellation.walker`` (one shell) or
        ``Constellation.walker_shells`` (several); element sets: :func:`constellation.catalog.load_catalog`
        (merge, dedup by catalogue number keeping the newest epoch, screen, infer shells/planes/slots)."""
        from constellation.ephemeris import Constellation

        if self.kind == "walker":
            shells = [s.to_walker() for s in self.shells_list()]
            c = (Constellation.walker(shells[0]) if len(shells) == 1
                 else Constellation.walker_shells(shells))
            c.min_altitude_km = self.min_altitude_km
            prov = {"kind": "walker", "files": [], "satellites": c.n,
                    "dropped": {"duplicates": 0, "decayed": 0, "filtered": 0, "failed": 0},
                    "epoch_min": c.epoch.isoformat(), "epoch_max": c.epoch.isoformat(),
                    "reference_epoch": c.epoch.isoformat(),
                    "min_altitude_km": self.min_altitude_km,
                    "walker": [s.model_dump(mode="json") for s in self.shells_list()],
                    "shells": c.shell_summary()}
            return c, prov
        from constellation.catalog import load_catalog
        return load_catalog(tle=[str(p) for p in self.tle], omm=[str(p) for p in self.omm],
                            shells=self.shell, max_epoch_age_days=self.max_epoch_age_days,
                            name=self.name, min_altitude_km=self.min_altitude_km)


__all__ = ["ConstellationSpec", "WalkerShellSpec", "DEFAULT_MIN_ALTITUDE_KM",
           "DEFAULT_MAX_EPOCH_AGE_DAYS"]
