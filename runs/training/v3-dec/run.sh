#!/bin/sh
# v3 Dec-TFC-WM training (nets branch); resume with the same line plus --resume
cd /work/wt-nets
PYTHONPATH=/work/wt-nets exec nice -n 19 /work/main/.venv/bin/python -m agents.cli train --arch dec --inputs v3 --worlds mixed --loss log --init agents/nets/weights/dec_tfc_wm.pt --epochs 30 --schedule cosine --warmup-steps 200 --lr 3e-4 --lr-min 1e-5 --max-minutes 120 --threads 1 --out /work/train-v3-dec --no-progress "$@"
