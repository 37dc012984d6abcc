"""Many regions: placement with a minimum spacing, and an episode of 150 regions whose between-tick event
times (more than the old cap of 256 per tick) are all handled at their own time."""
from __future__ import annotations

import numpy as np
import pytest

from agents.experiments.run import run_episode
from agents.live.world import EpisodeWorld
from constellation.checks import BadInput
from constellation.ground import great_circle_km

from .conftest import tiny


def test_regions_are_seeded_drops_kept_at_a_minimum_spacing():
    plain = EpisodeWorld(tiny(K=2, region={"count": 30}))
    spaced = EpisodeWorld(tiny(K=2, region={"count": 30, "min_spacing_km": 2000.0}))
    lat = np.array([r.center[0] for r in spaced.regions])
    lon = np.array([r.center[1] for r in spaced.regions])
    d = great_circle_km(lat[:, None], lon[:, None], lat[None], lon[None])
    assert d[np.triu_indices(30, 1)].min() >= 2000.0
    # spacing 0 keeps every drop: region i is drop i of the seed; the spaced regions are a subsequence of them
    drops = plain.world.draw_drops(200, 0, t_s=plain.t0_s)
    plain_c = [r.center for r in plain.regions]
    assert plain_c[1:] == [(float(a), float(b)) for a, b in zip(drops.center_lat_deg[1:30], drops.center_lon_deg[1:30])]
    all_c = [(float(a), float(b)) for a, b in zip(drops.center_lat_deg, drops.center_lon_deg)]
    idx = [all_c.index(r.center) for r in spaced.regions[1:]]
    assert idx == sorted(idx) and idx[-1] > 29                      # some drops were skipped, order kept
    plain_d = great_circle_km(*np.array(plain_c).T[:, :, None], *np.array(plain_c).T[:, None, :])
    assert plain_d[np.triu_indices(30, 1)].min() < 2000.0          # without the rule regions come closer
    with pytest.raises(BadInput, match="region.min_spacing_km"):
        EpisodeWorld(tiny(K=2, region={"count": 200, "min_spacing_km": 5000.0}))


@pytest.fixture(scope="module")
def many():
    cfg = tiny(duration_s=0.3, K=2, region={"count": 150, "min_spacing_km": 300.0},
               scheme_options={"Cen-Opt-WM": {"max_iter": 5}})
    return run_episode(cfg, progress=False)


def test_150_regions_every_event_at_its_own_time(many):
    m, c = many.messages, many.computes
    # more event times between two ticks than the old cap (256) allowed: nothing deferred to the next tick
    assert many.info["subrounds_max"] > 256
    assert not [e for e in many.events if e["type"] == "subround_limit"]
    cen = c[(c["kind"] == "central") & (c["update"] == 0)].set_index("region")
    rep = m[(m["type"] == "SCSIReport") & (m["update"] == 0) & (m["status"] == "delivered")]
    last = rep.groupby("region")["delivered_s"].max()
    assert len(cen) == 150 and len(last) == 150
    # every central computes at the arrival of its last report, between ticks
    np.testing.assert_allclose(cen["t_start_s"].loc[last.index], last.to_numpy(), rtol=0, atol=1e-9)
    # every bundle leaves when its computation is ready, and each region has its own central
    bun = m[(m["type"] == "PrecoderBundle") & (m["update"] == 0)]
    ready = cen["t_ready_s"].loc[bun["region"]].to_numpy()
    np.testing.assert_allclose(bun["sent_s"].to_numpy(), ready, rtol=0, atol=1e-9)
    assert (bun.groupby("region")["src"].nunique() == 1).all()
