"""The live summary counts the runs that stopped at their iteration limit (``iter_limit_share``, as compare's
``at_iter_limit``): limiting cases of Cen-Opt-WM's budget, and None for a scheme without iterations."""
from __future__ import annotations

import pytest

from agents.experiments.run import run_episode

from .conftest import tiny


def _summary(max_iter):
    res = run_episode(tiny(duration_s=2.0, K=6, schemes=["Sep-MMSE", "Cen-Opt-WM"],
                           scheme_options={"Cen-Opt-WM": {"max_iter": max_iter}}), progress=False)
    return {r["scheme"]: r for r in res.summary["schemes"]}, res.computes


def test_one_iteration_always_stops_at_the_limit_a_large_budget_never():
    one, comp = _summary(1)
    assert one["Cen-Opt-WM"]["iter_limit_share"] == 1.0
    assert one["Sep-MMSE"]["iter_limit_share"] is None               # closed form: no iterations to count
    own = comp[(comp.lane == "Cen-Opt-WM") & (comp.scheme == "Cen-Opt-WM")]
    assert len(own) >= 2 and own["at_iter_limit"].astype(bool).all()
    assert comp.loc[comp.scheme == "Sep-MMSE", "at_iter_limit"].isna().all()
    many, comp = _summary(2000)
    assert many["Cen-Opt-WM"]["iter_limit_share"] == 0.0
    own = comp[(comp.lane == "Cen-Opt-WM") & (comp.scheme == "Cen-Opt-WM")]
    assert (own["iterations"] < 2000).all()
    # the rates do not depend on the new bookkeeping: the budget only changes Cen-Opt-WM
    assert many["Sep-MMSE"]["sum_rate_mean_bps_hz"] == pytest.approx(one["Sep-MMSE"]["sum_rate_mean_bps_hz"], rel=0, abs=0)
