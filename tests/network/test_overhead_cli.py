import argparse
import json

import pytest

from agents import cli
from agents.cli import overhead


def hand_count(S, K, M, N, bits=32, sigma_reals=None):
    """Table III by hand: centralized = S-1 reports (SSI 8 + K (beta, kappa, Sigma)) up and S-1 bundles
    (K M complex) down; decentralized = S (S-1) SSI messages of 8 reals."""
    sigma_reals = 2 * N * N if sigma_reals is None else sigma_reals
    report = bits * (8 + K * (2 + sigma_reals))
    bundle = bits * 2 * K * M
    return {"Cen": ((S - 1) * (report + bundle), 2 * (S - 1)), "Dec": (S * (S - 1) * 8 * bits, S * (S - 1))}


def run_cli(argv, capsys):
    code = cli.main(["overhead", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_overhead_json_matches_hand_count_and_paper(capsys):
    code, out, _ = run_cli(["--S", "3", "--K", "12", "--M", "64", "--N", "4", "--json"], capsys)
    assert code == 0
    res = json.loads(out)
    rows = {r["scheme"]: r for r in res["per_update"]}
    assert list(rows) == ["Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM"]
    want = hand_count(3, 12, 64, 4)
    for scheme in ("Cen-Opt-WM", "Cen-TFC-WM"):
        assert (rows[scheme]["bits"], rows[scheme]["messages"]) == want["Cen"]
    assert (rows["Dec-TFC-WM"]["bits"], rows["Dec-TFC-WM"]["messages"]) == want["Dec"]
    assert rows["Cen-Opt-WM"]["bits"] == 124_928          # Fig. 8 of the paper: 0.124928 Mbit
    assert res["config"]["S"] == 3 and res["config"]["bits_per_real"] == 32


@pytest.mark.parametrize("S, K, M, N, bits, packing", [(4, 5, 16, 2, 32, "hermitian"), (2, 1, 1, 1, 16, "full"),
                                                       (5, 8, 32, 3, 64, "full")])
def test_overhead_other_configs_match_hand_count(S, K, M, N, bits, packing):
    res = overhead.per_update_overhead(S, K, M, N, bits_per_real=bits, sigma_packing=packing)
    rows = {r["scheme"]: r for r in res["per_update"]}
    want = hand_count(S, K, M, N, bits, N * N if packing == "hermitian" else None)
    assert (rows["Cen-TFC-WM"]["bits"], rows["Cen-TFC-WM"]["messages"]) == want["Cen"]
    assert (rows["Dec-TFC-WM"]["bits"], rows["Dec-TFC-WM"]["messages"]) == want["Dec"]
    assert all(r["max_hops"] == 1 for r in res["per_update"])


def test_overhead_table_and_plot(tmp_path, capsys):
    png = tmp_path / "overhead.png"
    code, out, _ = run_cli(["--plot", str(png)], capsys)
    assert code == 0
    assert "Dec-TFC-WM" in out and "124928" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_overhead_registers_on_a_subparser():
    parser = argparse.ArgumentParser()
    overhead.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["overhead", "--S", "2", "--json"])
    assert args.func is overhead._run and args.S == 2 and args.json


@pytest.mark.parametrize("kw, option", [({"K": 0}, "--K"), ({"S": -1}, "--S"),
                                        ({"bits_per_real": 0}, "--bits-per-real"),
                                        ({"sigma_packing": "diag"}, "--sigma-packing"),
                                        ({"link_length_km": -5.0}, "--link-km")])
def test_overhead_bad_input_names_the_option(kw, option):
    args = dict(S=3, K=12, M=64, N=4)
    args.update({k: v for k, v in kw.items() if k in args})
    rest = {k: v for k, v in kw.items() if k not in args}
    with pytest.raises(ValueError, match=option):
        overhead.per_update_overhead(args["S"], args["K"], args["M"], args["N"], **rest)


def test_overhead_cli_bad_input_exits_2(capsys):
    code, _, err = run_cli(["--M", "0"], capsys)
    assert code == 2 and "--M" in err


def test_satcoop_dispatcher_runs_overhead(capsys):
    from agents.cli import main
    assert main(["overhead", "--S", "4", "--K", "2", "--M", "8", "--N", "2", "--json"]) == 0
    rows = {r["scheme"]: r for r in json.loads(capsys.readouterr().out)["per_update"]}
    assert (rows["Cen-Opt-WM"]["bits"], rows["Cen-Opt-WM"]["messages"]) == hand_count(4, 2, 8, 2)["Cen"]
    assert main(["overhead", "--N", "-3"]) == 2
    assert "--N" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [(["--plot", "{tmp}/missing/x.png"], "does not exist"),
                                          (["--plot", "{tmp}/overhead.txt"], "extension 'txt'"),
                                          (["--S", "100000"], "--S = 100000")])
def test_overhead_bad_plot_path_and_huge_s_exit_2_before_any_work(argv, needle, capsys, tmp_path):
    # these used to end in a FileNotFoundError traceback / an out-of-memory kill (complete graph on S nodes);
    # paths under tmp_path only ("{tmp}"): an absolute /nonexistent-dir can exist on a machine (root creates it)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run_cli(argv, capsys)
    assert list(tmp_path.iterdir()) == []
    assert code == 2 and needle in err and out == "" and len(err.strip().splitlines()) == 1


def test_overhead_large_payloads_are_counted_not_allocated():
    # K M = 1e11 complex precoder entries: sizes only (broadcast payloads), and the deliver horizon covers
    # the 6400 s serialisation of each bundle at 1 Gbit/s
    res = overhead.per_update_overhead(3, 1_000_000, 100_000, 64)
    rows = {r["scheme"]: r for r in res["per_update"]}
    assert (rows["Cen-Opt-WM"]["bits"], rows["Cen-Opt-WM"]["messages"]) == hand_count(3, 1_000_000, 100_000, 64)["Cen"]
