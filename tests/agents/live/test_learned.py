"""The learned schemes (shipped weights) run live: Cen-TFC-WM through the central exchange, Dec-TFC-WM
through its on-board entry point with the SSI view; their compute is charged from counted flops. An
on-board entry point that reports no flops is an error, never free compute."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from agents import schemes as catalog
from agents.experiments.run import run_episode

from .conftest import tiny

LEARNED = ["Cen-TFC-WM", "Dec-TFC-WM"]


@pytest.fixture(scope="module")
def learned_run():
    return run_episode(tiny(duration_s=2.0, S=3, K=6, schemes=["Sep-MMSE", *LEARNED], onboard_flops=1e9),
                       progress=False)


def test_learned_schemes_run_live_with_counted_flops(learned_run):
    res = learned_run
    summary = {r["scheme"]: r for r in res.summary["schemes"]}
    assert set(summary) == {"Sep-MMSE", *LEARNED}
    c = res.computes
    for name in LEARNED:
        own = c[(c["lane"] == name) & (c["kind"] != "fallback")]
        assert len(own) and (own["flops"] > 0).all() and set(own["flops_source"]) == {"counted"}
        # the result exists only flops / onboard_flops after it started
        assert ((own["t_ready_s"] - own["t_start_s"]) - own["flops"] / 1e9).abs().max() < 1e-9
        st = res.steps[(res.steps["scheme"] == name) & (res.steps["t_s"] >= 1.0)]   # after the first result
        assert len(st) and st["sum_rate_bps_hz"].gt(0).all()
        assert summary[name]["sum_rate_mean_bps_hz"] > 0
    assert (c[c["lane"] == "Cen-TFC-WM"]["kind"] == "central").any()
    # Cen-TFC-WM exchanges reports and bundles; Dec-TFC-WM sends no message of its own: its ISL figures are
    # exactly the shared SSI broadcast, S (S - 1) SSI messages per SSI period
    assert summary["Cen-TFC-WM"]["isl_payload_bits_per_update"] > summary["Dec-TFC-WM"]["isl_payload_bits_per_update"]
    m = res.messages
    assert not (m["scheme"] == "Dec-TFC-WM").any()
    ssi = m[m["scheme"] == ""]
    assert set(ssi["type"]) == {"SSI"} and len(ssi) > 0
    n_updates = 2                                            # duration 2 s, one update per second
    assert summary["Dec-TFC-WM"]["isl_payload_bits_per_update"] == ssi["payload_bits"].sum() / n_updates
    assert len(ssi) == n_updates * 3 * 2                      # S = 3: S (S - 1) per SSI instant, one per second


def _with_local(monkeypatch, name, local):
    monkeypatch.setitem(catalog.CATALOG, name, dataclasses.replace(catalog.get(name), local=local))


def test_entry_point_without_flops_is_an_error(monkeypatch):
    real = catalog.get("Dec-TFC-WM").local

    def no_flops(local, view):
        prec, hist = real(local, view)
        return prec, {k: v for k, v in hist.items() if k != "flops"}

    _with_local(monkeypatch, "Dec-TFC-WM", no_flops)
    with pytest.raises(TypeError, match="Dec-TFC-WM.*lacks the contract keys \\['flops'\\]"):
        run_episode(tiny(duration_s=0.3, K=6, schemes=["Dec-TFC-WM"]), progress=False)


def test_decentralized_view_uses_the_peers_ssi_power(monkeypatch):
    """The peers' power budgets in a decentralized agent's view come from their SSI, not from the
    agent's own budget: peers announcing twice the budget are seen with twice the budget."""
    from agents import protocol

    real_ssi, real_entry = protocol.ssi_of, catalog.get("Dec-TFC-WM").local
    seen = []

    def doubled(r, axes, power_w, *a, **k):
        return real_ssi(r, axes, 2.0 * power_w, *a, **k)

    def spy(local, view):
        seen.append((float(local.power_w.flatten()[0]), view.power_w.clone()))
        return real_entry(local, view)

    monkeypatch.setattr(protocol, "ssi_of", doubled)
    _with_local(monkeypatch, "Dec-TFC-WM", spy)
    run_episode(tiny(duration_s=1.1, K=6, schemes=["Dec-TFC-WM"]), progress=False)
    after = [(own, pw) for own, pw in seen[3:]]          # the first update runs before any SSI arrived
    assert after and all(pw.numel() == 2 and torch.allclose(pw, torch.full_like(pw, 2.0 * own)) for own, pw in after)


def test_the_runs_dec_weights_reach_the_on_board_entry():
    """``scheme_options.Dec-TFC-WM.weights`` is what the satellites run: the shipped file named explicitly
    gives the default episode's rates exactly, another net (the v3 stage-1 checkpoint) different ones."""
    from pathlib import Path

    from agents.nets.schemes import resolve_weights

    root = Path(__file__).resolve().parents[3]

    def rates(weights=None):
        opts = {"Cen-Opt-WM": {"max_iter": 30}}
        if weights is not None:
            opts["Dec-TFC-WM"] = {"weights": str(weights)}
        res = run_episode(tiny(duration_s=0.3, K=6, schemes=["Dec-TFC-WM"], scheme_options=opts), progress=False)
        return res.steps.loc[res.steps.scheme == "Dec-TFC-WM", "sum_rate_bps_hz"].to_numpy()

    default = rates()
    assert (rates(resolve_weights("dec", None)) == default).all()
    other = rates(root / "runs/training/v3-dec/best.pt")
    assert other.shape == default.shape and abs(other - default).max() > 1e-6
