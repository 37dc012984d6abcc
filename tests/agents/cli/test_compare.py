"""``satcoop compare``: JSON record, table, plot and input validation (tiny run)."""
from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from agents.cli import compare


def _parse(argv):
    parser = argparse.ArgumentParser(prog="satcoop")
    compare.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["compare", *argv])


def test_compare_json_and_plot(tmp_path, capsys):
    png = tmp_path / "fig.png"
    args = _parse(["--S", "2", "--K", "4", "--power-dbw", "-5", "5", "--drops", "3", "--seed", "1",
                   "--samples", "16", "--max-iter", "5", "--batch", "2", "--json", "--plot", str(png)])
    assert args.func(args) == 0
    out = capsys.readouterr()
    rec = json.loads(out.out)
    names = rec["config"]["schemes"]
    assert {"Sep-MRT", "Sep-MMSE", "Sep-Opt-WM", "Cen-Opt-WM"} <= set(names)
    assert len(rec["results"]) == 2 * len(names)
    for r in rec["results"]:
        assert {"scheme", "power_dbw", "sum_rate_bps_hz", "sum_rate_std", "runtime_s_per_drop"} <= set(r)
        assert r["sum_rate_bps_hz"] > 0 and r["runtime_s_per_drop"] > 0 and r["sum_rate_std"] >= 0
    assert rec["config"]["S"] == 2 and rec["config"]["drops"] == 3 and rec["config"]["power_dbw"] == [-5.0, 5.0]
    # --max-iter reaches every iterative scheme (per-drop counts, never above the cap)
    its = {r["scheme"]: r for r in rec["results"] if "iterations" in r and r["scheme"].endswith("-WM")}
    assert {"Sep-Opt-WM", "Cen-Opt-WM"} <= set(its)
    assert all(1 <= r["iterations"] <= r["iterations_max"] <= 5 for r in its.values())
    assert png.stat().st_size > 1000
    assert "%|" not in out.err                       # stderr is not a terminal here: no progress bar
    # same seed -> same numbers whatever --batch (converged WMMSE drops are frozen, and the Monte
    # Carlo normals are drawn per drop, keyed by (seed, drop)); table mode prints every scheme
    args2 = _parse(["--S", "2", "--K", "4", "--power-dbw", "-5", "5", "--drops", "3", "--seed", "1",
                    "--samples", "16", "--max-iter", "5", "--batch", "3", "--no-progress"])
    rec2 = compare.compare(args2)
    for a, b in zip(rec["results"], rec2["results"]):
        assert (a["scheme"], a["power_dbw"]) == (b["scheme"], b["power_dbw"])
        assert a["sum_rate_bps_hz"] == pytest.approx(b["sum_rate_bps_hz"], rel=1e-9)
        assert a["sum_rate_std"] == pytest.approx(b["sum_rate_std"], rel=1e-6)
    table = compare.format_table(rec2)
    assert all(n in table for n in names)


@pytest.mark.parametrize("argv, opt", [(["--drops", "0"], "--drops"), (["--S", "0"], "--S"), (["--K", "-1"], "--K"),
                                       (["--samples", "1"], "--samples"), (["--power-dbw", "nan"], "--power-dbw"),
                                       (["--schemes", "Bogus"], "--schemes")])
def test_bad_input_names_the_option(argv, opt):
    args = _parse([*argv, "--no-progress", "--drops" if "--drops" not in argv else "--seed",
                   "1" if "--drops" not in argv else "0"])
    with pytest.raises(ValueError, match=opt):
        compare.compare(args)


def test_dispatcher_reports_bad_option(capsys, tmp_path):
    from agents.cli import main
    assert main(["compare", "--drops", "0", "--no-progress"]) == 2
    assert "--drops" in capsys.readouterr().err
    # an unwritable --plot fails up front, naming the option, not with a traceback after the run
    for bad in (tmp_path / "missing" / "fig.png", tmp_path / "fig.notanimage"):
        assert main(["compare", "--drops", "1", "--plot", str(bad), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "--plot" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_drop_rows_are_keyed_by_drop_index():
    """A chunk of drops [first, first + n) reproduces those drops of an unchunked run, for every
    registered scheme (drop i = f(seed, i); per-drop Monte Carlo generators; per-drop convergence)."""
    from agents.experiments.compare import run_compare
    common = dict(S=2, K=3, samples=8, max_iter=5, power_dbw=[0.0], seed=4)
    whole = run_compare({**common, "drops": 5, "batch": 5}).drops
    part = run_compare({**common, "drops": 2, "first": 3, "batch": 1}).drops
    whole = whole[whole["drop"] >= 3].reset_index(drop=True)
    assert list(part["drop"].unique()) == [3, 4] and len(part) == len(whole)
    cols = ["drop", "scheme", "power_dbw", "sum_rate_bps_hz", "mc_stderr", "iterations"]
    pd.testing.assert_frame_equal(part[cols], whole[cols], rtol=1e-9)
    # and a different seed gives different drops
    other = run_compare({**common, "seed": 5, "drops": 2, "first": 3, "batch": 1}).drops
    assert not (other["sum_rate_bps_hz"].to_numpy() == part["sum_rate_bps_hz"].to_numpy()).any()


@pytest.mark.parametrize("argv, line", [
    (["--power-dbw", "200"], "--power-dbw = [200.0]: values must be finite, within [-100, 100] dBW, got 200.0"),
    (["--schemes", "Bogus"], "--schemes = ['Bogus']: unknown ['Bogus']; registered: "),
    (["--schemes", "Sep-MRT", "Sep-MRT"], "--schemes = ['Sep-MRT', 'Sep-MRT']: ['Sep-MRT'] given more than once"),
])
def test_validator_errors_read_field_equals_value_message(argv, line, capsys):
    # pydantic's "Value error, " prefix used to sit between the value and the message
    from agents.cli import main
    assert main(["compare", *argv, "--drops", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Value error" not in err
    assert err.startswith("satcoop compare: error: " + line), err


def test_compare_config_parse_prefix_and_message():
    from agents.config import CompareConfig
    with pytest.raises(ValueError) as info:
        CompareConfig.parse({"power_dbw": [0.0, 500.0]}, prefix="base.")
    assert str(info.value) == "base.power_dbw = [0.0, 500.0]: values must be finite, within [-100, 100] dBW, got 500.0"
    with pytest.raises(ValueError, match=r"^base\.bogus = 1: unknown field; allowed here: K, S, allow_transit, batch"):
        CompareConfig.parse({"bogus": 1}, prefix="base.")
