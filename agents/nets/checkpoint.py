"""The training checkpoint (``checkpoint.pt``), read without running any code from it.

A checkpoint is a dict of tensors and plain containers only (str, int, float, bool, None, list,
tuple, dict): the net's and the optimizer's state dicts, the scheduler's state dict (numbers and
lists), the history (a list of dicts of numbers), the configs (``asdict(TrainConfig)``,
``NetConfig.to_dict()``), the invocations and the parent record. It is therefore loaded with
``torch.load(..., weights_only=True)``, torch's restricted unpickler, which refuses any other
global (a class, a function: what a crafted pickle uses to run code) before creating it.

:func:`load_checkpoint` turns every way a file can fail to be a checkpoint (refused by the
restricted unpickler, truncated, not a torch file, not a dict, keys missing) into one
:class:`~constellation.checks.BadInput` line naming the file (the command line: exit 2).
"""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import torch

from constellation.checks import BadInput

__all__ = ["CHECKPOINT_KEYS", "load_checkpoint", "load_plain"]

# what train.py's resume reads (``parent`` and ``invocations`` are optional: older checkpoints)
CHECKPOINT_KEYS = ("net", "optimizer", "scheduler", "history", "best", "epoch", "train_seconds",
                   "train_config", "net_config")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _refusal(exc: BaseException) -> str:
    """What torch's restricted unpickler refused, e.g. ``Unsupported global: GLOBAL exec`` (its
    message also suggests loading with weights_only=False: not repeated here)."""
    text = str(exc)
    at = text.find("WeightsUnpickler error:")
    if at >= 0:
        for line in text[at + len("WeightsUnpickler error:"):].splitlines():
            if line.strip():
                return line.strip().split(" was not an allowed global")[0][:160]
    return "not a tensor or plain container"


def load_plain(path, option: str, what: str = "satcoop checkpoint"):
    """``torch.load(path, weights_only=True)``: tensors and plain containers only, nothing executed.
    BadInput (one line naming ``option`` and the file) when the restricted unpickler refuses it (a pickle
    of other objects), or it is empty, truncated, text, not a torch file or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{option}: {path} is not a file")
    try:
        with warnings.catch_warnings():                          # e.g. "Detected pickle protocol 4"
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise BadInput(f"{option}: {path} refused: it holds Python objects other than tensors and plain "
                       f"containers, which could run code when loaded ({_refusal(exc)}); not a {what}") from None
    except Exception as exc:                                     # noqa: BLE001 - truncated, text, not a torch file
        text = _first_line(exc)[:160]
        why = type(exc).__name__ + (f": {text}" if text != type(exc).__name__ else "")
        raise BadInput(f"{option}: {path} is not a readable {what} ({why}; empty, truncated or not a torch "
                       f"file)") from None


def load_checkpoint(path, option: str = "--resume") -> dict:
    """The checkpoint dict at ``path`` (tensors and plain containers; nothing in it is executed).

    BadInput (one line naming ``option`` and the file) if the file is refused by torch's
    restricted unpickler, unreadable, or not a satcoop training checkpoint."""
    path = Path(path)
    blob = load_plain(path, option)
    if not isinstance(blob, dict):
        raise BadInput(f"{option}: {path} is not a satcoop checkpoint (it holds a {type(blob).__name__}, "
                       f"expected a dict with {list(CHECKPOINT_KEYS)})")
    missing = [k for k in CHECKPOINT_KEYS if k not in blob]
    if missing:
        raise BadInput(f"{option}: {path} is not a satcoop checkpoint (missing {missing})")
    if not isinstance(blob["train_config"], dict) or not isinstance(blob["net_config"], dict) \
            or not isinstance(blob["history"], list):
        raise BadInput(f"{option}: {path} is not a satcoop checkpoint (train_config / net_config / history "
                       f"of the wrong type)")
    return blob
