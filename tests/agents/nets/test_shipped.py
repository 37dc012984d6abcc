"""The shipped weights: they load, reproduce the figures recorded with them, and run as registered schemes."""
from __future__ import annotations


import pytest
import torch

from agents.nets.schemes import load_net, shipped_metadata, shipped_weights, training_overlap_note
from agents.nets.ship import reference_figures


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_shipped_weights_reproduce_their_recorded_figures(arch):
    meta = shipped_metadata(arch)
    assert meta, f"no metadata next to {shipped_weights(arch)}"
    assert all(inv.startswith(f"satcoop train --arch {arch}") for inv in meta["produced_by"])
    ref = meta["reference"]
    assert ref["data_seed"] == meta["data"]["seed"] and ref["first"] >= meta["data"]["test"][0]   # held-out drops
    net = load_net(shipped_weights(arch))
    assert net.config.arch == arch
    got = reference_figures(net, ref["data_seed"], ref)
    for p, want in ref["figures"].items():
        tol = 3.0 * want["mc_stderr"]
        assert abs(got[p]["wsr_mean"] - want["wsr_mean"]) <= tol, (p, got[p], want)


@pytest.mark.parametrize("name", ["Cen-TFC-WM", "Dec-TFC-WM"])
def test_learned_schemes_follow_the_contract(world_problem, name):
    from agents import schemes as catalog
    run_scheme = catalog.run
    prob = world_problem(3, 12, batch=2)
    prec, hist = run_scheme(name, prob)
    assert catalog.get(name).architecture == ("centralized" if name.startswith("Cen") else "decentralized")
    assert torch.equal(hist["iterations"], torch.zeros(2, dtype=torch.long))
    assert torch.isnan(hist["objective"]).all() and (hist["flops"] > 1e6).all()
    assert torch.allclose(prec.power_w, prob.power_w, rtol=1e-10)
    # a drop's result does not depend on its batch-mates
    one, _ = run_scheme(name, prob.take(batch=[1]))
    assert torch.allclose(one.p[0], prec.p[1], rtol=0, atol=1e-10 * prec.p.abs().max().item())
    assert torch.allclose(one.b[0], prec.b[1], rtol=0, atol=1e-10)


def test_weights_override_and_training_seed_note(tmp_path, world_problem):
    from agents.nets.schemes import cen_tfc_wm, resolve_weights
    import shutil
    own = tmp_path / "mine.pt"
    shutil.copy(shipped_weights("cen"), own)
    assert resolve_weights("cen", [str(own)]) == own
    assert resolve_weights("dec", [str(own)]) == shipped_weights("dec")     # no dec file given: shipped
    prob = world_problem(3, 12, batch=1)
    a, _ = cen_tfc_wm(prob, weights=str(own))
    b, _ = cen_tfc_wm(prob)
    assert torch.allclose(a.p, b.p)
    with pytest.raises(ValueError, match="weights"):
        cen_tfc_wm(prob, weights=str(tmp_path / "missing.pt"))
    seed = shipped_metadata("cen")["data"]["seed"]
    note = training_overlap_note(seed, 0, 50, names=["Cen-TFC-WM"])
    assert note and "Cen-TFC-WM" in note and str(seed) in note
    assert training_overlap_note(seed, 9000, 100, names=["Cen-TFC-WM", "Dec-TFC-WM"]) is None   # test split
    assert training_overlap_note(seed + 1, 0, 50, names=["Cen-TFC-WM"]) is None
    assert training_overlap_note(seed, 0, 50, names=["Cen-Opt-WM"]) is None


def test_on_board_entry_point_matches_the_batched_scheme(world_problem):
    from agents import schemes as catalog
    from agents.nets.dec_tfc import OthersView
    from agents.nets.schemes import dec_tfc_wm
    prob = world_problem(3, 12, batch=1)
    full, _ = dec_tfc_wm(prob)
    entry = catalog.get("Dec-TFC-WM").local
    assert entry is not None
    prec, hist = entry(prob.take(sats=[2]), OthersView.from_problem(prob, 2))
    assert torch.allclose(prec.p[:, 0], full.p[:, 2], atol=1e-6 * full.p.abs().max().item())
    two_known, _ = entry(prob.take(sats=[2]), OthersView.from_problem(prob, 2, known=[True, False]))
    one_known_flops = entry(prob.take(sats=[2]), OthersView.from_problem(prob, 2, known=[True, False]))[1]["flops"]
    assert one_known_flops[0] < hist["flops"][0]
    assert torch.allclose(two_known.power_w, prob.power_w[:, 2:3], rtol=1e-10)


def test_training_seed_note_covers_extra_training_drops(tmp_path):
    """Weights trained with --extra-train-drops: drops of that range are training data too."""
    blob = torch.load(shipped_weights("cen"), map_location="cpu", weights_only=True)
    blob["meta"] = dict(blob.get("meta", {}), data={"seed": 77, "drops": 100, "train": [0, 70], "val": [70, 90],
                                                    "test": [90, 100], "train_extra": [100, 400]})
    path = tmp_path / "extra.pt"
    torch.save(blob, path)
    note = training_overlap_note(77, 350, 10, weights=str(path), names=["Cen-TFC-WM"])
    assert note and "[100, 400)" in note and "[0, 90)" not in note
    both = training_overlap_note(77, 80, 30, weights=str(path), names=["Cen-TFC-WM"])
    assert "[0, 90)" in both and "[100, 400)" in both
    assert training_overlap_note(77, 90, 10, weights=str(path), names=["Cen-TFC-WM"]) is None     # test split only
    assert training_overlap_note(77, 400, 10, weights=str(path), names=["Cen-TFC-WM"]) is None
