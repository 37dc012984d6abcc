#!/bin/sh
# v3 Cen-TFC-WM stage 3: from stage 2's best (runs/training/v3-cen2/best.pt) with the plain WSR loss (60), which
# weights the high powers where stage 2 misses; connected-rule mixed drops. From the repository root.
OUT=${OUT:-/work/train-v3-cen3/run}
exec nice -n 19 .venv/bin/python -m agents.cli train --arch cen --inputs v3 --worlds mixed --loss wsr --init runs/training/v3-cen2/best.pt --epochs 15 --schedule cosine --warmup-steps 50 --lr 1e-4 --lr-min 5e-6 --max-minutes 50 --threads 1 --out "$OUT" --no-progress "$@"
