"""Between ticks the driver acts at event times: a central computes when the last report ARRIVES (not at
the next tick), its bundles leave when the computation is READY, and members hold them from their
arrival, so a centralized precoder's age reflects ISL latency plus on-board compute, not tick_s."""
from __future__ import annotations

import numpy as np
import pytest

from agents.experiments.run import run_episode

from .conftest import tiny


@pytest.fixture(scope="module")
def run():
    return run_episode(tiny(duration_s=1.2, schemes=["Sep-MMSE", "Cen-Opt-WM"]), progress=False)


def test_central_acts_at_arrival_and_ready_times(run):
    m, c = run.messages, run.computes
    rep = m[(m["type"] == "SCSIReport") & (m["update"] == 0)]
    cen = c[(c["lane"] == "Cen-Opt-WM") & (c["kind"] == "central") & (c["update"] == 0)]
    assert len(rep) == 2 and len(cen) == 1 and (rep["status"] == "delivered").all()
    # the central computes at the arrival of the last report: a time between ticks, not the next tick
    t_start = float(cen["t_start_s"].iloc[0])
    assert t_start == pytest.approx(float(rep["delivered_s"].max()), abs=1e-9)
    assert t_start > 0 and abs(t_start / 0.1 - round(t_start / 0.1)) > 1e-6      # not on the tick grid
    # its bundles leave when the computation is ready (flops / onboard_flops later)
    bun = m[(m["type"] == "PrecoderBundle") & (m["update"] == 0)]
    assert len(bun) == 2
    assert np.allclose(bun["sent_s"], float(cen["t_ready_s"].iloc[0]), atol=1e-9)
    # and a member holds its bundle from its arrival: at the first tick after it, with update 0's age
    first = bun.sort_values("delivered_s").iloc[0]
    n = int(np.ceil(first["delivered_s"] / 0.1 - 1e-9))
    st = run.steps[(run.steps["scheme"] == "Cen-Opt-WM") & (run.steps["tick"] == n)].iloc[0]
    i = list(st["sat_ids"]).index(int(first["dst"]))
    assert st["update"][i] == 0 and st["source"][i] == "bundle" and st["precoder_age_s"][i] == pytest.approx(n * 0.1)


def test_centralized_precoders_age_by_latency_and_compute_not_ticks():
    """One ISL hop between members (a few ms) and fast compute: the centralized precoders are in use one
    tick after the update, exactly as old as the separate ones (before: two ticks, >= 0.2 s)."""
    one_hop = run_episode(tiny(duration_s=0.3, isl__topology="complete", schemes=["Sep-MMSE", "Cen-Opt-WM"]),
                          progress=False)
    st = one_hop.steps
    cen = st[(st["scheme"] == "Cen-Opt-WM") & (st["tick"] == 1)].iloc[0]
    sep = st[(st["scheme"] == "Sep-MMSE") & (st["tick"] == 1)].iloc[0]
    # one tick after the update every member already holds update 0's centralized precoders ...
    assert list(cen["update"]) == [0, 0, 0] and set(cen["source"]) <= {"central", "bundle"}
    # ... as old as the separate ones (both from the sCSI of t = 0)
    assert np.allclose(cen["precoder_age_s"], sep["precoder_age_s"]) and np.allclose(cen["precoder_age_s"], 0.1)
