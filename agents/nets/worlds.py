"""The training distribution of the v3 nets: the worlds users bring (``satcoop train --worlds mixed``).

A *world* is a constellation the drops are drawn in, with the live simulation's rules
(:meth:`constellation.scenario.World.draw_drops`: region centre, time, UTs, the S cooperating
satellites by the world's selector (below), the statistical CSI):

Members are chosen with ``selection`` (``satcoop train --selection``, default "connected": mutually
reachable over the ISLs, :func:`network.selector.selector_for`, the rule of every satcoop command;
the first v3 run used "nearest").

* ``walker``: :data:`WALKER_WORLDS` Walker-delta shells, world w with altitude U(340, 1200) km and
  inclination U(43, 98) deg drawn from a generator keyed by (data seed, w). Its size follows the
  altitude so that a region sees as many satellites as in the Walker default (1,680 at 600 km):
  T = 1680 * cap(600 km) / cap(h), cap(h) the fraction of the sphere within which a satellite is
  above the 10 deg mask for every UT of an 800 km region; P = round(sqrt(T * 28 / 60)) planes,
  phasing 1. (T is about 9,600 at 340 km and 450 at 1,200 km.)
* ``catalog``: :data:`CATALOG_WORLDS` real-size multi-shell catalogues shaped like the public
  Starlink element sets (:func:`constellation.synthetic.starlink_like_catalog`, generator keyed
  by (data seed, c)), imported as a user's element-set file is (:func:`constellation.catalog.load_catalog`:
  dedup, screening, shell inference), without the satellites in transit (lowering, parked, launch
  batches: ``Constellation.transit``), which the live selection does not use as members.

Each world contributes drops at every shape of :data:`SHAPES` (S in {2, 3, 4} x K in {6, 12, 18, 24,
30}): a *cell* (world, S, K) is its own identity-keyed sequence, ``draw_drops(n, SeedSequence([data
seed, world, S, K]))``, so drop j of a cell is a function of (data seed, world, S, K, j) alone. Of
each cell's :data:`PER_CELL` drops, [0, 34) train, [34, 37) validate, [37, 40) are a test split in
the same distribution (the bench's held-out worlds use other seeds). Drops of one shape from every
world form one :class:`~agents.nets.dataset.DropSet`; a training step takes its batch from one
shape, mixing the worlds (:func:`agents.experiments.train._epoch_batches`).

Cached on disk next to the Walker drops (``drops/mixed_v1_seed<s>_w<W>_n<n>_S<S>_K<K>[_<selection>].npz``).
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .dataset import DropSet, cache_dir

__all__ = ["WorldSpec", "SHAPES", "WALKER_WORLDS", "CATALOG_WORLDS", "PER_CELL", "MIXED_SPLITS", "world_specs",
           "build_world", "mixed_drops", "walker_size", "mixed_record"]

SHAPES = tuple((s, k) for s in (2, 3, 4) for k in (6, 12, 18, 24, 30))
WALKER_WORLDS = 36
CATALOG_WORLDS = 4
PER_CELL = 40
MIXED_SPLITS = {"train": (0, 34), "val": (34, 37), "test": (37, 40)}
ALTITUDE_KM = (340.0, 1200.0)
INCLINATION_DEG = (43.0, 98.0)
FORMAT = 1
_EARTH_KM = 6371.0
_REGION_KM = 800.0
_MASK_DEG = 10.0


@dataclass(frozen=True)
class WorldSpec:
    """One training world: ``kind`` "walker" (``total``/``planes`` at ``altitude_km``, ``inclination_deg``)
    or "catalog" (a Starlink-shaped catalogue drawn with ``catalog_seed``)."""

    index: int
    kind: str
    altitude_km: float = math.nan
    inclination_deg: float = math.nan
    total: int = 0
    planes: int = 0
    catalog_seed: int = -1


def _cap_fraction(altitude_km: float) -> float:
    """Fraction of the sphere of radius R + h within which a satellite is above the mask for every UT
    of a region of radius 800 km (Earth central angle psi(h) at the mask minus the region's)."""
    e = math.radians(_MASK_DEG)
    psi = math.acos(_EARTH_KM * math.cos(e) / (_EARTH_KM + altitude_km)) - e
    eff = max(psi - _REGION_KM / _EARTH_KM, 1e-3)
    return (1.0 - math.cos(eff)) / 2.0


def walker_size(altitude_km: float) -> tuple[int, int]:
    """(T, P) of a shell at ``altitude_km`` with the Walker default's density of usable satellites."""
    t = 1680.0 * _cap_fraction(600.0) / _cap_fraction(altitude_km)
    planes = max(4, round(math.sqrt(t * 28.0 / 60.0)))
    return planes * max(4, math.ceil(t / planes)), planes


def world_specs(seed: int, walkers: int = WALKER_WORLDS, catalogs: int = CATALOG_WORLDS) -> list[WorldSpec]:
    """The worlds of data seed ``seed`` (module docstring); world w's draws keyed by (seed, w)."""
    out = []
    for w in range(walkers):
        rng = np.random.default_rng([seed, 0x57A1, w])
        alt = float(rng.uniform(*ALTITUDE_KM))
        inc = float(rng.uniform(*INCLINATION_DEG))
        total, planes = walker_size(alt)
        out.append(WorldSpec(w, "walker", alt, inc, total, planes))
    for c in range(catalogs):
        cseed = int(np.random.SeedSequence([seed, 0xCA7A, c]).generate_state(1)[0])
        out.append(WorldSpec(walkers + c, "catalog", catalog_seed=cseed))
    return out


def build_world(spec: WorldSpec, s: int, k: int, selection: str = "connected"):
    """The :class:`constellation.scenario.World` of ``spec`` at (S, K), members chosen by ``selection``
    with the rule of every satcoop command (:func:`network.selector.selector_for`, as
    :func:`agents.nets.dataset.drop_world`; "nearest": the S nearest, ``rank_cooperating``)."""
    from constellation.scenario import World, WorldConfig
    from constellation.walker import WalkerDelta

    if spec.kind == "walker":
        walker = WalkerDelta(total=spec.total, planes=spec.planes, phasing=1, altitude_km=spec.altitude_km,
                             inclination_deg=spec.inclination_deg)
        world = World(WorldConfig(S=s, K=k, walker=walker))
    else:
        world = World(WorldConfig(S=s, K=k), constellation=_catalog_constellation(spec.catalog_seed))
    if selection != "nearest":
        from network.cooperation import SelectionRule
        from network.selector import selector_for
        world.selector = selector_for(world.constellation, SelectionRule(mode=selection), s,
                                      world.config.min_elevation_deg)
    return world


_CATALOGS: dict = {}


def _catalog_constellation(catalog_seed: int):
    """The non-transit satellites of a Starlink-shaped catalogue, imported like a user's file."""
    if catalog_seed not in _CATALOGS:
        from constellation.catalog import load_catalog
        from constellation.synthetic import starlink_like_catalog

        syn = starlink_like_catalog(np.random.default_rng(catalog_seed))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "catalog.tle"
            path.write_text(syn.to_tle())
            con, _ = load_catalog([path])
        _CATALOGS.clear()                        # one at a time: a real-size catalogue is ~7,000 Satrecs
        _CATALOGS[catalog_seed] = con.subset(np.flatnonzero(~con.transit))
    return _CATALOGS[catalog_seed]


def _cell_seed(seed: int, world: int, s: int, k: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, world, s, k])


