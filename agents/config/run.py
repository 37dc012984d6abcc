"""The config schema of a live episode (`satcoop run`): :class:`RunConfig`, validated on load.

``RunConfig.load(path | None, overrides)`` reads a TOML file (None: the packaged default,
``agents/config/default.toml``, kept identical to ``runs/default.toml``), applies dotted
overrides ``"faults.model=iid"`` (:mod:`agents.config.overrides`: values parsed as TOML, else
taken as strings) and validates the result with pydantic: an unknown field, a wrong type or a
value out of range is ONE line ``<field> = <value>: <what is allowed>``
(:class:`agents.config.errors.BadInput`, :func:`agents.config.errors.one_line`) before any work.

Units are in the field names (``_s`` seconds of simulated time, ``_dbw``, ``_bps``, ``_km``);
all times in the config are relative to the start of the episode.
"""
from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .constellation import ConstellationSpec
from .cooperation import CrossShellSpec, SelectionFields
from .errors import parse
from .overrides import apply_override, read_toml, set_dotted

DEFAULT_CONFIG_RESOURCE = "default.toml"
FAULT_MODELS = ("none", "iid", "gilbert-elliott", "scheduled")


class _Strict(BaseModel):
    # no inf / nan in any float field (a field that means something by inf says so with allow_inf_nan=True)
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, v, info):
        """``--set S=true`` is refused (pydantic would take true as 1)."""
        if isinstance(v, bool) and cls.model_fields[info.field_name].annotation in (int, float, "int", "float"):
            raise ValueError("must be a number, not true/false")
        return v


class ScheduledOutage(_Strict):
    """A deterministic outage [start_s, end_s) (episode time) of a satellite (its index), of a link
    [a, b], or of ``"central"`` (every link of region 0's central satellite as elected at the start by
    the election rule, whether or not a centralized scheme runs)."""

    start_s: float = Field(ge=0.0)
    end_s: float = Field(ge=0.0)
    target: Union[int, list[int], Literal["central"]]

    @model_validator(mode="after")
    def _window(self):
        if self.end_s < self.start_s:
            raise ValueError(f"end_s = {self.end_s} must be >= start_s = {self.start_s}")
        if isinstance(self.target, list) and (len(self.target) != 2 or min(self.target) < 0
                                              or self.target[0] == self.target[1]):
            raise ValueError(f"target = {self.target}: a link is [a, b] with two different satellite indices >= 0")
        if isinstance(self.target, int) and self.target < 0:
            raise ValueError(f"target = {self.target}: a satellite index must be >= 0")
        return self


class FaultsConfig(_Strict):
    """ISL outages. ``model``: none | iid (each link down in each tick with ``outage_prob``) |
    gilbert-elliott (two-state Markov chain per link, stationary down probability ``outage_prob``,
    mean down sojourn ``mean_outage_s``) | scheduled (only the ``scheduled`` entries). The
    ``scheduled`` entries apply with every model."""

    model: Literal["none", "iid", "gilbert-elliott", "scheduled"] = "gilbert-elliott"
    outage_prob: float = Field(0.02, ge=0.0, lt=1.0)
    mean_outage_s: float = Field(2.0, gt=0.0)
    scheduled: list[ScheduledOutage] = Field(default_factory=list)


class IslConfig(_Strict):
    """Inter-satellite links: per-hop processing delay, link rate, background load (the share of every
    link's capacity taken by other traffic; each link direction a FIFO server at the rest,
    :mod:`network.links`), routing topology, in-flight failures; ``cross_shell`` (None: off): laser
    links across shells (:class:`agents.config.cooperation.CrossShellSpec`)."""

    processing_s: float = Field(1e-3, ge=0.0, le=10.0)
    rate_bps: float = Field(1e9, gt=0.0)            # finite (no inf: see _Strict)
    background_load: float = Field(0.0, ge=0.0, lt=1.0)
    topology: Literal["grid", "complete", "ideal"] = "grid"   # ideal: every pair one zero-length hop (limit case)
    on_failure: Literal["drop", "reroute"] = "drop"
    bits_per_real: int = Field(32, ge=1, le=128)
    sigma_packing: Literal["full", "hermitian"] = "full"
    quantize: bool = True            # the central sees reported numbers rounded to bits_per_real
    cross_shell: CrossShellSpec | None = None

    def link_config(self):
        """The bus's hop model (:class:`network.links.LinkConfig`) of these links."""
        from network.links import LinkConfig
        return LinkConfig(processing_s=self.processing_s, rate_bps=self.rate_bps,
                          background_load=self.background_load)


class CentralizedConfig(_Strict):
    """Centralized protocol: report timeout, the members' fallback, failover."""

    report_timeout_s: float = Field(0.5, ge=0.0)
    fallback_scheme: str = "Sep-MMSE"
    max_bundle_age_s: float = Field(2.0, gt=0.0)
    failover: Literal["none", "reelect"] = "none"
    failover_timeout_s: float = Field(2.0, gt=0.0)


