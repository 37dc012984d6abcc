#!/bin/sh
# v3 Dec-TFC-WM stage 2: from stage 1's best (runs/training/v3-dec/best.pt, epoch 15, nearest-rule drops) on
# connected-rule mixed drops. From the repository root.
OUT=${OUT:-/work/train-v3-dec2/run}
exec nice -n 19 .venv/bin/python -m agents.cli train --arch dec --inputs v3 --worlds mixed --loss log --init runs/training/v3-dec/best.pt --epochs 25 --schedule cosine --warmup-steps 100 --lr 2e-4 --lr-min 5e-6 --max-minutes 75 --threads 1 --out "$OUT" --no-progress "$@"
