"""What the episode page embeds, rebuilt from a run folder alone: :func:`build_view_data` -> :class:`ViewData`
-> plain JSON (:meth:`ViewData.to_json`).

Read from ``RUN_DIR``: ``config.json`` (the resolved :class:`agents.config.run.RunConfig`), ``run.json``
(start time ``t0_s``, regions, schemes and architectures), ``steps.parquet``, ``messages.parquet``,
``faults.parquet``, ``events.json``, ``computes.parquet``. Nothing else: what the tables do not hold is
recomputed with the project's own code from the config --

* satellite positions: the constellation is rebuilt from the config (:func:`agents.live.world.build_constellation`
  through :class:`agents.live.world.EpisodeWorld`, which also redraws the regions and their UTs from the seed)
  and propagated with SGP4 (:meth:`constellation.ephemeris.Constellation.state_itrs`, ITRS) at the frame times;
  the rebuilt start time and region centres must equal ``run.json``'s, else :class:`BadInput`;
* ISL topology: the episode's topology (+Grid for Walker, k-nearest for element sets) at every frame;
* message routes: every message is sent again on a fresh bus (:mod:`agents.view.routes`) and the replay is
  checked against ``messages.parquet``.

Times are episode seconds (0 = start; UTC = ``meta.t0_utc`` + t). Positions are ITRS in km.

Which satellites: those *near a region* -- above ``horizon_deg`` (default 0 deg, the geometric horizon)
of at least one region's centre at some frame time -- plus every satellite that was a member or central
of a region, sent or received a message, or relayed one (hop end points of the replayed routes). ISLs: the
links of the episode's topology with both ends among them.

Decimation (so a long episode stays small; the default 60 s episode is not decimated except positions):

* positions: ``F = max(2, ceil(T / step) + 1)`` frames evenly over [0, T] (T = n_ticks x tick_s), with
  ``step = max(frame_step_min_s (1 s), T / frames_max (1200), T / (position_values_max (250,000) / D))``
  for D satellites shown; the page interpolates linearly in ITRS
  between frames (the chord of a 1 s arc of a LEO orbit departs from the arc by ~1 m, of a 10 s arc by ~1 km);
  link geometry (up / cut) is the topology at the nearest frame;
* plots: bins of ``b = ceil(n_ticks / plot_points_max (3000))`` ticks; the sum rate and precoder ages are
  bin means, a bin is shaded as an outage when any of its ticks is; ISL bits per second over bins of
  ``ceil(n_updates / plot_points_max)`` update periods;
* routes: when the messages' attempted hops exceed ``route_hops_max`` (150,000), routes are kept for every
  lost message and for the messages of every k-th update period (``floor(sent_s / update_period_s) % k == 0``,
  k = ceil(hops / route_hops_max)); the other messages keep their table row (times, fate) without a route.
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from agents.files import PARTIAL, is_partial
from constellation.checks import BadInput

FRAME_STEP_MIN_S = 1.0
FRAMES_MAX = 1200
POSITION_VALUES_MAX = 250_000        # frames x satellites shown (4 MB of base64 float32 positions)
PLOT_POINTS_MAX = 3000
ROUTE_HOPS_MAX = 150_000
VIEW_SCHEMA = 1
REGION_OUTLINE_POINTS = 73
MSG_STATUS = ("delivered", "lost", "in_flight")
RUN_FILES = ("config.json", "run.json", "steps.parquet", "messages.parquet", "faults.parquet", "events.json",
             "computes.parquet")


@dataclass
class ViewOptions:
    """Knobs of the page's data (module docstring: which satellites, decimation)."""

    horizon_deg: float = 0.0
    frame_step_min_s: float = FRAME_STEP_MIN_S
    frames_max: int = FRAMES_MAX
    position_values_max: int = POSITION_VALUES_MAX
    plot_points_max: int = PLOT_POINTS_MAX
    route_hops_max: int = ROUTE_HOPS_MAX

    def __post_init__(self):
        from constellation.checks import check_int, check_real
        check_real("horizon_deg", self.horizon_deg, -90.0, 90.0, "deg")
        check_real("frame_step_min_s", self.frame_step_min_s, 1e-3, 86_400.0, "s")
        check_int("frames_max", self.frames_max, 2)
        check_int("position_values_max", self.position_values_max, 2)
        check_int("plot_points_max", self.plot_points_max, 2)
        check_int("route_hops_max", self.route_hops_max, 0)