class RayConfig(_Strict):
    """Ray runtime: resources per actor, packing, fault tolerance, idle actors kept for reuse."""

    num_cpus: float | None = Field(None, gt=0.0)
    actor_num_cpus: float = Field(0.25, gt=0.0, le=64.0)
    agents_per_actor: int = Field(1, ge=1)
    max_restarts: int = Field(3, ge=0)
    idle_actors_max: int = Field(3, ge=0)         # >= S: a handover of a whole set reuses its actors


class ChaosConfig(_Strict):
    """Fault injection for the runtime itself: kill the process (Ray actor, or the in-process agent
    state on the local runtime) hosting ``target`` at episode time ``kill_agent_at_s``."""

    kill_agent_at_s: float | None = Field(None, ge=0.0)
    target: Union[Literal["central"], int] = "central"


class RegionConfig(_Strict, SelectionFields):
    """Service regions: ``count`` regions, each with its own S satellites and central, placed by
    :func:`agents.live.world.place_regions` (drops of the seed in order, each at least ``min_spacing_km``
    from those before it; spacing 0: region i is drop i), or at the listed ``centers``;
    ``center_lat_deg``/``center_lon_deg`` pin region 0's centre (default: from the seed). ``selection`` /
    ``max_member_latency_s`` / ``allow_transit`` / ``partial``: how the members are chosen, at the start
    and at every handover (:class:`agents.config.cooperation.SelectionFields`)."""

    count: int = Field(1, ge=1, le=1000)
    min_spacing_km: float = Field(0.0, ge=0.0, le=20_000.0)
    centers: list[tuple[float, float]] | None = None     # [[lat_deg, lon_deg], ...]: one per region, in order
    radius_km: float = Field(800.0, gt=0.0, lt=10_000.0)
    min_elevation_deg: float = Field(10.0, ge=0.0, lt=90.0)
    center_lat_deg: float | None = Field(None, ge=-90.0, le=90.0)
    center_lon_deg: float | None = Field(None, ge=-180.0, le=180.0)
    ut_speed_kmh: float = Field(5.0, ge=0.0, le=1000.0)

    @model_validator(mode="after")
    def _center(self):
        if (self.center_lat_deg is None) != (self.center_lon_deg is None):
            raise ValueError("center_lat_deg and center_lon_deg are given together or not at all")
        if self.centers is not None:
            if len(self.centers) != self.count:
                raise ValueError(f"centers has {len(self.centers)} entries: one [lat_deg, lon_deg] per region "
                                 f"(count = {self.count})")
            if self.center_lat_deg is not None:
                raise ValueError("centers and center_lat_deg/center_lon_deg: give one or the other")
            for lat, lon in self.centers:
                if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                    raise ValueError(f"centers entry [{lat}, {lon}]: latitude in [-90, 90], longitude in [-180, 180]")
        return self


