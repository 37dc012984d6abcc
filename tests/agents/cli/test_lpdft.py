"""``satcoop lpdft``: JSON contract, table, plot and input errors (run through the subcommand's own parser)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agents import cli
from agents.lpdft.algorithms import run_scheme
from agents.lpdft.scenario import LPDFTConfig, draw_scenario


def main(argv):
    """``satcoop lpdft ARGV`` through the real dispatcher."""
    return cli.main(["lpdft", *argv])


NAMES = ["LP-DFT", "Greedy-ZF", "DFT-BF", "MF-FDP", "MMSE-FDP"]


def test_json_sweep_contract_and_values(capsys):
    assert main(["--power-w", "1000", "3000", "--drops", "2", "--seed", "5", "--max-iter", "5",
                 "--json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["results"]
    assert [r["scheme"] for r in rows] == NAMES * 2
    assert {r["param"] for r in rows} == {"power_w"}
    assert [r["value"] for r in rows] == [1000.0] * 5 + [3000.0] * 5
    for r in rows:
        assert {"scheme", "param", "value", "sum_rate_bps_hz"} <= set(r)
        assert np.isfinite(r["sum_rate_bps_hz"]) and r["sum_rate_bps_hz"] > 0
        # 16x16 URA on the 16x16 FFT: orthonormal beams, every scheme radiates exactly its budget
        assert r["power_w"] == r["value"] and r["radiated_over_budget"] == 0.0
        assert r["radiated_power_max_w"] == pytest.approx(r["value"], rel=1e-9)
    cfg = out["config"]
    assert cfg["drops"] == 2 and cfg["seed"] == 5 and cfg["fft_shape"] == [16, 16] and cfg["n_fft"] == 256
    # the numbers are the library's on the same seeded drops
    scn = draw_scenario(LPDFTConfig(power_w=3000.0), 2, np.random.default_rng(5))
    ref = run_scheme("Greedy-ZF", scn).sum_rate_bps_hz.mean()
    got = [r for r in rows if r["scheme"] == "Greedy-ZF" and r["value"] == 3000.0][0]["sum_rate_bps_hz"]
    assert got == pytest.approx(ref, rel=1e-12)
    # more power never hurts the fixed-structure schemes on common drops
    for name in ("Greedy-ZF", "MMSE-FDP"):
        lo, hi = (r["sum_rate_bps_hz"] for r in rows if r["scheme"] == name)
        assert hi > lo


def test_ura_sweep_table_and_plot(tmp_path, capsys):
    png = tmp_path / "ura.png"
    assert main(["--ura", "4x4", "8x8", "--users", "3", "--drops", "1"]) == 2      # two swept parameters
    assert "exactly one" in capsys.readouterr().err
    assert main(["--ura", "4x4", "8x8", "--drops", "1", "--max-iter", "3", "--plot", str(png),
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "MMSE-FDP" in text and "8x8" in text
    # a 4x4 window of the 16x16 FFT: overlapping beams let LP-DFT radiate more than P under the
    # DFT-input budget; the table says so, and --radiated-budget removes it
    lp4 = [line for line in text.splitlines() if line.startswith("LP-DFT") and "4x4" in line][0]
    assert float(lp4.split()[-2]) > 4000.0 * 1.05 and lp4.endswith("*")
    assert "radiated power above the budget" in text and "--radiated-budget" in text
    assert main(["--ura", "4x4", "--drops", "1", "--max-iter", "3", "--radiated-budget", "--json",
                 "--no-progress"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert all(r["radiated_over_budget"] == 0.0 and r["radiated_power_max_w"] <= 4000.0 * (1 + 1e-9) for r in rows)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, word", [(["--ura", "0x4"], "--ura"), (["--ura", "8by8"], "--ura"),
                                        (["--ura", "32x4"], "--ura"), (["--users", "300"], "--users"),
                                        (["--power-w", "-5"], "--power-w"), (["--spacing", "0"], "--spacing"),
                                        (["--users", "4", "--drops", "0"], "--drops"), ([], "exactly one"),
                                        (["--users", "2", "--plot", "{tmp}/missing/u.png"], "--plot"),
                                        (["--users", "2", "--plot", "{tmp}/u.notanimage"], "--plot")])
def test_bad_input_names_the_option(argv, word, capsys, tmp_path):
    # paths under tmp_path only ("{tmp}"): an absolute /nonexistent-dir can exist on a machine (root creates it)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main([*argv, "--no-progress"]) == 2
    assert list(tmp_path.iterdir()) == []          # nothing written
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err


def test_orbit_leo_takes_the_satellite_from_the_constellation(capsys):
    assert main(["--power-w", "100", "--orbit", "leo", "--sat", "WALKER-P003-S017", "--t-s", "600",
                 "--drops", "2", "--max-iter", "3", "--json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    cfg = LPDFTConfig.from_constellation(sat="WALKER-P003-S017", t_s=600.0)
    assert out["config"]["altitude_km"] == cfg.altitude_km and out["config"]["orbit"] == cfg.orbit
    scn = draw_scenario(cfg.replace(power_w=100.0), 2, np.random.default_rng(0))
    got = [r for r in out["results"] if r["scheme"] == "MMSE-FDP"][0]["sum_rate_bps_hz"]
    assert got == pytest.approx(run_scheme("MMSE-FDP", scn).sum_rate_bps_hz.mean(), rel=1e-12)
    assert main(["--power-w", "100", "--drops", "1", "--max-iter", "2", "--no-progress"]) == 0
    assert "MEO" in capsys.readouterr().out                     # the default says where its altitude comes from


@pytest.mark.parametrize("argv, word", [(["--orbit", "leo", "--altitude-km", "550"], "--altitude-km"),
                                        (["--sat", "3"], "--sat"), (["--t-s", "10"], "--t-s"),
                                        (["--orbit", "leo", "--sat", "5000"], "--sat"),
                                        (["--orbit", "leo", "--t-s", "nan"], "--t-s")])
def test_orbit_options_errors_name_the_option(argv, word, capsys):
    assert main(["--power-w", "100", "--drops", "1", *argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err
