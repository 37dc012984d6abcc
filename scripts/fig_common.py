"""Shared helpers of the figure scripts (``scripts/fig_*.py``): load (or run) a sweep, aggregate over
replicates with confidence intervals, write the figure's data as CSV next to its PNG.

Every figure script draws from a sweep's ``results.parquet`` (``satcoop sweep runs/X.toml --out
runs/sweep-X``); with ``--run`` it runs (or resumes) the sweep first.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"


def parser(doc: str, config: str, out: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(ROOT / "runs" / config), help=f"sweep config (default runs/{config})")
    ap.add_argument("--sweep-dir", default=str(ROOT / "runs" / out), help=f"sweep folder (default runs/{out})")
    ap.add_argument("--run", action="store_true", help="run (or resume) the sweep before drawing")
    ap.add_argument("--figures", default=str(FIGURES), help="where the PNG and CSV go (default docs/figures)")
    return ap


def load(config: str, sweep_dir: str, run: bool) -> pd.DataFrame:
    """The sweep's tidy table (ok rows only; failed units are reported on stderr)."""
    path = Path(sweep_dir) / "results.parquet"
    if run or not path.exists():
        from agents.experiments.sweep import load_sweep_config, run_sweep
        resume = (Path(sweep_dir) / "manifest.jsonl").exists()
        run_sweep(load_sweep_config(config), sweep_dir, resume=resume)
    t = pd.read_parquet(path)
    import tomllib
    base = tomllib.loads(Path(config).read_text()).get("base", {})
    for k, v in base.items():                    # fields fixed by [base]: columns too (e.g. K of an M sweep)
        if k not in t.columns and isinstance(v, (int, float, str)):
            t[k] = v
    bad = t[t["status"] != "ok"]
    for _, r in bad.drop_duplicates("uid").iterrows():
        print(f"failed unit {r['uid']}: {r['error']}", file=sys.stderr)
    return t[t["status"] == "ok"].copy()


def t_quantile(n: int, level: float = 0.95) -> float:
    from scipy.stats import t
    return float(t.ppf(0.5 + level / 2, n - 1)) if n > 1 else float("nan")


def aggregate(t: pd.DataFrame, by: list[str], value: str, level: float = 0.95) -> pd.DataFrame:
    """Mean of ``value`` over replicates per ``by`` group, with a Student-t confidence interval of
    that mean (half width ``ci``) from the replicate values (each a mean over its drops)."""
    rows = []
    for key, g in t.groupby(by, sort=True):
        v = g[value].to_numpy(float)
        n = len(v)
        sd = float(v.std(ddof=1)) if n > 1 else float("nan")
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "mean": float(v.mean()),
                     "ci": t_quantile(n, level) * sd / math.sqrt(n) if n > 1 else float("nan"),
                     "replicates": n})
    return pd.DataFrame(rows)


def aggregate_drops(t: pd.DataFrame, by: list[str], value: str = "sum_rate_bps_hz", std: str = "sum_rate_std",
                    level: float = 0.95) -> pd.DataFrame:
    """Mean over every drop of every replicate per ``by`` group, with a normal confidence interval
    of that mean from the pooled per-drop variance (within-replicate ``std`` over ``drops`` drops
    plus the spread of the replicate means): the drops of different replicates are independent
    (different keyed seeds), so this is the CI of a mean over ``sum(drops)`` i.i.d. drops."""
    from scipy.stats import norm
    z = float(norm.ppf(0.5 + level / 2))
    rows = []
    for key, g in t.groupby(by, sort=True):
        d = g["drops"].to_numpy(float)
        m = g[value].to_numpy(float)
        sd = g[std].to_numpy(float)
        n = d.sum()
        mean = float((d * m).sum() / n)
        var = float(((d - 1) * sd ** 2).sum() + (d * (m - mean) ** 2).sum()) / (n - 1) if n > 1 else float("nan")
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "mean": mean,
                     "ci": z * math.sqrt(var / n), "replicates": len(g), "drops_total": int(n)})
    return pd.DataFrame(rows)


def save(fig, df: pd.DataFrame, figures: str, name: str) -> tuple[Path, Path]:
    out = Path(figures)
    out.mkdir(parents=True, exist_ok=True)
    png, csv = out / f"{name}.png", out / f"{name}.csv"
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    df.to_csv(csv, index=False, float_format="%.6g")
    print(f"wrote {png} and {csv}")
    return png, csv


def scheme_order(names) -> list[str]:
    order = ["Sep-MRT", "Sep-MMSE", "Sep-Opt-WM", "Dec-TFC-WM", "Cen-TFC-WM", "Cen-Opt-WM", "Cen-Opt-ER"]
    return [n for n in order if n in set(names)] + sorted(set(names) - set(order))


def color(name: str):
    """A fixed colour per scheme, the same in every figure."""
    order = ["Sep-MRT", "Sep-MMSE", "Sep-Opt-WM", "Dec-TFC-WM", "Cen-TFC-WM", "Cen-Opt-WM", "Cen-Opt-ER"]
    base = name.split(" ")[0]
    i = order.index(base) if base in order else 7 + sum(map(ord, base)) % 3
    return plt.get_cmap("tab10")(i)


def drops_note(t: pd.DataFrame) -> str:
    """e.g. '4 replicates x 16 drops' (from the sweep's resolved configs)."""
    reps = t.groupby("point_id")["replicate"].nunique()
    return f"{int(reps.min())} replicates" if reps.min() == reps.max() else f"{reps.min()}-{reps.max()} replicates"


def _matplotlib():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


plt = _matplotlib()
