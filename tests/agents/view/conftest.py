"""Run folders for the viewer tests, each made once per test session (and xdist worker) through the CLI.

* ``default_run``: the default episode, short (``satcoop run --runtime local --duration-s 4 --view``):
  every scheme, Walker 1680, Gilbert-Elliott faults, on_failure drop; its page is written by ``--view``.
* ``faulty_run``: two regions, heavy Gilbert-Elliott outages (30 % down, 0.5 s mean) with re-routing, so that
  messages are re-routed, and region 0's central cut off from 1.0 to 1.6 s, so that messages are lost;
  three schemes.
* ``tle_run``: an element-set constellation (a synthetic TLE file from constellation/synthetic.py, with its
  own epochs per satellite), 1.5 s, two schemes.
"""
from __future__ import annotations

import numpy as np
import pytest

from agents import cli


def _run(out, *extra):
    code = cli.main(["run", "--runtime", "local", "--out", str(out), "--no-progress", *extra])
    assert code == 0
    return out


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("view-default") / "run", "--duration-s", "4", "--view")


@pytest.fixture(scope="session")
def faulty_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("view-faulty") / "run", "--duration-s", "3", "--set", "region.count=2",
                "--set", "faults.outage_prob=0.3", "--set", "faults.mean_outage_s=0.5",
                "--set", 'isl.on_failure="reroute"', "--set", "K=6",
                # the nearest sets' long routes (up to 37 hops across crossing planes) make in-flight reroutes
                # likely within 3 s; the connected sets' routes are a few hops
                "--set", 'region.selection="nearest"',
                "--set", 'faults.scheduled=[{start_s=1.0, end_s=1.6, target="central"}]',
                "--set", 'schemes=["Sep-MMSE", "Cen-Opt-WM", "Dec-TFC-WM"]')


@pytest.fixture(scope="session")
def tle_file(tmp_path_factory):
    from constellation.synthetic import synthetic_catalog
    from constellation.walker import WalkerDelta
    syn = synthetic_catalog([WalkerDelta()], np.random.default_rng(3), n_decaying=1, n_duplicates=2)
    path = tmp_path_factory.mktemp("view-tle") / "synthetic.tle"
    path.write_text(syn.to_tle())
    return path


@pytest.fixture(scope="session")
def tle_run(tmp_path_factory, tle_file):
    return _run(tmp_path_factory.mktemp("view-tle-run") / "run", "--duration-s", "1.5", "--tle", str(tle_file),
                "--set", "K=6", "--set", 'schemes=["Sep-MMSE", "Cen-Opt-WM"]')