@dataclass
class RunFolder:
    """The files of a run folder as read (see module docstring)."""

    path: Path
    config: object                  # agents.config.run.RunConfig
    run: dict
    steps: pd.DataFrame
    messages: pd.DataFrame
    faults: pd.DataFrame
    events: list
    computes: pd.DataFrame


def read_run_folder(run_dir, name: str = "RUN_DIR") -> RunFolder:
    """Read a run folder; :class:`BadInput` (one line naming ``name``, the path and what is wrong) when it is
    not a run folder, misses a file, or its config cannot be rebuilt (e.g. an element-set file that is gone)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise BadInput(f"{name} = {str(run_dir)!r}: no such directory (give a folder written by satcoop run)")
    missing = [f for f in RUN_FILES if not (path / f).is_file()]
    if missing:
        raise BadInput(f"{name} = {str(run_dir)!r}: not a complete run folder, missing {', '.join(missing)} "
                       "(written by satcoop run)")
    try:
        cfg_data = json.loads((path / "config.json").read_text())
        run = json.loads((path / "run.json").read_text())
        events = json.loads((path / "events.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"{name} = {str(run_dir)!r}: unreadable JSON ({exc})") from None
    if is_partial(path) and run.get("complete") is not False:
        raise BadInput(f"{name} = {str(run_dir)!r}: marked {PARTIAL}: its run stopped before the folder was written "
                       f"(killed?), so the files in it may be from an older run; nothing to show")
    from agents.config.run import RunConfig
    try:
        config = RunConfig.from_dict(cfg_data)
    except ValueError as exc:
        raise BadInput(f"{name} = {str(run_dir)!r}: its config.json cannot be rebuilt: {exc}") from None
    try:
        frames = {f: pd.read_parquet(path / f"{f}.parquet") for f in ("steps", "messages", "faults", "computes")}
    except Exception as exc:            # pyarrow raises several types for a damaged file
        raise BadInput(f"{name} = {str(run_dir)!r}: unreadable parquet table ({type(exc).__name__}: {exc})") from None
    return RunFolder(path=path, config=config, run=run, events=events, **frames)


# ---------------------------------------------------------------------------- encoding

def pack(a, dtype) -> dict:
    """A numeric array as ``{"dtype", "shape", "b64"}`` (little-endian raw bytes, base64): how the page
    embeds the large arrays (decoded into typed arrays by the page)."""
    x = np.ascontiguousarray(np.asarray(a, dtype=np.dtype(dtype).newbyteorder("<")))
    return {"dtype": np.dtype(dtype).name, "shape": list(x.shape), "b64": base64.b64encode(x.tobytes()).decode()}


def unpack(d: dict) -> np.ndarray:
    """Inverse of :func:`pack`."""
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=np.dtype(d["dtype"]).newbyteorder("<")).reshape(d["shape"])


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


# ---------------------------------------------------------------------------- the data

@dataclass
class RegionView:
    """One service region: geometry, roles over time, its plots' series.

    outline_deg [73, 2] (lat, lon) of the region's edge (``region.radius_km`` from the centre);
    ut_lat_deg / ut_lon_deg [F, K] the UTs at the frame times (the episode's straight walk);
    members: [[t_s, [sat ids]]] each change of the cooperating set (first entry at t = 0);
    centrals: [[t_s, sat id]] each election (empty without centralized schemes);
    plot_t_s [P] bin start times, plot_bin_ticks b; sum_rate {scheme: [P]} (bit/s/Hz, bin means);
    age {scheme: {sat id: [P]}} (s, bin means over the ticks the satellite was a member; None where none);
    outages [[t_start_s, t_end_s]] runs of bins in which an ISL fault touched the cooperating set;
    isl_t_s [Q] bin start times, isl_width_s; isl_bits_per_s {scheme: [Q]} (link bits sent in the bin / bin
    length; a scheme's own messages plus, for separate and decentralized schemes, the shared SSI, as
    summary.json counts them) and ``"SSI (shared)"``.
    """

    index: int
    center_lat_deg: float
    center_lon_deg: float
    radius_km: float
    outline_deg: np.ndarray
    ut_lat_deg: np.ndarray
    ut_lon_deg: np.ndarray
    members: list
    centrals: list
    plot_t_s: np.ndarray
    plot_bin_ticks: int
    sum_rate: dict
    age: dict
    outages: list
    isl_t_s: np.ndarray
    isl_width_s: float
    isl_bits_per_s: dict

    def to_json(self) -> dict:
        return _jsonable({
            "index": self.index, "center_lat_deg": self.center_lat_deg, "center_lon_deg": self.center_lon_deg,
            "radius_km": self.radius_km, "outline_deg": np.round(self.outline_deg, 4),
            "ut_lat_deg": pack(self.ut_lat_deg, "float64"), "ut_lon_deg": pack(self.ut_lon_deg, "float64"),
            "members": self.members, "centrals": self.centrals, "plot_t_s": self.plot_t_s,
            "plot_bin_ticks": self.plot_bin_ticks, "sum_rate": self.sum_rate,
            "age": {s: {str(k): v for k, v in d.items()} for s, d in self.age.items()},
            "outages": self.outages, "isl_t_s": self.isl_t_s, "isl_width_s": self.isl_width_s,
            "isl_bits_per_s": self.isl_bits_per_s})


@dataclass
class ViewData:
    """Everything the page shows (module docstring). Satellite arrays are over the D displayed satellites
    (``sat_ids`` [D], constellation indices, ascending); link and message end points are indices into them.

    frames_t_s [F]; positions_km float32 [F, D, 3] ITRS (NaN: absent, e.g. below the altitude floor);
    links int [L, 2] (u < v in constellation ids, as rows of D indices); link_up bool [F, L] geometrically up
    (in the topology, not cut by latitude, seam or range) at each frame; link_faults [Q, 3] (link, start, end)
    and sat_faults [Qs, 3] (satellite, start, end): the fault timeline's down intervals [start, end) touching
    them; messages: columns (see :meth:`to_json`), hops: the replayed hops of the routed messages.
    """

    meta: dict
    frames_t_s: np.ndarray
    sat_ids: np.ndarray
    sats: dict
    positions_km: np.ndarray
    links: np.ndarray
    link_up: np.ndarray
    link_faults: np.ndarray
    sat_faults: np.ndarray
    regions: list
    messages: dict
    hops: dict
    events: list
    schemes: list
    land: dict | None = None
    warnings: list = field(default_factory=list)

    def to_json(self) -> dict:
        """The page's embedded JSON: small things as lists, large arrays packed (:func:`pack`)."""
        m = self.messages
        h = self.hops
        return {
            "schema": VIEW_SCHEMA, "meta": _jsonable(self.meta), "warnings": list(self.warnings),
            "schemes": _jsonable(self.schemes), "frames_t_s": pack(self.frames_t_s, "float64"),
            "sats": _jsonable(dict(self.sats, ids=self.sat_ids)),
            "positions_km": pack(self.positions_km, "float32"),
            "links": pack(self.links, "int32"), "link_up": pack(self.link_up, "uint8"),
            "link_faults": pack(self.link_faults, "float64"), "sat_faults": pack(self.sat_faults, "float64"),
            "regions": [r.to_json() for r in self.regions],
            "messages": {"types": m["types"], "schemes": m["schemes"], "reasons": m["reasons"],
                         "status_names": list(MSG_STATUS),
                         **{k: pack(m[k], dt) for k, dt in MESSAGE_COLUMNS.items()}},
            "hops": {k: pack(h[k], "int16" if k in ("u", "v") and len(self.sat_ids) < 32_768 else dt)
                     for k, dt in HOP_COLUMNS.items()},
            "events": _jsonable(self.events),
        }


MESSAGE_COLUMNS = {"msg_id": "int32", "type": "uint8", "scheme": "int16", "region": "int16", "update": "int32",
                   "src": "int32", "dst": "int32", "sent_s": "float64", "end_s": "float64", "status": "uint8",
                   "reason": "uint8", "payload_bits": "float64", "link_bits": "float64", "hops": "int32",
                   "hop_start": "int32", "hop_count": "int32"}
HOP_COLUMNS = {"u": "int32", "v": "int32", "t_depart_s": "float64", "t_arrive_s": "float64", "ok": "uint8"}


# ---------------------------------------------------------------------------- building

def _frame_times(duration_s: float, opt: ViewOptions, n_sats: int = 1) -> np.ndarray:
    step = max(opt.frame_step_min_s, duration_s / opt.frames_max,
               duration_s / max(opt.position_values_max // max(n_sats, 1) - 1, 1))
    n = max(2, int(math.ceil(duration_s / step - 1e-9)) + 1)
    return np.linspace(0.0, duration_s, n)


def _near_mask(constellation, t0_s: float, frames: np.ndarray, centers_deg, horizon_deg: float) -> np.ndarray:
    """bool [n]: satellites above ``horizon_deg`` of at least one centre at one frame (chunked over time)."""
    from constellation.frames import enu_basis, geodetic_to_itrs
    lat = np.array([c[0] for c in centers_deg])
    lon = np.array([c[1] for c in centers_deg])
    ground = geodetic_to_itrs(lat, lon, 0.0)                      # [R,3]
    up = enu_basis(lat, lon)[:, 2, :]                             # [R,3]
    sin_min = math.sin(math.radians(horizon_deg))
    near = np.zeros(constellation.n, bool)
    chunk = max(1, 2_000_000 // max(constellation.n * len(lat), 1))
    for i in range(0, len(frames), chunk):
        r, _ = constellation.state_itrs(t0_s + frames[i:i + chunk])           # [T,n,3]
        d = r[:, None, :, :] - ground[None, :, None, :]                     # [T,R,n,3]
        rng = np.linalg.norm(d, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.einsum("trnk,rk->trn", d, up) / rng
        near |= np.any(np.nan_to_num(s, nan=-2.0) >= sin_min, axis=(0, 1))
    return near


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last + 1)] of the runs of True in a bool array."""
    f = np.concatenate([[False], np.asarray(flags, bool), [False]])
    d = np.diff(f.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _bin_mean(x: np.ndarray, b: int) -> np.ndarray:
    """Means of consecutive blocks of ``b`` rows of ``x`` [n, ...] (the last block may be shorter), NaN-aware
    (a block with no finite value is NaN)."""
    n = x.shape[0]
    nb = -(-n // b)
    pad = np.full((nb * b,) + x.shape[1:], np.nan)
    pad[:n] = x
    blocks = pad.reshape((nb, b) + x.shape[1:])
    fin = np.isfinite(blocks)
    cnt = fin.sum(axis=1)
    tot = np.where(fin, blocks, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _region_series(rf: RunFolder, r: int, schemes: list, arch: dict, n_ticks: int, opt: ViewOptions):
    cfg = rf.config
    st = rf.steps[rf.steps["region"] == r]
    b = max(1, -(-n_ticks // opt.plot_points_max))
    ticks = np.arange(n_ticks)
    plot_t = ticks[::b] * cfg.tick_s
    sum_rate, age = {}, {}
    outage = np.zeros(n_ticks, bool)
    members_by_tick = [None] * n_ticks
    for s in schemes:
        x = st[st["scheme"] == s].sort_values("tick")
        tk = x["tick"].to_numpy(int)
        rate = np.full(n_ticks, np.nan)
        rate[tk] = x["sum_rate_bps_hz"].to_numpy(float)
        sum_rate[s] = _bin_mean(rate, b)
        outage[tk] |= x["member_link_down"].to_numpy(bool)
        ids = np.stack([np.asarray(v, np.int64) for v in x["sat_ids"]]) if len(x) else np.zeros((0, cfg.S), int)
        ages = np.stack([np.asarray(v, float) for v in x["precoder_age_s"]]) if len(x) else np.zeros((0, cfg.S))
        for j, t in enumerate(tk):
            if members_by_tick[t] is None:
                members_by_tick[t] = ids[j].tolist()
        per = {}
        for sat in np.unique(ids).tolist():          # vectorised over ticks
            hit = ids == sat                           # [n, S]
            col = np.full(n_ticks, np.nan)
            val = ages[np.arange(len(tk)), np.argmax(hit, axis=1)]
            col[tk] = np.where(hit.any(axis=1), val, np.nan)
            per[int(sat)] = _bin_mean(col, b)
        age[s] = per
    members = []
    for t, ids in enumerate(members_by_tick):
        if ids is not None and (not members or members[-1][1] != ids):
            members.append([t * cfg.tick_s, ids])
    bin_out = np.add.reduceat(outage.astype(int), np.arange(0, n_ticks, b)) > 0 if n_ticks else np.zeros(0, bool)
    outages = [[a * b * cfg.tick_s, min(e * b, n_ticks) * cfg.tick_s] for a, e in _runs(bin_out)]
    # ISL bits per second over bins of whole update periods (the last may be cut by the episode's end)
    duration = n_ticks * cfg.tick_s
    n_upd = max(1, int(math.ceil(duration / cfg.update_period_s - 1e-9)))
    width = cfg.update_period_s * max(1, -(-n_upd // opt.plot_points_max))
    n_bins = max(1, int(math.ceil(duration / width - 1e-9)))
    starts = np.arange(n_bins) * width
    lengths = np.minimum(starts + width, duration) - starts
    m = rf.messages[rf.messages["region"] == r]
    k = np.clip(np.floor(m["sent_s"].to_numpy(float) / width + 1e-9).astype(int), 0, n_bins - 1)
    bits = m["link_bits"].to_numpy(float)
    scheme_col = m["scheme"].to_numpy(object)
    ssi = np.bincount(k[scheme_col == ""], weights=bits[scheme_col == ""], minlength=n_bins)
    isl = {}
    for s in schemes:
        own = np.bincount(k[scheme_col == s], weights=bits[scheme_col == s], minlength=n_bins)
        isl[s] = (own + (ssi if arch[s] != "centralized" else 0.0)) / lengths
    isl["SSI (shared)"] = ssi / lengths
    return dict(plot_t_s=plot_t, plot_bin_ticks=b, sum_rate=sum_rate, age=age, outages=outages, members=members,
                isl_t_s=starts, isl_width_s=width, isl_bits_per_s=isl)


def _centrals(events: list, r: int) -> list:
    return [[float(e["t_s"]), int(e["central"])] for e in events
            if e.get("type") == "election" and e.get("region") == r and e.get("central") is not None]


def _route_subset(rf: RunFolder, opt: ViewOptions):
    """msg_ids to route (None: all) and the decimation factor k (module docstring)."""
    m = rf.messages
    total = int(m["hops_attempted"].sum())
    if total <= opt.route_hops_max:
        return None, 1
    k = int(math.ceil(total / max(opt.route_hops_max, 1)))
    period = np.floor(m["sent_s"].to_numpy(float) / rf.config.update_period_s + 1e-9).astype(int)
    keep = (period % k == 0) | m["lost"].to_numpy(bool)
    return m["msg_id"].to_numpy()[keep].tolist(), k


def build_view_data(run_dir, options: ViewOptions | None = None, name: str = "RUN_DIR") -> ViewData:
    """The page's data for the run folder ``run_dir`` (module docstring); :class:`BadInput` for a folder
    that is not a run folder or whose world cannot be rebuilt."""
    from agents.live.world import EpisodeWorld
    from constellation.ground import destination, move_uts
    from network.faults import FaultTimeline
    from .routes import replay_routes

    opt = options or ViewOptions()
    rf = read_run_folder(run_dir, name)
    cfg = rf.config
    try:
        world = EpisodeWorld(cfg)
    except (ValueError, OSError) as exc:
        raise BadInput(f"{name} = {str(run_dir)!r}: cannot rebuild the episode's world from config.json: "
                       f"{exc}") from None
    c = world.constellation
    if not math.isclose(world.t0_s, float(rf.run.get("t0_s", math.nan)), rel_tol=0.0, abs_tol=1e-6):
        raise BadInput(f"{name} = {str(run_dir)!r}: the rebuilt episode starts at t0_s = {world.t0_s!r}, run.json "
                       f"says {rf.run.get('t0_s')!r} (written by another satcoop version, or the element sets "
                       "changed); cannot place the satellites")
    for reg, rec in zip(world.regions, rf.run.get("regions", [])):
        if not np.allclose(reg.center, (rec["center_lat_deg"], rec["center_lon_deg"]), atol=1e-9):
            raise BadInput(f"{name} = {str(run_dir)!r}: region {reg.index} rebuilt at {reg.center}, run.json says "
                           f"({rec['center_lat_deg']}, {rec['center_lon_deg']})")
    arch = {d["scheme"]: d["architecture"] for d in rf.run.get("schemes", [])}
    schemes = [s for s in arch] or sorted(rf.steps["scheme"].unique())
    partial = rf.run.get("complete") is False            # cut short (SIGINT / SIGTERM): up to the last tick kept
    n_ticks = int(rf.steps["tick"].max()) + 1 if partial and len(rf.steps) else cfg.n_ticks
    duration = n_ticks * cfg.tick_s
    frames = _frame_times(duration, opt)
    timeline = FaultTimeline.from_frame(rf.faults)
    warnings = [f"partial run: cut short at {duration:g} of {cfg.duration_s:g} s simulated; the page shows what "
                f"was reached"] if partial else []

    # routes (replayed on the bus) -> the satellites they use
    subset, k_routes = _route_subset(rf, opt)
    routes = replay_routes(world, cfg, timeline, rf.messages, subset)
    n_routed = len(routes.replayed)
    if routes.matched < n_routed:
        warnings.append(f"the replayed routes of {n_routed - routes.matched} of {n_routed} messages differ from "
                        "messages.parquet (another satcoop version?): their routes are drawn as replayed")
    centers = [reg.center for reg in world.regions]
    near = _near_mask(c, world.t0_s, frames, centers, opt.horizon_deg)
    used = set(np.flatnonzero(near).tolist())
    for col in ("src", "dst"):
        used.update(rf.messages[col].astype(int).tolist())
    if len(routes.hops):
        used.update(routes.hops["u"].astype(int).tolist())
        used.update(routes.hops["v"].astype(int).tolist())
    for ids in rf.steps["sat_ids"]:
        used.update(int(x) for x in ids)
    for e in rf.events:
        if isinstance(e.get("central"), int):
            used.add(e["central"])
    sat_ids = np.array(sorted(used), np.int64)
    pos_of = np.full(c.n, -1, np.int64)
    pos_of[sat_ids] = np.arange(len(sat_ids))
    frames = _frame_times(duration, opt, len(sat_ids))      # coarser when many satellites are shown

    # positions and link geometry per frame (the episode's own topology provider)
    positions = np.empty((len(frames), len(sat_ids), 3), np.float32)
    edge_sets, ups = [], []
    for i, t in enumerate(frames):
        r, _ = world.states(float(t))
        positions[i] = r[sat_ids] / 1e3
        snap = world.snapshot(float(t))
        both = (pos_of[snap.edges[:, 0]] >= 0) & (pos_of[snap.edges[:, 1]] >= 0)
        edge_sets.append(snap.edges[both])
        ups.append((snap.edges[both], snap.up[both]))
    hop_edges = (np.sort(routes.hops[["u", "v"]].to_numpy(np.int64), axis=1) if len(routes.hops)
                 else np.zeros((0, 2), np.int64))
    all_edges = np.unique(np.concatenate(edge_sets + [hop_edges]).reshape(-1, 2), axis=0)
    key = lambda e: (e[:, 0] << 32) | e[:, 1]
    all_keys = key(all_edges)
    link_up = np.zeros((len(frames), len(all_edges)), bool)
    for i, (e, u) in enumerate(ups):
        link_up[i, np.searchsorted(all_keys, key(e))] = u
    links = pos_of[all_edges]
    fl = rf.faults
    is_link = fl["v"].to_numpy() >= 0
    fk = (np.minimum(fl["u"], fl["v"]).to_numpy(np.int64) << 32) | np.maximum(fl["u"], fl["v"]).to_numpy(np.int64)
    where = np.searchsorted(all_keys, fk)
    hit = is_link & (where < len(all_keys)) & (all_keys[np.minimum(where, len(all_keys) - 1)] == fk)
    link_faults = np.stack([where[hit], fl["t_start_s"].to_numpy(float)[hit], fl["t_end_s"].to_numpy(float)[hit]],
                           1) if hit.any() else np.zeros((0, 3))
    su = fl["u"].to_numpy(np.int64)
    shit = ~is_link & (pos_of[np.clip(su, 0, c.n - 1)] >= 0)
    sat_faults = np.stack([pos_of[su[shit]], fl["t_start_s"].to_numpy(float)[shit],
                           fl["t_end_s"].to_numpy(float)[shit]], 1) if shit.any() else np.zeros((0, 3))

    # messages (every row of the table) and the hops of the routed ones
    m = rf.messages.sort_values("msg_id", kind="stable").reset_index(drop=True)
    types = sorted(m["type"].astype(str).unique().tolist())
    reasons = sorted(m["reason"].astype(str).unique().tolist())
    scheme_index = {s: i for i, s in enumerate(schemes)}
    hops = routes.hops.sort_values(["msg_id", "hop"], kind="stable").reset_index(drop=True)
    hop_start = np.full(len(m), -1, np.int64)
    hop_count = np.zeros(len(m), np.int64)
    if len(hops):
        mids, first, counts = np.unique(hops["msg_id"].to_numpy(np.int64), return_index=True, return_counts=True)
        row = np.searchsorted(m["msg_id"].to_numpy(np.int64), mids)
        hop_start[row], hop_count[row] = first, counts
    messages = {
        "types": types, "schemes": schemes, "reasons": reasons,
        "msg_id": m["msg_id"].to_numpy(), "type": np.searchsorted(types, m["type"].astype(str).to_numpy()),
        "scheme": np.array([scheme_index.get(s, -1) for s in m["scheme"]]), "region": m["region"].to_numpy(),
        "update": m["update"].to_numpy(), "src": pos_of[m["src"].to_numpy(np.int64)],
        "dst": pos_of[m["dst"].to_numpy(np.int64)], "sent_s": m["sent_s"].to_numpy(float),
        "end_s": m["end_s"].to_numpy(float),
        "status": np.array([MSG_STATUS.index(s) for s in m["status"]], np.int64),
        "reason": np.searchsorted(reasons, m["reason"].astype(str).to_numpy()),
        "payload_bits": m["payload_bits"].to_numpy(float), "link_bits": m["link_bits"].to_numpy(float),
        "hops": m["hops"].to_numpy(), "hop_start": hop_start, "hop_count": hop_count}
    hop_cols = {"u": pos_of[hops["u"].to_numpy(np.int64)] if len(hops) else np.zeros(0),
                "v": pos_of[hops["v"].to_numpy(np.int64)] if len(hops) else np.zeros(0),
                "t_depart_s": hops["t_depart_s"].to_numpy(float) if len(hops) else np.zeros(0),
                "t_arrive_s": hops["t_arrive_s"].to_numpy(float) if len(hops) else np.zeros(0),
                "ok": hops["ok"].to_numpy(bool) if len(hops) else np.zeros(0)}

    # regions
    regions = []
    rc = cfg.region
    bearings = np.linspace(0.0, 2 * np.pi, REGION_OUTLINE_POINTS)
    for reg in world.regions:
        d = reg.drops
        lat0, lon0 = reg.center
        olat, olon = destination(lat0, lon0, bearings, rc.radius_km * 1e3)
        ut_lat = np.empty((len(frames), d.ut_lat_deg.shape[1]))
        ut_lon = np.empty_like(ut_lat)
        for i, t in enumerate(frames):
            la, lo, _, _ = move_uts(d.ut_lat_deg[0], d.ut_lon_deg[0], float(t), None, rc.ut_speed_kmh,
                                    heading_rad=d.ut_heading_rad[0])
            ut_lat[i], ut_lon[i] = la, lo
        ser = _region_series(rf, reg.index, schemes, arch, n_ticks, opt)
        regions.append(RegionView(index=reg.index, center_lat_deg=lat0, center_lon_deg=lon0, radius_km=rc.radius_km,
                                  outline_deg=np.stack([olat, olon], 1), ut_lat_deg=ut_lat, ut_lon_deg=ut_lon,
                                  centrals=_centrals(rf.events, reg.index), **ser))

    # events, with the central computations (computes.parquet) as windows
    events = [dict(e) for e in rf.events]
    cp = rf.computes[rf.computes["kind"] == "central"]
    for row in cp.itertuples(index=False):
        events.append({"t_s": float(row.t_start_s), "t_end_s": float(row.t_ready_s), "type": "compute",
                       "region": int(row.region), "sat": int(row.sat), "scheme": str(row.scheme),
                       "update": int(row.update), "detail": f"{row.flops:.3g} flop, ready after "
                                                           f"{(row.t_ready_s - row.t_start_s) * 1e3:.2f} ms"})
    events.sort(key=lambda e: (e["t_s"], e["type"]))

    shells = {int(s.get("shell", k)): s for k, s in enumerate(c.shell_summary())}
    def shell_text(k):
        s = shells.get(int(k))
        if s is None:
            return "unassigned"
        return f"shell {k}: {s.get('inclination_deg', float('nan')):.1f} deg, {s.get('altitude_km', float('nan')):.0f} km"
    sats = {"names": [c.names[i] for i in sat_ids], "norad": c.norad_id[sat_ids], "shell": c.shell[sat_ids],
            "plane": c.plane[sat_ids], "slot": c.slot[sat_ids], "near": near[sat_ids],
            "shell_text": {str(int(k)): shell_text(k) for k in np.unique(c.shell[sat_ids])}}
    epoch = c.epoch
    prov = rf.run.get("constellation", {})
    meta = {
        "run_dir": str(rf.path.resolve().name), "seed": cfg.seed, "duration_s": duration, "tick_s": cfg.tick_s,
        "n_ticks": n_ticks, "S": cfg.S, "K": cfg.K, "power_dbw": cfg.power_dbw, "update_period_s": cfg.update_period_s,
        "faults": cfg.faults.model, "outage_prob": cfg.faults.outage_prob, "runtime": rf.run.get("runtime"),
        "topology": cfg.isl.topology, "on_failure": cfg.isl.on_failure,
        "constellation": {"kind": prov.get("kind"), "satellites": int(c.n), "shells": c.shell_summary()},
        "epoch_utc": epoch.isoformat(), "t0_s": world.t0_s,
        "t0_utc": (epoch + timedelta(seconds=world.t0_s)).isoformat(),
        "architectures": arch, "horizon_deg": opt.horizon_deg,
        "decimation": {"frame_step_s": float(frames[1] - frames[0]), "frames": len(frames),
                       "plot_bin_ticks": regions[0].plot_bin_ticks if regions else 1,
                       "isl_bin_s": regions[0].isl_width_s if regions else cfg.update_period_s,
                       "route_every_kth_update": k_routes, "routed_messages": n_routed,
                       "messages": int(len(m)), "route_replay_matched": routes.matched},
        "summary": _summary_rows(rf.path),
    }
    return ViewData(meta=meta, frames_t_s=frames, sat_ids=sat_ids, sats=sats, positions_km=positions, links=links,
                    link_up=link_up, link_faults=link_faults, sat_faults=sat_faults, regions=regions,
                    messages=messages, hops=hop_cols, events=events, schemes=[{"scheme": s, "architecture": arch.get(s)}
                                                                             for s in schemes],
                    warnings=warnings)


def _summary_rows(path: Path) -> list:
    """summary.json's per-scheme rows if the folder has it (shown as a table; not needed otherwise)."""
    p = path / "summary.json"
    try:
        return json.loads(p.read_text()).get("schemes", []) if p.is_file() else []
    except (OSError, json.JSONDecodeError):
        return []
