"""The learned nets' weight files: build a net from its config, save and load it (``weights_only``).

A file holds ``{"config": NetConfig.to_dict(), "state_dict": float32 tensors, "meta": {...}}`` and loads
with ``torch.load(..., weights_only=True)``: no code runs from a weights file.
"""
from __future__ import annotations

import torch

from .cen_tfc import CenTFC, NetConfig
from .dec_tfc import DecTFC

__all__ = ["build_net", "save_weights", "load_weights"]


def build_net(config: NetConfig):
    return CenTFC(config) if config.arch == "cen" else DecTFC(config)


def save_weights(net, path, meta: dict | None = None) -> None:
    """Weights (float32 state dict) + net config (+ metadata) in one torch file."""
    from agents.files import write_with           # exclusive temp name + rename: never through a symlink
    blob = {"config": net.config.to_dict(),
            "state_dict": {k: v.detach().float().clone() for k, v in net.state_dict().items()}, "meta": meta or {}}
    write_with(path, lambda f: torch.save(blob, f))


def load_weights(path, option: str = "weights"):
    """The net stored by :func:`save_weights`, in eval mode. Every way a file can fail to be one (refused
    pickle, empty, truncated, text, a bare tensor or list, no ``config`` / ``state_dict``, an unknown or
    invalid net config field, missing or misshapen tensors, NaN / inf weights) is one
    :class:`~constellation.checks.BadInput` line naming ``option`` and the file."""
    from dataclasses import fields

    from constellation.checks import BadInput
    from .checkpoint import _first_line, load_plain

    blob = load_plain(path, option, "satcoop weights file")
    bad = lambda why: BadInput(f"{option}: {path} is not a satcoop weights file ({why})")  # noqa: E731
    if not isinstance(blob, dict) or not isinstance(blob.get("config"), dict) \
            or not isinstance(blob.get("state_dict"), dict):
        held = type(blob).__name__ if not isinstance(blob, dict) else f"a dict with keys {sorted(map(str, blob))[:6]}"
        raise bad(f"it holds {held}; expected a dict with 'config' and 'state_dict', as satcoop train writes")
    known = {f.name for f in fields(NetConfig)}
    unknown = sorted(str(k) for k in blob["config"] if k not in known)
    if unknown:
        raise bad(f"unknown net config field {unknown[0]!r}; allowed: {sorted(known)}")
    try:
        net = build_net(NetConfig.from_dict(blob["config"]))
    except (TypeError, ValueError) as exc:
        raise bad(f"net config: {_first_line(exc).replace('NetConfig.', '').replace('NetConfig: ', '')}") from None
    state = blob["state_dict"]
    for k, v in state.items():
        if not isinstance(v, torch.Tensor):
            raise bad(f"state_dict[{k!r}] is a {type(v).__name__}, not a tensor")
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise BadInput(f"{option}: {path} holds non-finite weights (NaN or inf in {k!r})")
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:                               # missing / unexpected keys, wrong shapes
        text = " ".join(str(exc).split())
        raise bad(f"its tensors do not fit its net config: {text[:200]}") from None
    net.eval()
    return net
