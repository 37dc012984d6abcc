"""``satcoop world``: one seeded drop of the world model — the cooperating satellites and every link budget.

    satcoop world [--center LAT,LON] [--S 3] [--K 12] [--seed 0] [--t-s SECONDS]
                  [--radius-km 800] [--min-elevation-deg 10] [--scenario urban] [--json]
                  [--tle FILE ...] [--omm FILE ...] [--walker T/P/F:ALT:INC[:star] ...]
                  [--shell INC:ALO-AHI] [--max-epoch-age-days 30] [--name-pattern PAT] [--min-altitude-km 300]

Without ``--center`` the centre is drawn from the seed (uniform over the area
of the constellation's coverage band), without ``--t-s`` the time is drawn
uniformly over one orbital period. ``--json`` prints a machine-readable record
(``seed``, ``config``, ``constellation`` (provenance: kind, files with
SHA-256, satellites, dropped, epochs, shells), ``center``, ``t_s``, ``utc``,
``absent`` (satellites absent at that time), ``satellites`` (with ``norad_id``
and ``shell`` for element sets), ``uts``, ``links``); otherwise aligned tables.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from agents.config.world import MAX_S_K, WORLD_OPTIONS

from .common import (add_constellation_args, add_region_args, constellation_spec_from_args, describe_constellation,
                     region_values)

REFERENCE_POWER_DBW = 10.0      # per-subcarrier transmit power used for the single-link SNR column


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "world", help="the cooperating satellites and link budgets of one seeded drop",
        description="Draw one drop of the world model (Walker constellation, K UTs in a service region, "
                    "the S nearest satellites every UT sees above the elevation mask) and print the "
                    "statistical CSI summary of every satellite-UT link.")
    p.add_argument("--center", metavar="LAT,LON", default=None,
                   help="region centre in degrees, e.g. 48.85,2.35 or -33.9,18.4 "
                        "(default: drawn from the seed within coverage)")
    p.add_argument("--S", type=int, default=3, help=f"cooperating satellites (default 3, at most {MAX_S_K})")
    p.add_argument("--K", type=int, default=12, help=f"user terminals (default 12, at most {MAX_S_K})")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--t-s", dest="t_s", type=float, default=None,
                   help="seconds after the constellation epoch, within +-100 years (default: drawn from the seed)")
    p.add_argument("--radius-km", type=float, default=800.0,
                   help="service-region radius (km, default 800; in (0, 10000])")
    p.add_argument("--min-elevation-deg", type=float, default=10.0, help="elevation mask (deg, default 10; in [0, 89.9])")
    p.add_argument("--scenario", default="urban", choices=("urban", "dense_urban", "suburban"),
                   help="TR 38.811 LOS scenario: urban | dense_urban | suburban")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_region_args(p, center=False)
    add_constellation_args(p)
    p.set_defaults(func=run)
    # Let "--center -30,10" and "--t-s -3e5" through: argparse otherwise reads a leading '-' as an option unless the
    # token looks like a negative number (private but long-stable attribute; "--center=-30,10" always works).
    if hasattr(p, "_negative_number_matcher"):
        p._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-[\d.eE+-]*,[\d.eE+-]*$")


def _table(headers: list[str], rows: list[list], fmts: list[str]) -> list[str]:
    cells = [[f.format(v) for f, v in zip(fmts, row)] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(wd) for h, wd in zip(headers, widths))]
    out += ["  ".join(c.rjust(wd) for c, wd in zip(r, widths)) for r in cells]
    return out


def format_text(rec: dict) -> str:
    cfg, ch = rec["config"], rec["config"]["channel"]
    c = rec["center"]
    lines = [
        f"satcoop world: seed {rec['seed']}, S={cfg['S']} cooperating satellites, K={cfg['K']} UTs",
        f"  region   centre {c['lat_deg']:+.3f} lat, {c['lon_deg']:+.3f} lon"
        f"{' (drawn from the seed)' if c['drawn'] else ''}, radius {cfg['radius_km']:g} km, "
        f"elevation mask {cfg['min_elevation_deg']:g} deg",
        f"  time     {rec['utc']} (t = {rec['t_s']:.1f} s after the epoch)",
        f"  orbits   {describe_constellation(rec['constellation'])}"
        + (f"; {rec['absent']} absent at this time" if rec["absent"] else ""),
        f"  channel  {ch['carrier_hz'] / 1e9:g} GHz, {ch['subcarrier_spacing_hz'] / 1e3:g} kHz subcarriers, "
        f"UPA {ch['sat_upa'][0]}x{ch['sat_upa'][1]} ({ch['sat_element_gain_dbi']:g} dBi) -> "
        f"{ch['ut_upa'][0]}x{ch['ut_upa'][1]} ({ch['ut_element_gain_dbi']:g} dBi), "
        f"TR 38.811 {ch['scenario']} LOS, noise {rec['links'][0]['noise_dbw']:.1f} dBW per subcarrier",
        f"  members  selection {rec['cooperation']['selection']}: {rec['cooperation']['describe']}",
        "",
        "cooperating satellites (nearest to the centre first)",
    ]
    by_sat: dict[int, list[dict]] = {}
    for link in rec["links"]:
        by_sat.setdefault(link["sat"], []).append(link)
    rows = []
    for s in rec["satellites"]:
        ls = by_sat[s["id"]]
        el = [x["elevation_deg"] for x in ls]
        beta = [x["beta_db"] for x in ls]
        rows.append([s["id"], s.get("norad_id", "-"), s["name"], s["lat_deg"], s["lon_deg"], s["alt_km"], min(el),
                     max(el), min(beta), max(beta)])
    lines += ["  " + x for x in _table(
        ["id", "norad_id", "name", "lat_deg", "lon_deg", "alt_km", "elev_min", "elev_max", "beta_min_db",
         "beta_max_db"],
        rows, ["{}", "{}", "{}", "{:+.3f}", "{:+.3f}", "{:.1f}", "{:.1f}", "{:.1f}", "{:.1f}", "{:.1f}"])]
    lines += ["", f"links (beta includes M N G_T G_R; snr_db = {REFERENCE_POWER_DBW:g} dBW x beta / noise, "
                  "one full-power beam, no interference)"]
    rows = [[x["sat"], x["ut"], x["elevation_deg"], x["range_km"], x["beta_db"], x["kappa_db"],
             REFERENCE_POWER_DBW + x["beta_db"] - x["noise_dbw"]] for x in rec["links"]]
    lines += ["  " + x for x in _table(
        ["sat", "ut", "elevation_deg", "range_km", "beta_db", "kappa_db", "snr_db"],
        rows, ["{}", "{}", "{:.2f}", "{:.1f}", "{:.2f}", "{:.2f}", "{:.1f}"])]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from agents.config import WorldQuery, parse
    from agents.experiments.world import world_record

    span = ("max_propagation_days", "allow_far_from_epoch")          # constellation fields, not the query's
    data = {f: getattr(args, f) for f in WORLD_OPTIONS if f not in span and hasattr(args, f)}
    data.update(region_values(args))
    data = {k: v for k, v in data.items() if v is not None or k in ("center", "t_s")}
    data["constellation"] = constellation_spec_from_args(args)
    rec = world_record(parse(WorldQuery, data, rename=WORLD_OPTIONS), rename=WORLD_OPTIONS)
    for warning in rec.get("warnings", []):
        print(warning, file=sys.stderr)
    print(json.dumps(rec, indent=2) if args.json else format_text(rec))
    return 0