class RunConfig(_Strict):
    """One live episode (see module docstring; defaults = the embedded default episode).

    ``ssi_propagate`` (default true): a peer's last SSI is carried forward to now with the motion of its
    element set (dead reckoning, the element sets being common knowledge). The episode's satellites
    follow exactly those element sets, so by default stale SSI places a peer exactly where it is and
    SSI age costs no rate. ``ssi_propagate = false`` uses the SSI as it is, however old: that is how to
    see what staleness costs (tests/agents/live/test_outage.py measures it).

    Times: ``update_period_s`` and ``ssi_period_s`` are whole multiples of ``tick_s``;
    ``centralized.report_timeout_s`` < ``update_period_s``. Agents act at ticks and, between ticks, at
    the exact arrival / ready times of reports, bundles and computations; the evaluator samples at ticks.
    """

    seed: int = Field(0, ge=0)
    duration_s: float = Field(60.0, gt=0.0, le=86_400.0)
    tick_s: float = Field(0.1, gt=0.0, le=60.0)
    S: int = Field(3, ge=1, le=64)
    K: int = Field(12, ge=1, le=1024)
    power_dbw: float = Field(5.0, ge=-100.0, le=100.0)
    update_period_s: float = Field(1.0, gt=0.0, le=86_400.0)     # a whole multiple of tick_s
    ssi_period_s: float = Field(1.0, gt=0.0, le=86_400.0)        # a whole multiple of tick_s
    onboard_flops: float = Field(1e10, gt=0.0, allow_inf_nan=True)   # inf = instant compute
    warm_start: bool = True                           # iterative schemes start from the lane's last precoders
    ssi_propagate: bool = True                        # carry a peer's last SSI forward with its (exact) element set
    schemes: Union[Literal["all", "default"], list[str]] = "default"   # "default": the catalog's live set
    runtime: Literal["ray", "local"] = "ray"
    address: str | None = None
    start_t_s: float | None = Field(None, ge=0.0, le=3.156e9)     # at most 100 years past the epoch
    scheme_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    constellation: ConstellationSpec = Field(default_factory=ConstellationSpec)
    region: RegionConfig = Field(default_factory=RegionConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)
    isl: IslConfig = Field(default_factory=IslConfig)
    centralized: CentralizedConfig = Field(default_factory=CentralizedConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    chaos: ChaosConfig = Field(default_factory=ChaosConfig)

    FIELD_HINTS: ClassVar[dict] = {"schemes": 'a list of registered scheme names (strings), "all" or "default"',
                                   "*.target": 'a satellite index, a link [a, b], or "central"'}

    @field_validator("address")
    @classmethod
    def _address(cls, v):
        from .address import address_problem
        if v is not None and address_problem(v):
            raise ValueError(f"{address_problem(v)} (--address)")
        return v

    @field_validator("schemes")
    @classmethod
    def _schemes(cls, v):
        if isinstance(v, list):
            if not v:
                raise ValueError("give at least one scheme name, or \"all\"")
            if len(set(v)) != len(v):
                raise ValueError("scheme names must be distinct")
        return v

    @model_validator(mode="after")
    def _timing(self):
        n = self.duration_s / self.tick_s
        if n > 10_000_000:
            raise ValueError(f"tick_s = {self.tick_s!r}: duration_s = {self.duration_s!r} would take {n:.3g} ticks; "
                             "at most 1e7 (a longer tick_s or a shorter duration_s)")
        for name in ("update_period_s", "ssi_period_s"):
            v = getattr(self, name)
            k = round(v / self.tick_s)
            if k < 1 or abs(k * self.tick_s - v) > 1e-9 * max(1.0, v):
                raise ValueError(f"{name} = {v!r}: must be a whole multiple (>= 1) of tick_s = {self.tick_s!r}")
        if self.centralized.report_timeout_s >= self.update_period_s:
            raise ValueError(f"centralized.report_timeout_s = {self.centralized.report_timeout_s!r}: must be less "
                             f"than update_period_s = {self.update_period_s!r} (the central computes an update "
                             "before the next one starts)")
        if self.address is not None and self.runtime != "ray":
            raise ValueError(f"address = {self.address!r}: joins a Ray cluster, so it needs runtime = \"ray\" "
                             f"(runtime is {self.runtime!r})")
        if self.isl.cross_shell is not None and self.isl.topology != "grid":
            raise ValueError(f"isl.cross_shell: applies to isl.topology = \"grid\" only, got "
                             f"isl.topology = {self.isl.topology!r}")
        if self.isl.topology != "grid" and self.faults.model in ("iid", "gilbert-elliott"):
            raise ValueError("faults.model: random link faults need isl.topology = \"grid\" "
                             "(\"complete\" has n(n-1)/2 links); use none or scheduled")
        return self

    # ------------------------------------------------------------------ loading
    @property
    def n_ticks(self) -> int:
        """Ticks of the episode: t = 0, tick_s, ..., < duration_s (at least one)."""
        return max(1, int(math.ceil(self.duration_s / self.tick_s - 1e-9)))

    @classmethod
    def from_dict(cls, data: dict | None) -> "RunConfig":
        """Validate a (nested) dict; :class:`BadInput` with one line naming the field, the value and what is allowed."""
        return parse(cls, data or {})

    @classmethod
    def load(cls, path: str | Path | None = None, overrides=()) -> "RunConfig":
        """Read ``path`` (TOML; None: the packaged default episode), apply ``overrides``
        (``"a.b=value"``), validate. :class:`BadInput` (one line) on any bad input."""
        data = tomllib.loads(default_toml_text()) if path is None else read_toml(path)
        if path is not None:                # element-set paths in the file: relative to its folder (else the cwd)
            from .element_files import resolve_config_paths
            resolve_config_paths(data, Path(path).parent)
        keys = [apply_override(data, item) for item in overrides or ()]
        # --set constellation.tle=FILE (or omm) replaces the file's Walker pattern instead of clashing with it
        files = any(k.startswith(("constellation.tle", "constellation.omm")) for k in keys)
        if files and not any(k.startswith("constellation.walker") for k in keys):
            (data.get("constellation") or {}).pop("walker", None)
        return cls.from_dict(data)

    def replace(self, **changes) -> "RunConfig":
        d = self.model_dump()
        for k, v in changes.items():
            set_dotted(d, k, v)
        return RunConfig.from_dict(d)


def default_toml_text() -> str:
    """The packaged default episode (agents/config/default.toml)."""
    return resources.files("agents.config").joinpath(DEFAULT_CONFIG_RESOURCE).read_text()


__all__ = ["RunConfig", "RegionConfig", "FaultsConfig", "ScheduledOutage", "IslConfig", "CentralizedConfig",
           "RayConfig", "ChaosConfig", "default_toml_text", "FAULT_MODELS"]
