"""Unsupervised training of Cen-TFC-WM / Dec-TFC-WM (multi-satellite paper, Section V-B/C, Algorithms 2-3).

Loss (60): the negative weighted sum of the ergodic rates (16) of the recovered precoders,
``-mean_b sum_{s,k} a_{s,k} R_{s,k}`` (``loss="wsr"``), estimated by :func:`agents.precoding.rates.ergodic_rates`
(differentiable; ``samples`` fresh NLoS draws per step from a generator keyed by
(seed, epoch, step)). Each training sample's per-satellite budget is drawn from
{-10, -5, 0, 5, 10} dBW (keyed by (seed, epoch)). Adam; gradient norm clipped at 10.
Learning-rate schedule (``schedule``): "plateau" halves it when the validation rate stalls
(ReduceLROnPlateau, patience 2); "cosine" anneals it per step from ``lr`` to ``lr_min`` over
``epochs`` (after ``warmup_steps`` of linear warm-up), a fixed function of the step count,
so a resumed run follows the same curve. (The plateau rule halves the rate on Monte Carlo
noise in the validation figure: the first shipped nets spent most of their epochs below
1e-5. Cosine keeps it useful to the last epoch.)

Training drops: ``[0, 0.7 drops)`` of the data seed, plus, with ``extra_train_drops`` E > 0,
drops ``[drops, drops + E)`` of the same seed (fresh drops beyond the validation and test
splits, which stay ``[0.7, 0.9)`` and ``[0.9, 1.0)`` of ``drops``: drop i is a function of
(data seed, i), so adding training drops changes no validation or test drop).

``loss="log"``: ``-mean_b log(sum_{s,k} a_{s,k} R_{s,k})`` instead, the same objective per drop
with each drop's gradient divided by its own rate: a drop at -10 dBW (~40 bit/s/Hz) then
counts as much, relatively, as one at 10 dBW (~120) -- (60) lets the high-power drops dominate.

``init``: start from the weights of an earlier ``satcoop train`` run (its ``best.pt``; fresh
optimizer and schedule: a fine-tuning stage). Its invocations and wall time are recorded
with the new run, so the record of shipped weights names every stage.

Validation after every epoch (and once before training, the untrained net) on the
validation split: drop i at power index i mod 5, ``val_samples`` draws from fixed
generators, so the figure is comparable across epochs. The best epoch's weights are kept
(``best.pt``); a full checkpoint (net, optimizer, scheduler, history) is written after every
epoch (``checkpoint.pt``), so ``resume=True`` continues an interrupted run exactly where the
last finished epoch left it. ``max_minutes`` stops before an epoch that would not finish
within that wall-clock budget (counted in this process). Outputs in ``out_dir``:
``best.pt`` / ``checkpoint.pt`` / ``metrics.json`` / ``curve.png``. In the history,
``train_loss`` is minus the epoch's running mean training WSR (bit/s/Hz), whatever ``loss``.
"""
from __future__ import annotations

from constellation.checks import BadInput

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from agents.experiments.stopping import stop_on_signals
from agents.files import claim_folder, mark_complete, mark_partial, write_text, write_with
from agents.precoding.rates import ergodic_rates

from agents.config.train import TrainConfig
from agents.nets.cen_tfc import NetConfig
from agents.nets.checkpoint import load_checkpoint
from agents.nets.dataset import POWERS_DBW, load_drops
from agents.nets.weights import build_net, save_weights

__all__ = ["train", "evaluate", "TRAIN_FILES"]

# what makes a folder a training run's (a folder holding one is refused without --resume / --force)
TRAIN_FILES = ("checkpoint.pt", "metrics.json", "best.pt")


