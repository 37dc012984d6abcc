"""``satcoop train``: unsupervised training of the learned precoders Cen-TFC-WM / Dec-TFC-WM.

    satcoop train --arch cen|dec [--S 3] [--K 12] [--epochs 30] [--out DIR] [--resume] [--force]
                  [--max-minutes M] [--batch 32] [--lr 1e-3] [--samples 32] [--seed 0]
                  [--data-seed 2026] [--drops 10000] [--hidden 64] [--features 64] [--layers 3]
                  [--schedule plateau|cosine] [--lr-min 1e-5] [--warmup-steps 0] [--extra-train-drops 0]
                  [--loss wsr|log] [--init WEIGHTS] [--inputs v2|v3] [--worlds walker|mixed]
                  [--threads 1] [--no-progress]

Writes to ``--out`` (default ``runs/train-<arch>``): ``best.pt`` (weights of the best
validation epoch, loadable with ``satcoop compare --weights``), ``checkpoint.pt`` (resumable),
``metrics.json`` (invocation, data seed and splits, per-epoch training/validation rates) and
``curve.png``. The logic lives in :mod:`agents.experiments.train`.
"""
from __future__ import annotations

import shlex
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train the learned precoders (Cen-TFC-WM / Dec-TFC-WM) on world drops",
        description="Unsupervised training of the tensor-equivariant TFC networks on drops of the world model: "
                    "loss = negative ergodic weighted sum rate (60); validation each epoch, best weights kept, "
                    "checkpoint each epoch (--resume continues).")
    p.add_argument("--arch", choices=("cen", "dec"), required=True, help="cen = Cen-TFC-WM, dec = Dec-TFC-WM")
    p.add_argument("--S", type=int, default=3, help="cooperating satellites of the training drops (default 3)")
    p.add_argument("--K", type=int, default=12, help="user terminals of the training drops (default 12)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs (default 30)")
    p.add_argument("--out", default=None, help="output directory (default runs/train-<arch>)")
    p.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pt")
    p.add_argument("--force", action="store_true",
                   help="start a new run in --out even if it holds a training run (or other files)")
    p.add_argument("--max-minutes", dest="max_minutes", type=float, default=None,
                   help="wall-clock budget: stop before an epoch that would end after it (default: none)")
    p.add_argument("--batch", type=int, default=32, help="drops per training step (default 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--samples", type=int, default=32, help="Monte Carlo samples of the rate per step (default 32)")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation, shuffling, budgets, Monte Carlo (default 0)")
    p.add_argument("--data-seed", dest="data_seed", type=int, default=None,
                   help="seed of the world drops (default agents.nets.DATA_SEED = 2026)")
    p.add_argument("--drops", type=int, default=10_000, help="drops in the data set, split 70/20/10 %% (default 10000)")
    p.add_argument("--hidden", type=int, default=64, help="hidden size d_h of the TEN layers (default 64)")
    p.add_argument("--features", type=int, default=64, help="TEN output features F (default 64)")
    p.add_argument("--layers", type=int, default=3, help="MDE blocks L (default 3)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--schedule", choices=("plateau", "cosine"), default="plateau",
                   help="learning-rate schedule: plateau = halve on a stalled validation rate (default); "
                        "cosine = anneal per step from --lr to --lr-min over --epochs")
    p.add_argument("--lr-min", dest="lr_min", type=float, default=1e-5, help="final learning rate of cosine (default 1e-5)")
    p.add_argument("--warmup-steps", dest="warmup_steps", type=int, default=0,
                   help="linear warm-up steps of cosine (default 0)")
    p.add_argument("--loss", choices=("wsr", "log"), default="wsr",
                   help="wsr = the negative weighted sum rate (60) (default); log = its logarithm per drop "
                        "(every power counts alike, relatively)")
    p.add_argument("--init", default=None, help="start from these weights (best.pt of an earlier run): a fine-tuning stage")
    p.add_argument("--extra-train-drops", dest="extra_train_drops", type=int, default=0,
                   help="train also on drops [drops, drops+E) of the data seed (validation and test splits unchanged; default 0)")
    p.add_argument("--inputs", choices=("v2", "v3"), default="v2",
                   help="input features: v2 = those of the shipped weights (default); v3 = scale-invariant "
                        "(beta over the noise and a per-drop scale)")
    p.add_argument("--worlds", choices=("walker", "mixed"), default="walker",
                   help="training drops: walker = the Walker default at --S/--K (default); mixed = Walker shells "
                        "340-1,200 km and 43-98 deg, multi-shell catalogues, S 2-4, K 6-30 (docs/learned.md)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars on stderr")
    p.set_defaults(func=run)


def run(args) -> int:
    from agents.config import BadInput, TrainConfig, parse
    from agents.config.train import DATA_SEED, TRAIN_OPTIONS
    from agents.experiments.train import train

    data = dict(arch=args.arch, S=args.S, K=args.K, epochs=args.epochs, batch=args.batch, lr=args.lr,
                samples=args.samples, seed=args.seed, data_seed=DATA_SEED if args.data_seed is None else args.data_seed,
                drops=args.drops, max_minutes=args.max_minutes, threads=args.threads, d_hidden=args.hidden,
                features=args.features, layers=args.layers, schedule=args.schedule, lr_min=args.lr_min,
                warmup_steps=args.warmup_steps, extra_train_drops=args.extra_train_drops, loss=args.loss,
                init=args.init, inputs=args.inputs, worlds=args.worlds)
    cfg = parse(TrainConfig, data, rename=lambda n: TRAIN_OPTIONS.get(n, "--" + n.replace("_", "-")))
    if args.out is not None and not args.out.strip():
        raise BadInput("--out '': give a folder name (the current directory is never used as a training folder)")
    out = args.out or f"runs/train-{args.arch}"
    invocation = "satcoop " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    from .common import progress_wanted
    rec = train(cfg, out, resume=args.resume, progress=progress_wanted(args.progress), invocation=invocation,
                force=args.force, handle_signals=True)
    print(f"{'Cen' if args.arch == 'cen' else 'Dec'}-TFC-WM: {rec['epochs_run']} epochs, best validation WSR "
          f"{rec['best_val_wsr']:.3f} bit/s/Hz at epoch {rec['best_epoch']}, {rec['train_seconds'] / 60:.1f} min "
          f"(stopped: {rec['stopped']}); weights {out}/best.pt, metrics {out}/metrics.json, curve {out}/curve.png")
    return 0
