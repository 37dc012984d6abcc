#!/bin/sh
# v3 Cen-TFC-WM stage 2: from the stage-1 best weights (runs/training/v3-cen/best.pt), on connected-rule
# mixed drops. Run from the repository root with the venv's python; OUT = where to write (default /work/train-v3-cen2/run).
OUT=${OUT:-/work/train-v3-cen2/run}
exec nice -n 19 .venv/bin/python -m agents.cli train --arch cen --inputs v3 --worlds mixed --loss log --init runs/training/v3-cen/best.pt --epochs 20 --schedule cosine --warmup-steps 100 --lr 1.5e-4 --lr-min 5e-6 --max-minutes 100 --threads 1 --out "$OUT" --no-progress "$@"