def _generate(seed: int, s: int, k: int, specs, per_cell: int, progress: bool, selection: str) -> dict:
    from tqdm import tqdm

    parts = []
    for spec in tqdm(specs, desc=f"mixed worlds S={s} K={k}", unit="world", file=sys.stderr, disable=not progress):
        csi = build_world(spec, s, k, selection).draw_drops(per_cell, _cell_seed(seed, spec.index, s, k)).csi
        parts.append({"g": csi.g.astype(np.complex64), "d0": csi.d0.astype(np.complex64), "beta": csi.beta,
                      "kappa": csi.kappa, "sigma": csi.sigma.astype(np.complex64), "noise_w": csi.noise_w,
                      "world": np.full(per_cell, spec.index), "cell_drop": np.arange(per_cell)})
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _load_shape(seed: int, s: int, k: int, specs, per_cell: int, progress: bool, directory, selection: str) -> dict:
    d = (cache_dir() if directory is None else Path(directory)) / "drops"
    tag = "" if selection == "nearest" else f"_{selection}"
    path = d / f"mixed_v{FORMAT}_seed{seed}_w{len(specs)}_n{per_cell}_S{s}_K{k}{tag}.npz"
    if path.exists():
        with np.load(path) as z:
            return {key: z[key] for key in z.files}
    arrays = _generate(seed, s, k, specs, per_cell, progress, selection)
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return arrays


def mixed_drops(seed: int, split: str, *, shapes=SHAPES, walkers: int = WALKER_WORLDS, catalogs: int = CATALOG_WORLDS,
                per_cell: int = PER_CELL, progress: bool = True, directory=None,
                selection: str = "connected") -> list[DropSet]:
    """One DropSet per shape of ``shapes`` holding split ``split`` ("train", "val", "test") of every
    world of ``seed``, members by ``selection`` (:func:`build_world`; generated and cached on first use;
    the rows of a DropSet are world-major, ``first`` is nominal)."""
    if split not in MIXED_SPLITS:
        raise ValueError(f"split must be one of {sorted(MIXED_SPLITS)}, got {split!r}")
    lo, hi = (round(x * per_cell / PER_CELL) for x in MIXED_SPLITS[split])
    specs = world_specs(seed, walkers, catalogs)
    out = []
    for s, k in shapes:
        a = _load_shape(seed, s, k, specs, per_cell, progress, directory, selection)
        rows = np.flatnonzero((a["cell_drop"] >= lo) & (a["cell_drop"] < hi))
        out.append(DropSet(a["g"][rows], a["d0"][rows], a["beta"][rows], a["kappa"][rows], a["sigma"][rows],
                           a["noise_w"][rows], seed, 0))
    return out


def mixed_record(seed: int, walkers: int = WALKER_WORLDS, catalogs: int = CATALOG_WORLDS,
                 per_cell: int = PER_CELL, selection: str = "connected") -> dict:
    """What the weights were trained on (written with them)."""
    return {"kind": "mixed", "seed": seed, "selection": selection, "shapes": [list(x) for x in SHAPES],
            "per_cell": per_cell,
            "splits": {k: list(v) for k, v in MIXED_SPLITS.items()},
            "altitude_km": list(ALTITUDE_KM), "inclination_deg": list(INCLINATION_DEG),
            "worlds": [asdict(w) for w in world_specs(seed, walkers, catalogs)],
            "source": "agents.nets.worlds.mixed_drops: World.draw_drops(n, SeedSequence([seed, world, S, K]))"}
