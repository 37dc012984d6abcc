"""Training: a short seeded run improves the weighted sum rate over the untrained net; resume is exact."""
from __future__ import annotations

import json

import pytest
import torch

from agents.config import TrainConfig
from agents.experiments.train import evaluate, train
from agents.nets.weights import load_weights


def _cfg(**kw):
    base = dict(arch="cen", S=3, K=6, drops=40, epochs=3, batch=4, lr=5e-3, samples=16, val_samples=64,
                d_hidden=16, features=16, layers=1, seed=3, data_seed=5)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_short_training_improves_the_rate(cache, arch):
    rec = train(_cfg(arch=arch), cache / arch, progress=False, log=lambda m: None)
    hist = rec["history"]
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3]
    untrained, best = hist[0]["val_wsr"], rec["best_val_wsr"]
    assert best > 1.04 * untrained, (untrained, best)      # measured: +7.9 % (cen), +7.7 % (dec)
    # the saved best weights reproduce the recorded validation figure (same drops, same generators)
    from agents.experiments.train import _splits
    _, val = _splits(_cfg(arch=arch), progress=False)
    again = evaluate(load_weights(cache / arch / "best.pt"), val, 64, seed=3)["wsr"]
    assert abs(again - best) < 1e-6 * best
    assert json.loads((cache / arch / "metrics.json").read_text())["best_epoch"] == rec["best_epoch"]
    assert (cache / arch / "curve.png").stat().st_size > 0


