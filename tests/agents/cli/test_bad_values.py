"""Sizes and silently accepted values: each case is refused before any work with exit status 2 and one
line naming the option (or config field) as the user typed it -- no traceback, no internal class name."""
from __future__ import annotations

import pytest

from agents.cli import main

RUN = ["run", "--runtime", "local", "--duration-s", "0.1"]
TINY = ["--S", "1", "--K", "1", "--drops", "1", "--no-progress"]

CASES = [
    (["compare", "--drops", "1000000000", "--no-progress"], "--drops = 1000000000"),
    (["compare", "--samples", "100000000", "--no-progress"], "--samples = 100000000"),
    (["compare", "--max-iter", "1000000000", "--tol", "0", "--no-progress"], "--max-iter = 1000000000"),
    (["compare", "--threads", "100000", "--no-progress"], "--threads = 100000"),
    (["compare", *TINY, "--power-dbw", "0", "0"], "--power-dbw = [0.0, 0.0]: power 0 dBW given twice"),
    (["train", "--arch", "cen", "--drops", "1000000000"], "--drops = 1000000000"),
    (["train", "--arch", "cen", "--threads", "100000"], "--threads = 100000"),
    (["train", "--arch", "cen", "--warmup-steps", "10"], "--warmup-steps = 10"),
    (["overhead", "--bits-per-real", "1000000000"], "--bits-per-real = 1000000000"),
    ([*RUN, "--set", "S=true"], "S = True: must be a number, not true/false"),
    ([*RUN, "--set", "K=false"], "K = False"),
    ([*RUN, "--set", "start_t_s=1e12"], "start_t_s = 1000000000000.0"),
    ([*RUN, "--address", "127.0.0.1:6379"], "address = '127.0.0.1:6379': joins a Ray cluster"),
    ([*RUN, "--set", "scheme_options.Cen-Opt-WM.max_iter=0"], "scheme_options.Cen-Opt-WM.max_iter = 0"),
    ([*RUN, "--set", "scheme_options.Sep-Opt-WM.tol=-1"], "scheme_options.Sep-Opt-WM.tol = -1"),
    (["world", "--max-epoch-age-days", "3"], "--max-epoch-age-days applies to --tle/--omm"),
    (["world", "--min-altitude-km", "700"], "min_altitude_km = 700: above every Walker shell (highest 600 km)"),
    (["sweep", "{big}"], "units: at most 100,000"),
    (["sweep", "{huge}"], "replicates = 1000000000"),
    (["run", "{dir}"], "is a directory"),
    (["run", "{utf16}"], "not UTF-8"),
    (["run", "{binary}"], "not UTF-8"),
    (["sweep", "{big}", "--chunk-size", "0"], "--chunk-size = 0"),
]


@pytest.mark.parametrize("argv, fragment", CASES, ids=[" ".join(a[:3]) + f" {i}" for i, (a, _) in enumerate(CASES)])
def test_refused_with_one_line(tmp_path, capsys, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)                          # any run folder lands here, never in the repo
    files = {"big": ('kind = "compare"\nreplicates = 10000\n[grid]\npower_dbw = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, '
                     '10, 11]\n').encode(),
             "huge": b'kind = "compare"\nreplicates = 1000000000\n[grid]\npower_dbw = [0]\n',
             "utf16": "S = 3\n".encode("utf-16"), "binary": bytes(range(256))}
    paths = {"dir": str(tmp_path)}
    for name, data in files.items():
        (tmp_path / f"{name}.toml").write_bytes(data)
        paths[name] = str(tmp_path / f"{name}.toml")
    argv = [a.format(**paths) for a in argv]
    argv += ["--out", str(tmp_path / "out")] if argv[0] in ("run", "train", "sweep") else []
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err and "internal error" not in err, err
    assert fragment in err, err
    for internal in ("WorldConfig", "NetConfig", "RunConfig", "CompareConfig", "Value error,"):
        assert internal not in err, err
    assert not (tmp_path / "out").exists()               # refused before any work: no folder made
