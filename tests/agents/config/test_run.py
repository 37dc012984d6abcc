"""RunConfig: the packaged default equals runs/default.toml and the issue's default episode; bad input is one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from agents.config.run import RunConfig, default_toml_text

ROOT = Path(__file__).resolve().parents[3]


def test_packaged_default_is_runs_default():
    assert default_toml_text() == (ROOT / "runs" / "default.toml").read_text()


def test_default_episode_is_the_issues():
    c = RunConfig.load()
    w = c.constellation.walker
    assert (w.total, w.planes, w.altitude_km, w.inclination_deg) == (1680, 28, 600.0, 53.0)
    assert (c.S, c.K, c.power_dbw, c.duration_s, c.tick_s) == (3, 12, 5.0, 60.0, 0.1)
    assert (c.update_period_s, c.ssi_period_s, c.schemes, c.runtime) == (1.0, 1.0, "default", "ray")
    # the default live set: every registered scheme but Cen-Opt-ER (its cost; "all" or a list names it)
    from agents import schemes as catalog
    assert catalog.resolve(c.schemes) == [n for n in catalog.names() if n != "Cen-Opt-ER"]
    assert "Cen-Opt-ER" in catalog.resolve("all") and RunConfig.load(None, ["schemes=all"]).schemes == "all"
    assert c.faults.model == "gilbert-elliott" and c.faults.outage_prob > 0
    assert c.n_ticks == 600


def test_overrides_reach_nested_fields():
    c = RunConfig.load(None, ["S=4", "faults.model=iid", "faults.outage_prob=0.1", "isl.rate_bps=1e8",
                              'schemes=["Sep-MRT"]', "runtime=local", "onboard_flops=inf"])
    assert (c.S, c.faults.model, c.faults.outage_prob, c.isl.rate_bps, c.schemes) == (4, "iid", 0.1, 1e8, ["Sep-MRT"])
    assert c.onboard_flops == float("inf")


@pytest.mark.parametrize("item, field, fragment", [
    ("S=0", "S = 0", "greater than or equal to 1"),
    ("K=twelve", "K = 'twelve'", "integer"),
    ("faults.model=bad", "faults.model = 'bad'", "gilbert-elliott"),
    ("bogus=1", "bogus = 1", "unknown field; allowed here:"),
    ("isl.nope=1", "isl.nope = 1", "processing_s"),
    ("faults.outage_prob=1.5", "faults.outage_prob = 1.5", "less than 1"),
])
def test_bad_input_is_one_line_naming_field_value_allowed(item, field, fragment):
    with pytest.raises(ValueError) as e:
        RunConfig.load(None, [item])
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(field) and fragment in msg


def test_missing_file_and_bad_set_syntax(tmp_path):
    with pytest.raises(ValueError, match="CONFIG = .*no such file"):
        RunConfig.load(tmp_path / "nope.toml")
    with pytest.raises(ValueError, match="--set 'S4': expected FIELD=VALUE"):
        RunConfig.load(None, ["S4"])


def test_report_timeout_must_be_shorter_than_the_update_period():
    """A timeout >= the update period would let the next update replace the one being collected before
    the timeout fires: the central would never compute. Refused up front, naming both fields."""
    with pytest.raises(ValueError) as e:
        RunConfig.load(None, ["centralized.report_timeout_s=1.0", "update_period_s=1.0"])
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("centralized.report_timeout_s = 1.0") and "update_period_s = 1.0" in msg
    assert RunConfig.load(None, ["centralized.report_timeout_s=0.9"]).centralized.report_timeout_s == 0.9


@pytest.mark.parametrize("item, start, fragment", [
    ("update_period_s=inf", "update_period_s = inf", "finite"),
    ("ssi_period_s=nan", "ssi_period_s = nan", "finite"),
    ("isl.rate_bps=inf", "isl.rate_bps = inf", "finite"),
    ("faults.mean_outage_s=inf", "faults.mean_outage_s = inf", "finite"),
    ("tick_s=1e-9", "tick_s = 1e-09", "duration_s = 60.0"),
    ("update_period_s=0.25", "update_period_s = 0.25", "whole multiple (>= 1) of tick_s = 0.1"),
    ("ssi_period_s=0.05", "ssi_period_s = 0.05", "whole multiple (>= 1) of tick_s = 0.1"),
])
def test_non_finite_and_off_grid_times_are_one_line(item, start, fragment):
    """inf / nan in a float field, periods not on the tick grid (round(2.5) = 2 used to be applied
    silently), and too many ticks: one line naming the field, before any work."""
    with pytest.raises(ValueError) as e:
        RunConfig.load(None, [item])
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(start) and fragment in msg and "{" not in msg, msg


def test_on_grid_periods_and_infinite_compute_are_accepted():
    c = RunConfig.load(None, ["tick_s=0.05", "update_period_s=0.25", "ssi_period_s=2.5", "onboard_flops=inf",
                             "centralized.report_timeout_s=0.1"])
    assert (c.update_period_s, c.ssi_period_s, c.onboard_flops) == (0.25, 2.5, float("inf"))
    assert RunConfig.load(None, ["tick_s=0.3", "update_period_s=0.9", "ssi_period_s=0.3",
                                   "centralized.report_timeout_s=0.3"])
