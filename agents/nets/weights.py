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


def load_weights(path):
    """The net stored by :func:`save_weights`, in eval mode."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    net = build_net(NetConfig.from_dict(blob["config"]))
    net.load_state_dict(blob["state_dict"])
    net.eval()
    return net
