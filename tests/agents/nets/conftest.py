"""Fixtures of the learned-precoder tests: world drops at any (S, K), small random nets."""
from __future__ import annotations

import pytest
import torch

from agents.precoding.problem import PrecodingProblem
from constellation.scenario import World, WorldConfig


@pytest.fixture(scope="module")
def world_problem():
    cache = {}

    def make(s: int, k: int, batch: int = 2, power_dbw=0.0, seed: int = 11) -> PrecodingProblem:
        key = (s, k, batch, seed)
        if key not in cache:
            cache[key] = World(WorldConfig(S=s, K=k)).draw_drops(batch, seed).csi
        return PrecodingProblem.from_csi(cache[key], power_dbw=power_dbw)
    return make


@pytest.fixture
def small_config():
    from agents.nets.cen_tfc import NetConfig

    def make(arch: str) -> NetConfig:
        return NetConfig(arch=arch, d_hidden=16, features=16, layers=2, heads=2)
    return make


def random_net(config, seed: int = 0):
    """A net with random weights, outputs scaled up so the CFR variables move far from their prior."""
    from agents.nets.weights import build_net
    torch.manual_seed(seed)
    net = build_net(config)
    with torch.no_grad():
        net.fda.l2.weight.mul_(10.0)
        net.fda.l2.bias.normal_(0.0, 0.3)
        if hasattr(net, "nu"):
            net.nu.weight.mul_(10.0)
    return net.eval()
