"""The training set of the TFC networks (multi-satellite paper, Section V-C).

10,000 drops of the world model (:class:`constellation.scenario.World`): each a random
region centre in coverage, K UTs uniform over the 800 km disc, the S satellites every UT sees
above the mask chosen by the selection rule of every satcoop command (default "connected":
mutually reachable over the ISLs within 50 ms; :func:`drop_world`). Drop i is drop i of the data seed
(``World.draw_drops(batch, seed, first=i)``: a pure function of (seed, i), whatever the
chunking). Splits by index: train [0, 7000), validation [7000, 9000), test [9000, 10000).
The per-satellite budget is not part of a drop: training draws it per sample from
{-10, -5, 0, 5, 10} dBW; validation uses power index i mod 5 for drop i.

Cached on disk (``$SATCOOP_CACHE`` or ``~/.cache/satcoop``, then ``drops/``) as one ``.npz``
per (S, K, seed, count) with the sCSI the nets need (complex64 steering vectors and Sigma,
float64 beta, kappa, noise); generated in chunks with a progress bar, written atomically,
reused when present.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from agents.precoding.problem import PrecodingProblem

__all__ = ["DATA_SEED", "POWERS_DBW", "SPLITS", "cache_dir", "DropSet", "drop_world", "load_drops"]

from agents.nets import DATA_SEED  # noqa: E402  (one home: the data seed of the shipped weights)
POWERS_DBW = (-10.0, -5.0, 0.0, 5.0, 10.0)
SPLITS = {"train": (0, 7000), "val": (7000, 9000), "test": (9000, 10000)}
FORMAT = 1                                      # bump when the stored fields change


def cache_dir() -> Path:
    return Path(os.environ.get("SATCOOP_CACHE", Path.home() / ".cache" / "satcoop"))


@dataclass
class DropSet:
    """Stored sCSI of drops ``first .. first+n-1`` of ``seed`` (arrays [n, S, K, ...])."""

    g: np.ndarray
    d0: np.ndarray
    beta: np.ndarray
    kappa: np.ndarray
    sigma: np.ndarray
    noise_w: np.ndarray
    seed: int
    first: int = 0

    def __len__(self) -> int:
        return self.beta.shape[0]

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        n, s, k = self.beta.shape
        return n, s, k, self.g.shape[-1], self.d0.shape[-1]

    def split(self, name: str) -> "DropSet":
        """The rows of split ``name`` ("train", "val", "test"), by drop index."""
        if name not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {name!r}")
        lo, hi = SPLITS[name]
        lo, hi = max(lo - self.first, 0), min(hi - self.first, len(self))
        return DropSet(self.g[lo:hi], self.d0[lo:hi], self.beta[lo:hi], self.kappa[lo:hi], self.sigma[lo:hi],
                       self.noise_w[lo:hi], self.seed, self.first + lo)

    def problem(self, idx, power_dbw, dtype: torch.dtype = torch.complex128) -> PrecodingProblem:
        """PrecodingProblem of rows ``idx`` (array of row indices) with budgets ``power_dbw`` (scalar or [len(idx)])."""
        idx = np.asarray(idx)
        pdb = np.broadcast_to(np.asarray(power_dbw, dtype=float), idx.shape)
        s = self.beta.shape[1]
        rdt = torch.empty((), dtype=dtype).real.dtype
        t = lambda a, dt: torch.from_numpy(np.ascontiguousarray(a[idx])).to(dt)
        pw = torch.from_numpy(10.0 ** (pdb / 10.0)).to(rdt)[:, None].expand(len(idx), s).clone()
        return PrecodingProblem(g=t(self.g, dtype), d0=t(self.d0, dtype), beta=t(self.beta, rdt), kappa=t(self.kappa, rdt),
                                sigma=t(self.sigma, dtype), noise_w=t(self.noise_w, rdt), power_w=pw,
                                weights=torch.ones((len(idx), s, self.beta.shape[2]), dtype=rdt))


def drop_world(s: int, k: int, selection: str = "connected"):
    """The world of the training drops: the Walker default, members chosen by ``selection`` with the default
    latency bound over the default +Grid (:class:`network.selector.RegionSelector`, the rule of ``satcoop
    run`` / ``world`` / ``compare``). "nearest" is the rule the shipped weights were trained with (the S
    nearest; on the Walker default, which has no transit satellites, exactly ``rank_cooperating``)."""
    from constellation.scenario import World, WorldConfig
    from network.cooperation import SelectionRule
    from network.selector import selector_for

    world = World(WorldConfig(S=s, K=k))
    if selection != "nearest":
        world.selector = selector_for(world.constellation, SelectionRule(mode=selection), s,
                                      world.config.min_elevation_deg)
    return world


def _generate(s: int, k: int, seed: int, count: int, chunk: int = 250, progress: bool = True,
              selection: str = "connected") -> dict:
    from tqdm import tqdm

    world = drop_world(s, k, selection)
    parts = []
    with tqdm(total=count, desc=f"drops S={s} K={k} seed={seed}", unit="drop", file=sys.stderr,
              disable=not progress) as bar:
        for first in range(0, count, chunk):
            n = min(chunk, count - first)
            csi = world.draw_drops(n, seed, first=first).csi
            parts.append({"g": csi.g.astype(np.complex64), "d0": csi.d0.astype(np.complex64), "beta": csi.beta,
                          "kappa": csi.kappa, "sigma": csi.sigma.astype(np.complex64), "noise_w": csi.noise_w})
            bar.update(n)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def load_drops(s: int = 3, k: int = 12, seed: int = DATA_SEED, count: int = 10_000, progress: bool = True,
               directory: Path | None = None, selection: str = "connected") -> DropSet:
    """Drops 0..count-1 of ``seed`` at (S, K), members by ``selection`` (:func:`drop_world`): from the cache,
    generated (and cached) if absent."""
    for name, v, lo in (("S", s, 1), ("K", k, 1), ("count", count, 1), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"load_drops: {name} must be an integer >= {lo}, got {v!r}")
    d = (cache_dir() if directory is None else Path(directory)) / "drops"
    tag = "" if selection == "nearest" else f"_{selection}"          # nearest: the files cached before selections
    path = d / f"drops_v{FORMAT}_S{s}_K{k}_seed{seed}_n{count}{tag}.npz"
    if path.exists():
        with np.load(path) as z:
            arrays = {key: z[key] for key in z.files}
    else:
        arrays = _generate(s, k, seed, count, progress=progress, selection=selection)
        d.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    return DropSet(seed=seed, first=0, **arrays)
