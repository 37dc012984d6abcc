"""The config of a training run of the learned precoders (``satcoop train``): :class:`TrainConfig`.

``drops``: total drops of the data seed (the splits scale with it: 70 / 20 / 10 %); ``seed``:
initialisation, shuffling, budgets and Monte Carlo of training (the data has its own
``data_seed``); ``extra_train_drops`` E: training also on drops [drops, drops + E) of the data seed;
``schedule``: "plateau" (halve on a stalled validation rate) or "cosine" (``lr`` -> ``lr_min`` per step
after ``warmup_steps``); ``loss``: "wsr" (60) or "log"; ``init``: weights of an earlier run to start from;
``inputs``: the nets' input version (``NetConfig.inputs``, "v3" scale-invariant); ``worlds``: the
training distribution, "walker" (the Walker default at S, K: the shipped weights) or "mixed"
(:mod:`agents.nets.worlds`: Walker shells 340-1,200 km, 43-98 deg, multi-shell catalogues, S in
{2, 3, 4}, K 6..30; ``S`` and ``K`` are then ignored).
The upper bounds keep a run within this machine class (the drops are cached in memory: ~10 kB each
at S = 3, K = 12). See :mod:`agents.experiments.train` for what the run does.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.nets import DATA_SEED   # the data seed of the shipped weights (one home: agents.nets, a light import)

__all__ = ["TrainConfig", "DATA_SEED", "TRAIN_OPTIONS"]

# TrainConfig field -> the `satcoop train` option a user types
TRAIN_OPTIONS = {"d_hidden": "--hidden", "arch": "--arch", "max_minutes": "--max-minutes", "data_seed": "--data-seed",
                 "lr_min": "--lr-min", "warmup_steps": "--warmup-steps", "extra_train_drops": "--extra-train-drops",
                 "val_samples": "--val-samples"}


class TrainConfig(BaseModel):
    """Training options (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=False)

    arch: Literal["cen", "dec"] = "cen"
    S: int = Field(3, ge=1, le=16)
    K: int = Field(12, ge=1, le=256)
    epochs: int = Field(30, ge=1, le=100_000)
    batch: int = Field(32, ge=1, le=4096)
    lr: float = Field(1e-3, gt=0.0, le=10.0)
    samples: int = Field(32, ge=2, le=4096)
    val_samples: int = Field(64, ge=2, le=4096)
    data_seed: int = Field(DATA_SEED, ge=0, le=2**63 - 1)
    drops: int = Field(10_000, ge=10, le=200_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    max_minutes: float | None = Field(None, gt=0.0, le=60 * 24 * 365)
    d_hidden: int = Field(64, ge=1, le=4096)
    layers: int = Field(3, ge=1, le=64)
    features: int = Field(64, ge=1, le=4096)
    threads: int = Field(1, ge=1, le=256)
    net: dict[str, Any] = Field(default_factory=dict)
    schedule: Literal["plateau", "cosine"] = "plateau"
    lr_min: float = Field(1e-5, ge=0.0)
    warmup_steps: int = Field(0, ge=0, le=10_000_000)
    extra_train_drops: int = Field(0, ge=0, le=200_000)
    loss: Literal["wsr", "log"] = "wsr"
    init: str | None = None
    selection: Literal["connected", "nearest", "shell"] = "connected"   # members of the drops (agents.nets.dataset)
    inputs: Literal["v2", "v3"] = "v2"
    worlds: Literal["walker", "mixed"] = "walker"

    @field_validator("S", "K", "epochs", "batch", "samples", "val_samples", "data_seed", "drops", "seed", "d_hidden",
                     "layers", "features", "threads", "warmup_steps", "extra_train_drops", mode="before")
    @classmethod
    def _integer(cls, v):
        if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
            raise ValueError("must be an integer")
        return v

    @field_validator("init")
    @classmethod
    def _init_exists(cls, v):
        if v is not None and not Path(v).is_file():
            raise ValueError("no weights file there (give the best.pt of an earlier `satcoop train` run)")
        if v is not None:                      # a readable net (refused pickles, NaN weights...: one line)
            from agents.nets.schemes import check_weights
            try:
                check_weights(v, "init")
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("init: ")) from None
        return v

    @field_validator("lr_min")
    @classmethod
    def _lr_min(cls, v, info):
        lr = info.data.get("lr")
        if info.data.get("schedule") == "cosine" and lr is not None and not v <= lr:
            raise ValueError(f"must be in [0, lr = {lr:g}] with the cosine schedule")
        return v

    @field_validator("warmup_steps")
    @classmethod
    def _warmup(cls, v, info):
        if info.data.get("schedule") == "plateau" and v:
            raise ValueError('warm-up applies to schedule = "cosine" only')
        return v