def _splits(cfg: TrainConfig, progress: bool):
    if cfg.worlds == "mixed":                    # one DropSet per (S, K) shape, every world in each
        from agents.nets.worlds import mixed_drops
        return (mixed_drops(cfg.data_seed, "train", progress=progress, selection=cfg.selection),
                mixed_drops(cfg.data_seed, "val", progress=progress, selection=cfg.selection))
    ds = load_drops(cfg.S, cfg.K, cfg.data_seed, cfg.drops + cfg.extra_train_drops, progress=progress,
                    selection=cfg.selection)
    n_tr, n_va = int(0.7 * cfg.drops), int(0.2 * cfg.drops)
    sub = lambda rows, lo: type(ds)(ds.g[rows], ds.d0[rows], ds.beta[rows], ds.kappa[rows], ds.sigma[rows],
                                    ds.noise_w[rows], ds.seed, lo)
    # the training DropSet's rows are not contiguous drop indices when extra drops are added:
    # its ``first`` is nominal (DropSet.split must not be used on it; nothing does)
    train_rows = np.r_[0:n_tr, cfg.drops:cfg.drops + cfg.extra_train_drops]
    return sub(train_rows, 0), sub(np.arange(n_tr, n_tr + n_va), n_tr)


def _scheduler(cfg: TrainConfig, opt, steps_per_epoch: int):
    """The learning-rate schedule of ``cfg.schedule`` (see module docstring)."""
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=2)
    total = max(cfg.epochs * steps_per_epoch, 1)
    floor = cfg.lr_min / cfg.lr

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        t = min((step - cfg.warmup_steps) / max(total - cfg.warmup_steps, 1), 1.0)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * t))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _epoch_batches(train_set, rng: np.random.Generator, batch: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The steps of one epoch as (group, rows, budgets dBW). One DropSet: a permutation of its rows in
    batches, a budget per row (the draws of the shipped weights' runs). A list of DropSets (one per
    (S, K) shape, :mod:`agents.nets.worlds`): each group permuted and cut into batches, budgets per
    row, then the batches of all groups in a random order: every step one shape, its drops from
    every world (mixed batches)."""
    powers = np.asarray(POWERS_DBW)
    groups = train_set if isinstance(train_set, list) else [train_set]
    steps = []
    for gi, grp in enumerate(groups):
        n = len(grp)
        perm = rng.permutation(n)
        pdb = powers[rng.integers(0, len(powers), n)]
        steps += [(gi, perm[lo:lo + batch], pdb[perm[lo:lo + batch]]) for lo in range(0, n, batch)]
    if len(groups) > 1:
        steps = [steps[i] for i in rng.permutation(len(steps))]
    return steps


def evaluate(net, drops, samples: int = 64, seed: int = 0, batch: int = 200) -> dict:
    """Mean ergodic WSR (bit/s/Hz) of ``net`` on a DropSet, drop i at power index i mod 5 (and per power).
    Monte Carlo generators keyed by (seed, block) so the figure is fixed for fixed weights. A list of
    DropSets: the mean over all their drops (each set evaluated with seed ``seed + 7919 g``)."""
    if isinstance(drops, list):
        parts = [(len(d), evaluate(net, d, samples, seed + 7919 * g, batch)) for g, d in enumerate(drops)]
        n = sum(c for c, _ in parts)
        keys = parts[0][1]["wsr_by_power"].keys()
        return {"wsr": sum(c * e["wsr"] for c, e in parts) / n,
                "wsr_by_power": {p: float(np.mean([e["wsr_by_power"][p] for _, e in parts if p in e["wsr_by_power"]]))
                                 for p in keys}}
    was = net.training
    net.eval()
    wsr = np.zeros(len(drops))
    pidx = np.arange(len(drops)) % len(POWERS_DBW)
    with torch.no_grad():
        for bi, lo in enumerate(range(0, len(drops), batch)):
            idx = np.arange(lo, min(lo + batch, len(drops)))
            prob = drops.problem(idx, np.asarray(POWERS_DBW)[pidx[idx]])
            prec, _ = net(prob)
            gen = torch.Generator().manual_seed(seed * 1_000_003 + bi)
            wsr[idx] = ergodic_rates(prob, prec, samples=samples, generator=gen).wsr.numpy()
    net.train(was)
    return {"wsr": float(wsr.mean()),
            "wsr_by_power": {f"{p:g}": float(wsr[pidx == i].mean()) for i, p in enumerate(POWERS_DBW) if (pidx == i).any()}}


def _plot(history: list[dict], path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ep, [h["val_wsr"] for h in history], "o-", label="validation WSR")
    tr = [(h["epoch"], -h["train_loss"]) for h in history if h.get("train_loss") is not None]
    if tr:
        ax.plot(*zip(*tr), "s--", label="training WSR (-loss, running)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("weighted sum rate (bit/s/Hz)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    write_with(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)


def train(cfg: TrainConfig, out_dir, resume: bool = False, progress: bool = True, invocation: str | None = None,
          log=None, force: bool = False, handle_signals: bool = False) -> dict:
    """Train (or resume) a TFC net; returns the metrics record (also written to ``out_dir/metrics.json``).

    Without ``resume`` the folder must be new or empty: a training run's folder (finished or cut short)
    or any other non-empty folder is refused unless ``force`` (the new run then replaces its files).
    The folder holds ``PARTIAL`` while the run is going; it is removed when the run ends normally.
    ``handle_signals``: on SIGINT / SIGTERM the run stops at the next step, ``metrics.json`` says
    ``"stopped": "interrupted"``, ``checkpoint.pt`` (the last finished epoch) and PARTIAL stay (``resume``
    continues from there) and :class:`~agents.experiments.stopping.Interrupted` is raised."""
    cfg = TrainConfig.model_validate(cfg.model_dump()) if isinstance(cfg, TrainConfig) else TrainConfig(**cfg)
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    out = Path(out_dir)
    if resume and not (out / "checkpoint.pt").exists():
        raise BadInput(f"--resume: no checkpoint at {out / 'checkpoint.pt'}")
    if not resume:
        claim_folder(out, option="--out", kind="training run", own=TRAIN_FILES, force=force,
                     resume_hint="--resume to continue it")
    ck = load_checkpoint(out / "checkpoint.pt") if resume else None    # weights_only: runs nothing
    try:
        out.mkdir(parents=True, exist_ok=True)
        mark_partial(out, "satcoop train: running; this file is removed when the run ends (resume with --resume)")
    except OSError as exc:
        raise BadInput(f"--out {str(out)!r}: cannot create the training folder and write in it "
                       f"({exc.strerror or type(exc).__name__})") from None
    threads_before = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        with stop_on_signals(handle_signals) as stop:
            return _train(cfg, out, ck, progress, invocation, log, stop)
    finally:
        torch.set_num_threads(threads_before)


def _train(cfg, out, ck, progress, invocation, log, stop):
    from tqdm import tqdm

    t_start = time.perf_counter()
    train_set, val_set = _splits(cfg, progress)
    ncfg = NetConfig(arch=cfg.arch, d_hidden=cfg.d_hidden, layers=cfg.layers, features=cfg.features,
                     **{"inputs": cfg.inputs, **cfg.net})
    shape = (train_set[0] if isinstance(train_set, list) else train_set).shape
    if (shape[3], shape[4]) != (ncfg.m, ncfg.n):
        raise BadInput(f"the world's M={shape[3]}, N={shape[4]} differ from the net's {ncfg.m}, {ncfg.n}")
    torch.manual_seed(cfg.seed)
    net = build_net(ncfg)
    if cfg.init:
        if Path(cfg.init).resolve().parent == out.resolve():
            raise BadInput(f"init: {cfg.init} is inside this run's --out {out}; start the fine-tuning stage in another --out")
        _init_from(cfg, net, ncfg)
    parent = _parent_record(cfg)            # snapshot: the parent's record as it was when this stage started
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    groups = train_set if isinstance(train_set, list) else [train_set]
    sched = _scheduler(cfg, opt, sum(math.ceil(len(g) / cfg.batch) for g in groups))
    per_step = cfg.schedule != "plateau"
    ckpt_path, best_path = out / "checkpoint.pt", out / "best.pt"
    history, best, start_epoch, prior_s = [], -math.inf, 1, 0.0
    invocations = [invocation]
    if ck is not None:                           # the checkpoint, loaded (and checked) by train()
        if ck["train_config"]["arch"] != cfg.arch or _net_config_dict(ck["net_config"]) != ncfg.to_dict():
            raise BadInput(f"--resume: the checkpoint in {out} was made with another configuration "
                             f"({ck['train_config']}); use another --out")
        for key in ("S", "K", "seed", "data_seed", "samples", "val_samples", "schedule", "lr", "lr_min", "warmup_steps",
                    "extra_train_drops", "batch", "drops", "loss", "init", "inputs", "worlds") + \
                (("epochs",) if cfg.schedule == "cosine" else ()):
            was = ck["train_config"].get(key, TrainConfig.model_fields[key].default)
            if was != getattr(cfg, key):
                raise BadInput(f"--resume: {key} was {was!r} in the checkpoint in {out}, got {getattr(cfg, key)!r}; "
                                 f"a resumed run must keep it (or use another --out)")
        net.load_state_dict(ck["net"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        history, best, start_epoch, prior_s = ck["history"], ck["best"], ck["epoch"] + 1, ck["train_seconds"]
        parent = ck.get("parent", parent)
        invocations = ck.get("invocations", []) + [invocation]
        log(f"resumed from epoch {ck['epoch']} (best validation WSR {best:.3f})")
    else:
        ev = evaluate(net, val_set, cfg.val_samples, seed=cfg.seed)
        history.append({"epoch": 0, "train_loss": None, "val_wsr": ev["wsr"], "val_wsr_by_power": ev["wsr_by_power"],
                        "lr": cfg.lr, "epoch_seconds": 0.0, "skipped_steps": 0})
        log(f"epoch 0 (untrained): validation WSR {ev['wsr']:.3f} bit/s/Hz")
    last_epoch_s = None
    stopped = "epochs"
    for epoch in range(start_epoch, cfg.epochs + 1):
        elapsed_min = (time.perf_counter() - t_start) / 60.0
        if cfg.max_minutes is not None and last_epoch_s is not None and \
                elapsed_min + 1.1 * last_epoch_s / 60.0 > cfg.max_minutes:
            stopped = "max_minutes"
            log(f"stopping before epoch {epoch}: wall-clock budget of {cfg.max_minutes} min")
            break
        if stop:
            break
        t0 = time.perf_counter()
        plan = _epoch_batches(train_set, np.random.default_rng([cfg.seed, epoch]), cfg.batch)
        net.train()
        total, count, skipped = 0.0, 0, 0
        bar = tqdm(range(len(plan)), desc=f"{cfg.arch} epoch {epoch}", unit="step", file=sys.stderr,
                   disable=not progress, mininterval=5.0)
        for step in bar:
            gi, idx, pdb = plan[step]
            prob = groups[gi].problem(idx, pdb)
            prec, _ = net(prob)
            gen = torch.Generator().manual_seed((cfg.seed * 100_003 + epoch) * 1_000_003 + step)
            wsr = ergodic_rates(prob, prec, samples=cfg.samples, generator=gen).wsr
            loss = -(wsr.clamp_min(1e-6).log().mean() if cfg.loss == "log" else wsr.mean())
            if not torch.isfinite(loss):
                skipped += 1
                opt.zero_grad(set_to_none=True)
                continue
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            if not torch.isfinite(gnorm):
                skipped += 1
                opt.zero_grad(set_to_none=True)
                continue
            opt.step()
            if per_step:
                sched.step()
            total += -wsr.mean().item() * len(idx)
            count += len(idx)
            if step % 20 == 0:
                bar.set_postfix_str(f"wsr {-total / max(count, 1):.2f}")
            if stop:                             # the epoch is dropped: resume redoes it from the checkpoint
                break
        bar.close()
        if stop:
            break
        ev = evaluate(net, val_set, cfg.val_samples, seed=cfg.seed)
        if not per_step:
            sched.step(ev["wsr"])
        last_epoch_s = time.perf_counter() - t0
        rec = {"epoch": epoch, "train_loss": total / max(count, 1), "val_wsr": ev["wsr"],
               "val_wsr_by_power": ev["wsr_by_power"], "lr": opt.param_groups[0]["lr"],
               "epoch_seconds": last_epoch_s, "skipped_steps": skipped}
        history.append(rec)
        improved = ev["wsr"] > best
        if improved:
            best = ev["wsr"]
            save_weights(net, best_path, {"epoch": epoch, "val_wsr": best, "data": _data_record(cfg)})
        train_s = prior_s + (time.perf_counter() - t_start)
        ckpt = {"net": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "history": history, "best": best, "epoch": epoch, "train_seconds": train_s,
                "train_config": cfg.model_dump(), "net_config": ncfg.to_dict(), "invocations": invocations,
                "parent": parent}
        write_with(ckpt_path, lambda f: torch.save(ckpt, f))     # exclusive temp name + rename: never via a symlink
        log(f"epoch {epoch}: train WSR {-rec['train_loss']:.3f}, validation WSR {ev['wsr']:.3f} "
            f"({'best' if improved else f'best {best:.3f}'}), lr {rec['lr']:.1e}, {last_epoch_s:.0f} s")
        _write_metrics(cfg, ncfg, out, history, best, train_s, invocations, stopped="running", parent=parent)
    if start_epoch > cfg.epochs:
        stopped = "epochs"
    train_s = prior_s + (time.perf_counter() - t_start)
    if stop:
        _write_metrics(cfg, ncfg, out, history, best, train_s, invocations, "interrupted", parent=parent)
        done = history[-1]["epoch"]
        stop.check(f"stopped during epoch {done + 1}; {out / 'checkpoint.pt'} holds epoch {done}: "
                   f"continue with --resume" if done else "stopped during epoch 1, nothing to resume: run again with --force")
    if not best_path.exists():
        save_weights(net, best_path, {"epoch": history[-1]["epoch"], "val_wsr": history[-1]["val_wsr"]})
    rec = _write_metrics(cfg, ncfg, out, history, best, train_s, invocations, stopped, parent=parent)
    mark_complete(out)
    return rec


def _init_from(cfg: TrainConfig, net, ncfg: NetConfig) -> None:
    """Load the starting weights of a fine-tuning stage (same architecture and sizes), checked by
    :func:`agents.nets.weights.load_weights`. v2 weights may start a v3 run (:func:`v3_state_from_v2`)."""
    from agents.nets.weights import load_weights
    start = load_weights(cfg.init, "--init")                  # checked: one line naming --init otherwise
    have, want = start.config.to_dict(), ncfg.to_dict()
    v2_to_v3 = want["inputs"] == "v3" and have == dict(want, inputs="v2")
    if have != want and not v2_to_v3:
        diff = {k: v for k, v in have.items() if want.get(k) != v}
        raise BadInput(f"--init: {cfg.init} holds a net with {diff}, this run builds "
                       f"{ {k: want[k] for k in diff} } (--arch/--hidden/--features/--layers/--inputs must match)")
    state = start.state_dict()
    net.load_state_dict(v3_state_from_v2(state, ncfg.arch) if v2_to_v3 else state)


def v3_state_from_v2(state: dict, arch: str, noise_dbw: float | None = None) -> dict:
    """Weights of a v2 net re-expressed for v3 inputs, exactly equal to the v2 net wherever every UT's
    noise is ``noise_dbw`` (default: the world's, :class:`constellation.channel.ChannelConfig`).

    Link row slots (:mod:`agents.nets.features`) [.., 4: noise, 5: power, 6: beta, ..]: v2 has
    n = (sigma^2_dB - NOISE_DB0)/10, p = P_dB/10, b = (beta_dB - BETA_DB0)/10; v3 has
    q = (P_dB + beta_dB - sigma^2_dB - SNR_DB0)/10, p, r = (beta_dB - mean_k beta_dB)/10. With
    n0 = (noise_dbw - NOISE_DB0)/10 and c = (SNR_DB0 + NOISE_DB0 - BETA_DB0)/10, b = q - p + n0 + c at that
    noise, so W_q = W_b, W_p -= W_b, W_r = 0, bias += W_n n0 + W_b (n0 + c).
    Other-satellite rows [.., 4: noise, ..]: v2 n = v3 relative noise + n0 (equal noise): bias += W_n n0."""
    from agents.nets.features import BETA_DB0, NOISE_DB0, SNR_DB0
    from constellation.channel import ChannelConfig

    n0 = ((ChannelConfig().noise_dbw if noise_dbw is None else noise_dbw) - NOISE_DB0) / 10.0
    shift = (SNR_DB0 + NOISE_DB0 - BETA_DB0) / 10.0
    out = dict(state)
    link = {"cen": ("ten",), "dec": ("loc",)}[arch]
    for prefix in link + (("oth",) if arch == "dec" else ()):
        w = state[f"{prefix}.inp.weight"].double().clone()
        bias = state[f"{prefix}.inp.bias"].double().clone()
        if prefix in link:
            w_n, w_b = w[:, 4].clone(), w[:, 6].clone()
            bias += w_n * n0 + w_b * (n0 + shift)
            w[:, 4], w[:, 5], w[:, 6] = w_b, w[:, 5] - w_b, 0.0
        else:
            bias += w[:, 4] * n0
        out[f"{prefix}.inp.weight"] = w.to(state[f"{prefix}.inp.weight"].dtype)
        out[f"{prefix}.inp.bias"] = bias.to(state[f"{prefix}.inp.bias"].dtype)
    return out


def _net_config_dict(d) -> dict | None:
    """A stored net config with today's defaults filled in (files written before a field existed,
    e.g. ``inputs``, hold the default's meaning); None if it is not a valid config."""
    try:
        return NetConfig.from_dict(d).to_dict()
    except (TypeError, ValueError, AttributeError):
        return None


def _parent_record(cfg) -> dict | None:
    """What the ``init`` weights came from: their run's invocations, wall time and best validation
    WSR (its ``metrics.json``, next to the file), so a fine-tuned net's record names every stage."""
    if not getattr(cfg, "init", None):
        return None
    path = Path(cfg.init)
    rec = {"weights": str(path)}
    metrics = path.parent / "metrics.json"
    if metrics.exists():
        m = json.loads(metrics.read_text())
        rec.update(invocations=m.get("invocations"), train_seconds=m.get("train_seconds"),
                   best_epoch=m.get("best_epoch"), best_val_wsr=m.get("best_val_wsr"),
                   train_config=m.get("train_config"), init=m.get("init"))
    return rec


def _data_record(cfg) -> dict:
    if getattr(cfg, "worlds", "walker") == "mixed":
        from agents.nets.worlds import mixed_record
        return mixed_record(cfg.data_seed, selection=getattr(cfg, "selection", "connected"))
    extra = getattr(cfg, "extra_train_drops", 0)
    return {"seed": cfg.data_seed, "drops": cfg.drops, "train": [0, int(0.7 * cfg.drops)],
            **({"train_extra": [cfg.drops, cfg.drops + extra]} if extra else {}),
            "val": [int(0.7 * cfg.drops), int(0.9 * cfg.drops)], "test": [int(0.9 * cfg.drops), cfg.drops],
            "selection": getattr(cfg, "selection", "connected"),
            "source": "agents.nets.dataset.drop_world(S, K, selection).draw_drops(n, data_seed, first=i)"}


def _write_metrics(cfg, ncfg, out, history, best, train_s, invocations, stopped, parent=None) -> dict:
    best_epoch = max((h for h in history), key=lambda h: h["val_wsr"])["epoch"]
    rec = {"arch": cfg.arch, "invocations": invocations, "train_config": cfg.model_dump(), "net_config": ncfg.to_dict(),
           "data": _data_record(cfg),
           "best_epoch": best_epoch, "best_val_wsr": best, "epochs_run": history[-1]["epoch"],
           "train_seconds": train_s, "stopped": stopped, "history": history,
           **({"init": parent} if parent else {})}
    write_text(out / "metrics.json", json.dumps(rec, indent=2))
    try:
        _plot(history, out / "curve.png", f"{'Cen' if cfg.arch == 'cen' else 'Dec'}-TFC-WM, S={cfg.S}, K={cfg.K}")
    except Exception as exc:            # a plotting failure must not lose a training run
        print(f"curve.png not written: {exc}", file=sys.stderr)
    return rec