@pytest.mark.slow
def test_resume_continues_exactly(cache):
    small = dict(S=2, K=4, drops=20)
    straight = train(_cfg(epochs=2, **small), cache / "a", progress=False, log=lambda m: None)
    train(_cfg(epochs=1, **small), cache / "b", progress=False, log=lambda m: None)
    resumed = train(_cfg(epochs=2, **small), cache / "b", resume=True, progress=False, log=lambda m: None)
    assert [h["val_wsr"] for h in resumed["history"]] == pytest.approx([h["val_wsr"] for h in straight["history"]],
                                                                      rel=1e-9)
    a = torch.load(cache / "a" / "checkpoint.pt", weights_only=True)["net"]
    b = torch.load(cache / "b" / "checkpoint.pt", weights_only=True)["net"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_bad_options_name_the_field(cache):
    with pytest.raises(ValueError, match="batch"):
        train(_cfg(batch=0), cache / "x", progress=False)
    with pytest.raises(ValueError, match="resume"):
        train(_cfg(), cache / "nothing", resume=True, progress=False)


@pytest.mark.slow
def test_cosine_resume_continues_exactly_and_anneals_to_lr_min(cache, monkeypatch):
    small = dict(S=2, K=4, drops=20, schedule="cosine", lr_min=1e-4, warmup_steps=2)
    straight = train(_cfg(epochs=2, **small), cache / "a", progress=False, log=lambda m: None)
    # interrupted after epoch 1: a run with the same horizon stopped early, then resumed
    cfg = _cfg(epochs=2, **small)
    from agents.experiments import train as train_mod
    orig = train_mod._write_metrics
    calls = []

    def stop_after_first(*a, **kw):
        calls.append(1)
        if kw.get("stopped") == "running" and len(calls) == 1:
            raise KeyboardInterrupt
        return orig(*a, **kw)
    with monkeypatch.context() as m:
        m.setattr(train_mod, "_write_metrics", stop_after_first)
        with pytest.raises(KeyboardInterrupt):
            train(cfg, cache / "b", progress=False, log=lambda m: None)
    resumed = train(cfg, cache / "b", resume=True, progress=False, log=lambda m: None)
    assert [h["val_wsr"] for h in resumed["history"]] == pytest.approx([h["val_wsr"] for h in straight["history"]],
                                                                      rel=1e-9)
    # the schedule is the closed form: lr_min after the last step (cos(pi) = -1), lr in between
    assert straight["history"][-1]["lr"] == pytest.approx(1e-4, rel=1e-9)
    assert 1e-4 < straight["history"][1]["lr"] < 5e-3
    with pytest.raises(ValueError, match="schedule"):
        train(_cfg(epochs=3, S=2, K=4, drops=20), cache / "b", resume=True, progress=False, log=lambda m: None)


def test_extra_training_drops_leave_validation_alone(cache):
    from agents.experiments.train import _splits
    tr0, va0 = _splits(_cfg(S=2, K=4, drops=20), progress=False)
    tr1, va1 = _splits(_cfg(S=2, K=4, drops=20, extra_train_drops=6), progress=False)
    assert len(tr0) == 14 and len(tr1) == 20 and len(va0) == len(va1) == 4
    assert (va0.g == va1.g).all() and (tr1.g[:14] == tr0.g).all()
    # the extra rows are drops 20..25 of the data seed, not a copy of any training or validation drop
    from agents.nets.dataset import load_drops
    more = load_drops(2, 4, 5, 26, progress=False)
    assert (tr1.g[14:] == more.g[20:26]).all()
    assert not any((tr1.g[14:15] == tr0.g[i:i + 1]).all() for i in range(14))
    with pytest.raises(ValueError, match="schedule"):
        _cfg(schedule="linear")
    with pytest.raises(ValueError, match="lr_min"):
        _cfg(lr_min=1.0, schedule="cosine")


@pytest.mark.slow
def test_fine_tuning_stage_starts_from_its_parent_and_ships_every_stage(cache):
    """--init: epoch 0 of the new run is the parent's best net (same validation figure), the log
    loss trains, and ship() records both stages' invocations and wall time."""
    from agents.nets.ship import ship
    parent = train(_cfg(epochs=1), cache / "p", progress=False, log=lambda m: None, invocation="satcoop train --arch cen A")
    child = train(_cfg(epochs=2, loss="log", init=str(cache / "p" / "best.pt"), lr=1e-3), cache / "c",
                  progress=False, log=lambda m: None, invocation="satcoop train --arch cen B")
    assert child["history"][0]["val_wsr"] == pytest.approx(parent["best_val_wsr"], rel=1e-9)
    assert child["init"]["invocations"] == ["satcoop train --arch cen A"]
    assert child["init"]["best_val_wsr"] == parent["best_val_wsr"]
    assert child["train_config"]["loss"] == "log" and child["history"][1]["val_wsr"] != child["history"][0]["val_wsr"]
    rec = ship(cache / "c", "cen", dest=cache / "shipped")
    assert rec["produced_by"] == ["satcoop train --arch cen A", "satcoop train --arch cen B"]
    assert rec["training"]["train_seconds_all_stages"] == pytest.approx(parent["train_seconds"] + child["train_seconds"])
    assert (cache / "shipped" / "cen_tfc_wm.pt").exists()
    with pytest.raises(ValueError, match="init"):
        _cfg(init=str(cache / "missing.pt"))
    with pytest.raises(ValueError, match="loss"):
        _cfg(loss="mse")
    with pytest.raises(ValueError, match="inside this run"):            # a stage may not start from its own output
        train(_cfg(epochs=1, init=str(cache / "c" / "best.pt")), cache / "c", progress=False, log=lambda m: None,
              force=True)
    _cfg(lr=1e-6)                  # lr_min (1e-5 by default) only matters for the cosine schedule


def test_mixed_worlds_v3_training_resumes_exactly_and_records_its_worlds(cache, monkeypatch):
    import functools

    from agents.nets import worlds
    small = functools.partial(worlds.mixed_drops, shapes=((2, 4), (3, 6)), walkers=2, catalogs=0, per_cell=10)
    monkeypatch.setattr(worlds, "mixed_drops", small)
    kw = dict(worlds="mixed", inputs="v3", batch=4, schedule="cosine", lr_min=1e-4)
    straight = train(_cfg(epochs=2, **kw), cache / "a", progress=False, log=lambda m: None)
    train(_cfg(epochs=2, max_minutes=1e-6, **kw), cache / "b", progress=False, log=lambda m: None)   # stops after 1
    resumed = train(_cfg(epochs=2, **kw), cache / "b", resume=True, progress=False, log=lambda m: None)
    assert [h["val_wsr"] for h in resumed["history"]] == pytest.approx([h["val_wsr"] for h in straight["history"]],
                                                                      rel=1e-9)
    assert straight["net_config"]["inputs"] == "v3" and straight["data"]["kind"] == "mixed"
    assert [w["kind"] for w in straight["data"]["worlds"]][:2] == ["walker", "walker"]
    assert load_weights(cache / "a" / "best.pt").config.inputs == "v3"
    from agents.experiments.train import _splits
    train_set, val = _splits(_cfg(**kw), progress=False)             # 2 worlds x (8 train, 1 val) drops per shape
    assert [len(t) for t in train_set] == [16, 16] and [len(v) for v in val] == [2, 2]
    assert [t.shape[1:3] for t in train_set] == [(2, 4), (3, 6)]
    with pytest.raises(ValueError, match="worlds"):
        train(_cfg(epochs=2, **{**kw, "worlds": "walker"}), cache / "b", resume=True, progress=False)
