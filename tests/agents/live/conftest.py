"""Shared tiny-episode configs for the live-simulation tests (few ticks, cheap schemes)."""
from __future__ import annotations

import pytest

from agents.config.run import RunConfig


def tiny(**over) -> RunConfig:
    """A short local episode: 3 satellites, 6 UTs, 1.5 s at 0.1 s ticks, no random faults."""
    base = {"runtime": "local", "duration_s": 1.5, "tick_s": 0.1, "K": 6, "faults": {"model": "none"},
            "schemes": ["Sep-MMSE", "Cen-Opt-WM"], "scheme_options": {"Cen-Opt-WM": {"max_iter": 30}}}
    for k, v in over.items():
        cur = base
        keys = k.split("__")
        for kk in keys[:-1]:
            cur = cur.setdefault(kk, {})
        cur[keys[-1]] = v
    return RunConfig.from_dict(base)


@pytest.fixture
def tiny_config():
    return tiny
