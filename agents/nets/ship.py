"""Ship trained weights inside the package: ``agents/nets/weights/{cen,dec}_tfc_wm.{pt,json}``.

``ship(run_dir, arch)`` copies ``run_dir/best.pt`` (written by ``satcoop train``; the tensors
are not touched), adds to its metadata the data seed and splits, and writes the JSON record
next to it: the exact ``satcoop train`` invocation(s), data seed, training metrics (epochs,
wall time, validation curve) and reference figures -- the mean ergodic WSR of the shipped
net on a fixed small set of test-split drops (:data:`REFERENCE`), which
``tests/agents/nets/test_shipped.py`` recomputes -- and copies the training curve (``*_curve.png``).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from agents.precoding.rates import ergodic_rates

from .schemes import SHIPPED, WEIGHTS_DIR, load_net

__all__ = ["REFERENCE", "reference_figures", "ship"]

REFERENCE = {"first": 9000, "drops": 6, "power_dbw": [-10.0, 0.0, 10.0], "samples": 256, "mc_seed": 7}


def reference_figures(net, data_seed: int, ref: dict = REFERENCE, s: int = 3, k: int = 12) -> dict:
    """Mean WSR (bit/s/Hz) and its Monte Carlo standard error per power on drops
    ``[first, first+drops)`` of ``data_seed`` (drawn directly from the world, no cache), members chosen by
    ``ref["selection"]`` (absent: "nearest", the rule of the weights shipped before selections existed)."""
    from agents.nets.dataset import drop_world
    from agents.precoding.problem import PrecodingProblem

    csi = drop_world(s, k, ref.get("selection", "nearest")).draw_drops(ref["drops"], data_seed, first=ref["first"]).csi
    out = {}
    for pdb in ref["power_dbw"]:
        prob = PrecodingProblem.from_csi(csi, power_dbw=pdb)
        with torch.no_grad():
            prec, _ = net(prob)
            est = ergodic_rates(prob, prec, samples=ref["samples"], generator=torch.Generator().manual_seed(ref["mc_seed"]))
        out[f"{pdb:g}"] = {"wsr_mean": float(est.wsr.mean()),
                           "mc_stderr": float(torch.sqrt((est.wsr_stderr ** 2).sum()) / len(est.wsr))}
    return out


def ship(run_dir, arch: str, dest: Path = WEIGHTS_DIR) -> dict:
    run = Path(run_dir)
    metrics = json.loads((run / "metrics.json").read_text())
    if metrics["arch"] != arch:
        raise ValueError(f"ship: {run} holds a {metrics['arch']!r} run, not {arch!r}")
    blob = torch.load(run / "best.pt", map_location="cpu", weights_only=True)
    data = metrics["data"]
    blob["meta"] = dict(blob.get("meta", {}), data=data, invocations=metrics["invocations"])
    stages, m = [], metrics                         # fine-tuning stages (--init): oldest first
    while m.get("init"):
        m = m["init"]
        stages.insert(0, m)
    produced_by = [inv for st in stages for inv in (st.get("invocations") or [])] + metrics["invocations"]
    total_s = sum(st.get("train_seconds") or 0.0 for st in stages) + metrics["train_seconds"]
    blob["meta"]["invocations"] = produced_by
    dest.mkdir(parents=True, exist_ok=True)
    pt = dest / f"{SHIPPED[arch]}.pt"
    torch.save(blob, pt)
    net = load_net(pt)
    torch.set_num_threads(1)
    record = {
        "scheme": {"cen": "Cen-TFC-WM", "dec": "Dec-TFC-WM"}[arch],
        "produced_by": produced_by,
        "data": data,
        "net_config": metrics["net_config"],
        "train_config": metrics["train_config"],
        "training": {"epochs_run": metrics["epochs_run"], "best_epoch": metrics["best_epoch"],
                     "best_val_wsr": metrics["best_val_wsr"], "train_seconds": metrics["train_seconds"],
                     "stopped": metrics["stopped"], "train_seconds_all_stages": total_s,
                     "stages": [{"invocations": st.get("invocations"), "train_seconds": st.get("train_seconds"),
                                 "best_epoch": st.get("best_epoch"), "best_val_wsr": st.get("best_val_wsr")}
                                for st in stages],
                     "val_curve": [[h["epoch"], h["val_wsr"]] for h in metrics["history"]]},
        "parameters": int(sum(v.numel() for v in net.state_dict().values())),
        "reference": dict(REFERENCE, data_seed=data["seed"], selection=data.get("selection", "nearest"),
                          figures=reference_figures(net, data["seed"], dict(REFERENCE, selection=data.get(
                              "selection", "nearest")))),
    }
    pt.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    if (run / "curve.png").exists():
        shutil.copyfile(run / "curve.png", dest / f"{SHIPPED[arch]}_curve.png")
    return record
