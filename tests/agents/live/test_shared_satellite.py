"""One satellite, one agent: two regions 100 km apart share their satellites; each shared satellite is one
agent (one orbit, one budget) whose budget is split equally between its regions and never exceeded."""
from __future__ import annotations

import numpy as np
import pytest

from agents.live.episode import Episode
from agents.live.evaluator import cap_power
from agents.live.runtime import LocalRuntime

from .conftest import tiny

CENTERS = [[11.85, 137.83], [11.85, 138.75]]           # ~100 km apart: the same nearest satellites


@pytest.fixture(scope="module")
def shared():
    cfg = tiny(duration_s=1.2, region={"count": 2, "centers": CENTERS},
               schemes=["Sep-MMSE", "Cen-Opt-WM", "Dec-TFC-WM"])
    rt = LocalRuntime()
    ep = Episode(cfg, rt)
    seen = []
    tick_many, channels_many = ep.evaluator.tick_many, ep.world.channels_many
    group = []

    def spy_channels(regs, tick, csi, ids):               # the regions of the evaluator call that follows
        group[:] = [(int(r), [int(x) for x in row]) for r, row in zip(regs, ids)]
        return channels_many(regs, tick, csi, ids)

    def spy(csi, h, held, t, power_cap_w=None):            # what the evaluator is given, region by region
        for (r, members), hs, cap in zip(group, held, power_cap_w):
            seen.append([t, r, members, [dict(x) for x in hs], list(cap)])
        return tick_many(csi, h, held, t, power_cap_w=power_cap_w)

    ep.evaluator.tick_many, ep.world.channels_many = spy, spy_channels
    ep.run()
    return ep, rt, seen


def test_a_satellite_in_two_regions_is_one_agent(shared):
    ep, rt, _ = shared
    both = set(ep.members[0]) & set(ep.members[1])
    assert both, f"the regions should share satellites: {ep.members}"
    agents = {s: a for h in rt.hosts.values() for s, a in h.agents.items()}
    assert sorted(agents) == sorted(set(ep.members[0]) | set(ep.members[1]))      # one agent per satellite
    for s in both:
        assert sorted(agents[s].roles) == [0, 1]
        a0, a1 = agents[s].roles[0], agents[s].roles[1]
        assert a0.orbit is a1.orbit and a0.satellite is a1.satellite is agents[s]
    assert rt.stats["agents_added"] == len(agents)
    assert sum(h.info()["roles"] for h in rt.hosts.values()) == len(ep.members[0]) + len(ep.members[1])


def test_its_budget_is_split_and_never_exceeded(shared):
    ep, rt, seen = shared
    p_total = ep.power_w
    both = set(ep.members[0]) & set(ep.members[1])
    # what each region's shared satellite holds was computed for half the budget: Sep-MMSE spends it all
    for s in both:
        for r in (0, 1):
            x = ep.held[(r, s)]["Sep-MMSE"]
            assert np.sum(np.abs(x.p) ** 2) == pytest.approx(p_total / 2, rel=1e-6)
    # at every evaluated tick, what every satellite radiates summed over its regions is within its budget
    by_t: dict = {}
    for t, r, members, held, cap in seen:
        by_t.setdefault(t, []).append((members, held, cap))
    assert len(by_t) == ep.n_ticks and all(len(v) == 2 for v in by_t.values())
    checked = 0
    for t, regions in by_t.items():
        radiated: dict = {}
        for members, held, cap in regions:
            for j, s in enumerate(members):
                for name, x in held[j].items():
                    p = cap_power(np.asarray(x.p)[None, None], [cap[j]])[0, 0]
                    radiated[(s, name)] = radiated.get((s, name), 0.0) + float(np.sum(np.abs(p) ** 2))
        if radiated:
            assert max(radiated.values()) <= p_total * (1 + 1e-6)
            checked += 1
    assert checked >= ep.n_ticks - 1
    # and the shared satellites do use their whole budget across the two regions (Sep-MMSE, last tick)
    assert all(radiated[(s, "Sep-MMSE")] == pytest.approx(p_total, rel=1e-6) for s in both)


def test_cap_power_scales_only_what_exceeds_the_share():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(2, 3, 4, 5)) + 1j * rng.normal(size=(2, 3, 4, 5))
    pw = np.sum(np.abs(p) ** 2, axis=(-2, -1))
    cap = np.array([pw[:, 0].max() * 2, pw[:, 1].min() / 2, 0.0])
    q = cap_power(p, cap)
    qw = np.sum(np.abs(q) ** 2, axis=(-2, -1))
    np.testing.assert_allclose(q[:, 0], p[:, 0])                       # within the share: unchanged
    np.testing.assert_allclose(qw[:, 1], cap[1])                        # above it: scaled to it exactly
    np.testing.assert_allclose(q[:, 1] / p[:, 1], np.sqrt(cap[1] / pw[:, 1])[:, None, None] * np.ones((1, 4, 5)))
    assert np.all(qw[:, 2] == 0)
    # within the solvers' tolerance of the share: left as computed
    np.testing.assert_array_equal(cap_power(p, pw[0] * (1 - 1e-8))[0], p[0])
