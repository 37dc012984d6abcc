"""One seeded drop of the world model: the cooperating satellites and every link budget (``satcoop world``).

:func:`world_record` returns the JSON-able record: ``seed``, ``config``, ``constellation``
(provenance: kind, files with SHA-256, satellites, dropped, epochs, shells), ``center``, ``t_s``,
``utc``, ``absent`` (satellites absent at that time), ``cooperation`` (the selection: rule, status,
``reachable``, members and shells, ``isl_latency_s`` and ``isl_hops`` between the members over the links
up at that time (min-latency paths; null: no route), the one-line description), ``satellites`` (with ``norad_id`` and ``shell``
for element sets), ``uts``, ``links`` (elevation, slant range, beta, Rician K, noise per link).
"""
from __future__ import annotations

from datetime import timedelta

from agents.config import BadInput, WorldQuery

__all__ = ["world_record"]


def world_record(query: WorldQuery, rename: dict | None = None) -> dict:
    """Draw the drop of ``query`` and return the JSON-able record (see the module docstring)."""
    import numpy as np

    from constellation.channel import ChannelConfig
    from constellation.scenario import World, WorldConfig
    from constellation.walker import WalkerDelta

    args = query
    rename = rename or {}
    center = query.center
    c, provenance = query.constellation.build()
    if args.S > c.n:                       # checked here so the message names the field, not WorldConfig.S
        raise BadInput(f"{rename.get('S', 'S')} = {args.S}: must be at most the {c.n} satellites of the constellation")
    walker = c.walker if c.walker is not None else WalkerDelta()
    cfg = WorldConfig(S=args.S, K=args.K, walker=walker, radius_km=args.radius_km,
                      min_elevation_deg=args.min_elevation_deg, channel=ChannelConfig(scenario=args.scenario))
    from network.selector import selector_for
    cross = args.cross_shell.to_config() if args.cross_shell is not None else None
    selector = selector_for(c, args, args.S, args.min_elevation_deg, cross_shell=cross)
    span = dict(time_name=rename.get("t_s", "t_s"),
                options=tuple(rename.get(f, "constellation." + f) for f in ("max_propagation_days",
                                                                             "allow_far_from_epoch")))
    if args.t_s is not None:          # refused before any drop when the time asked for is too far
        query.constellation.check_span(c, args.t_s, **span)
    world = World(cfg, constellation=c, selector=selector)
    d = world.draw_drops(1, args.seed, center=center, t_s=args.t_s)
    t = float(d.t_s[0])
    span_warning = query.constellation.check_span(c, t, **span)
    r_sel, v_sel = c.state_itrs(t)
    sets = selector.select(r_sel, v_sel, t, d.ut_itrs_m, d.center_lat_deg, d.center_lon_deg, d.ut_lat_deg,
                           d.ut_lon_deg)
    coop = sets.region(0)
    if [int(x) for x in d.sat_ids[0]] != coop["members"]:      # the drop's members are the selection's
        raise RuntimeError(f"world: drop members {d.sat_ids[0].tolist()} differ from the selection {coop['members']}")
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
        "cooperation": coop,
        **({"warnings": [span_warning]} if span_warning else {}),
        "satellites": satellites,
        "uts": [{"ut": k, "lat_deg": round(float(d.ut_lat_deg[0, k]), 4),
                 "lon_deg": round(float(d.ut_lon_deg[0, k]), 4)} for k in range(cfg.K)],
        "links": links,
    }
