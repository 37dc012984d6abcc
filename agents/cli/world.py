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
import math
import re
from datetime import timedelta

from .common import add_constellation_args, constellation_spec_from_args, describe_constellation
from .validate import SEED, check_args, integer, real

REFERENCE_POWER_DBW = 10.0      # per-subcarrier transmit power used for the single-link SNR column
MAX_ABS_T_S = 100 * 365.25 * 86400.0    # --t-s limit: a century either side of the epoch
MAX_S_K = 10_000                         # --S / --K limit (memory grows ~20 kB per link; K = 1e5 needed 2 GB)


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
    add_constellation_args(p)
    p.set_defaults(func=run)
    # Let "--center -30,10" and "--t-s -3e5" through: argparse otherwise reads a leading '-' as an option unless the
    # token looks like a negative number (private but long-stable attribute; "--center=-30,10" always works).
    if hasattr(p, "_negative_number_matcher"):
        p._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-[\d.eE+-]*,[\d.eE+-]*$")


def parse_center(value: str) -> tuple[float, float]:
    """``"LAT,LON"`` (degrees) -> (lat, lon); ValueError naming ``--center`` otherwise."""
    allowed = "expected LAT,LON in degrees with -90 <= LAT <= 90 and -180 <= LON <= 180"
    parts = value.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--center {value!r}: {allowed}") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"--center {value!r}: {allowed}")
    return lat, lon


def build_record(args) -> dict:
    """Draw the drop described by ``args`` and return the JSON-able record."""
    import numpy as np

    from constellation.channel import ChannelConfig
    from constellation.scenario import World, WorldConfig
    from constellation.walker import WalkerDelta

    center = parse_center(args.center) if args.center is not None else None
    check_args(args, RULES)
    spec = constellation_spec_from_args(args)
    c, provenance = spec.build()
    if args.S > c.n:                       # checked here so the message names the option, not WorldConfig.S
        raise ValueError(f"--S = {args.S}: must be at most the {c.n} satellites of the constellation")
    walker = c.walker if c.walker is not None else WalkerDelta()
    cfg = WorldConfig(S=args.S, K=args.K, walker=walker, radius_km=args.radius_km,
                      min_elevation_deg=args.min_elevation_deg, channel=ChannelConfig(scenario=args.scenario))
    world = World(cfg, constellation=c)
    d = world.draw_drops(1, args.seed, center=center, t_s=args.t_s)
    t = float(d.t_s[0])
    ids = d.sat_ids[0]
    r_t, _, present = c.state_itrs_present(t)
    from constellation.frames import itrs_to_geodetic
    lat, lon, alt = itrs_to_geodetic(r_t[ids])
    lat, lon, alt = (dict(zip(ids.tolist(), x.tolist())) for x in (lat, lon, alt))
    element_sets = provenance["kind"] != "walker"
    norad = c.norad_id
    csi = d.csi
    ch = cfg.channel
    noise_dbw = 10 * np.log10(csi.noise_w[0])
    satellites = [{"id": int(i), **({"norad_id": int(norad[i])} if element_sets else {}), "name": c.names[i],
                   "shell": int(c.shell[i]), "plane": int(c.plane[i]), "slot": int(c.slot[i]),
                   "lat_deg": round(float(lat[i]), 4), "lon_deg": round(float(lon[i]), 4),
                   "alt_km": round(float(alt[i]) / 1e3, 3)} for i in ids.tolist()]
    links = []
    for s, sid in enumerate(ids):
        for k in range(cfg.K):
            links.append({
                "sat": int(sid), "ut": k,
                "elevation_deg": round(float(np.degrees(csi.elevation[0, s, k])), 3),
                "range_km": round(float(csi.range_m[0, s, k]) / 1e3, 3),
                "beta_db": round(float(10 * np.log10(csi.beta[0, s, k])), 3),
                "kappa_db": round(float(10 * np.log10(csi.kappa[0, s, k])), 3),
                "noise_dbw": round(float(noise_dbw[k]), 3),
            })
    w = c.walker
    walker_rec = None if w is None else {
        "total": w.total, "planes": w.planes, "phasing": w.phasing, "altitude_km": w.altitude_km,
        "inclination_deg": w.inclination_deg, "kind": w.kind, "epoch": w.epoch.isoformat()}
    return {
        "seed": args.seed,
        "constellation": provenance,
        "absent": int((~present).sum()),
        "center": {"lat_deg": round(float(d.center_lat_deg[0]), 4), "lon_deg": round(float(d.center_lon_deg[0]), 4),
                   "drawn": center is None},
        "t_s": round(t, 3),
        "utc": (c.epoch + timedelta(seconds=t)).isoformat(),
        "config": {
            "S": cfg.S, "K": cfg.K, "radius_km": cfg.radius_km, "min_elevation_deg": cfg.min_elevation_deg,
            "walker": walker_rec,
            "channel": {"carrier_hz": ch.carrier_hz, "subcarrier_spacing_hz": ch.subcarrier_spacing_hz,
                        "sat_upa": list(ch.sat_upa), "ut_upa": list(ch.ut_upa),
                        "sat_element_gain_dbi": ch.sat_element_gain_dbi,
                        "ut_element_gain_dbi": ch.ut_element_gain_dbi, "noise_figure_db": ch.noise_figure_db,
                        "noise_temperature_k": ch.noise_temperature_k, "scenario": ch.scenario,
                        "nlos_model": ch.nlos_model},
        },
        "satellites": satellites,
        "uts": [{"ut": k, "lat_deg": round(float(d.ut_lat_deg[0, k]), 4),
                 "lon_deg": round(float(d.ut_lon_deg[0, k]), 4)} for k in range(cfg.K)],
        "links": links,
    }


def _table(headers: list[str], rows: list[list], fmts: list[str]) -> list[str]:
    cells = [[f.format(v) for f, v in zip(fmts, row)] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(wd) for h, wd in zip(headers, widths))]
    out += ["  ".join(c.rjust(wd) for c, wd in zip(r, widths)) for r in cells]
    return out


RULES = {"S": integer(1, MAX_S_K), "K": integer(1, MAX_S_K), "seed": SEED,
         "t_s": real(-MAX_ABS_T_S, MAX_ABS_T_S, "s (100 years either side of the epoch)"),
         "radius_km": real(0.0, 10_000.0, "km", lo_open=True), "min_elevation_deg": real(0.0, 89.9, "deg")}


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
    rec = build_record(args)
    print(json.dumps(rec, indent=2) if args.json else format_text(rec))
    return 0
