"""Every link of the central satellite down for a window (fixed seed, measured against the same episode
without the outage): the centralized scheme's precoders age, its updates miss and its rate falls in
the window; the decentralized scheme's SSI of the cut satellite ages but its rate does not fall by
more than that staleness explains (a stale peer is placed where its element set puts it: in this
simulation exactly where it is, so the rate may not fall at all)."""
from __future__ import annotations

import numpy as np
import pytest

from agents import schemes as catalog
from agents.experiments.run import run_episode
from agents.precoding.contract import Scheme
from agents.precoding.wmmse import cen_opt_wm

from .conftest import tiny

DEC = "Dec-View-WM"
WINDOW = (1.0, 4.5)


@pytest.fixture
def dec_scheme():
    """A decentralized scheme for the test: each agent solves the WMMSE problem it believes in (own
    sCSI measured, peers from their SSI with median fading) and keeps its own row."""
    catalog.register(Scheme(DEC, cen_opt_wm, "decentralized", warm_start=True), overwrite=True)
    yield
    catalog.CATALOG.pop(DEC)


def _window(steps, scheme, col):
    st = steps[(steps["scheme"] == scheme) & (steps["t_s"] >= WINDOW[0] + 1.0) & (steps["t_s"] < WINDOW[1])]
    return st[col].to_numpy(float)


def test_central_cut_off(dec_scheme):
    common = dict(duration_s=6.0, schemes=["Cen-Opt-WM", DEC, "Dec-TFC-WM"], scheme_options={"Cen-Opt-WM": {"max_iter": 20},
                                                                              DEC: {"max_iter": 20}})
    base = run_episode(tiny(**common), progress=False)
    cut = run_episode(tiny(faults={"model": "scheduled", "scheduled": [
        {"start_s": WINDOW[0], "end_s": WINDOW[1], "target": "central"}]}, **common), progress=False)
    assert any(e["type"] == "timeout" for e in cut.summary["events"])
    # centralized: older precoders, more missed updates, lower rate in the window
    age_b, age_c = _window(base.steps, "Cen-Opt-WM", "precoder_age_mean_s"), _window(cut.steps, "Cen-Opt-WM",
                                                                                    "precoder_age_mean_s")
    assert age_c.mean() > age_b.mean() + 0.5
    sb = {r["scheme"]: r for r in base.summary["schemes"]}
    sc = {r["scheme"]: r for r in cut.summary["schemes"]}
    assert sc["Cen-Opt-WM"]["missed_update_share"] > sb["Cen-Opt-WM"]["missed_update_share"] + 0.2
    rate_b, rate_c = _window(base.steps, "Cen-Opt-WM", "sum_rate_bps_hz"), _window(cut.steps, "Cen-Opt-WM",
                                                                                  "sum_rate_bps_hz")
    assert rate_c.mean() < rate_b.mean()
    # decentralized (the WMMSE view and the learned Dec-TFC-WM with shipped weights): the cut satellite's
    # SSI goes stale (older than 1.5 s) ...
    for dec in (DEC, "Dec-TFC-WM"):
        assert _window(cut.steps, dec, "ssi_age_max_s").max() > 1.5 >= _window(base.steps, dec, "ssi_age_max_s").max()
        # ... and the rate falls by no more than that staleness explains: the stale peer is propagated from
        # its element set, which here is exact, so the decentralized rates are those without the outage
        d_b, d_c = _window(base.steps, dec, "sum_rate_bps_hz"), _window(cut.steps, dec, "sum_rate_bps_hz")
        assert np.abs(d_c - d_b).max() <= 1e-6 * d_b.max()
        # its ISL traffic is only SSI: the cut satellite's SSI is lost, nothing else changes
        assert sc[dec]["isl_payload_bits_per_update"] <= sb[dec]["isl_payload_bits_per_update"]


def test_stale_ssi_costs_rate_without_propagation(dec_scheme):
    """What the staleness explains, measured: used as it is (no propagation), the cut satellite's SSI
    gets up to 3.5 s old (~26 km of flight) and the decentralized rate falls, more as the SSI ages."""
    common = dict(duration_s=5.0, schemes=[DEC], ssi_propagate=False, scheme_options={DEC: {"max_iter": 20}})
    base = run_episode(tiny(**common), progress=False)
    cut = run_episode(tiny(faults={"model": "scheduled", "scheduled": [
        {"start_s": WINDOW[0], "end_s": WINDOW[1], "target": "central"}]}, **common), progress=False)
    fall = _window(base.steps, DEC, "sum_rate_bps_hz") - _window(cut.steps, DEC, "sum_rate_bps_hz")
    age = _window(cut.steps, DEC, "ssi_age_max_s")
    assert fall.mean() > 0
    assert fall[age > 2.5].mean() > fall[age <= 2.5].mean()
