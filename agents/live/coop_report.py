"""Saying when cooperation does not happen: fallback shares, the warning line, members over time.

* ``fallback_share`` (per scheme, in summary.json): share of (update, satellite) pairs where, when the
  next update began, the satellite was serving the fallback scheme (``centralized.fallback_scheme``)
  instead of the centralized precoders (0 for separate and decentralized schemes, which have none). A
  central that collected only its own report serves its own share of that computation: not a fallback,
  so a set of S isolated satellites has fallback share (S - 1) / S (and missed share 1).
* :func:`fallback_warnings`: one line per centralized scheme with a lane (the scheme on one member) that
  ran on the fallback for more than half of its updates, naming the lanes and the cause found in the
  episode's record: members not
  mutually reachable (``unreachable`` events; reports lost with ``no_route``), reports lost on the way,
  the central unreachable (bundles lost), or reports / bundles too late.
* :func:`members_over_time`: per region, the member sets with the time they took over, each member's
  NORAD id (element sets), name, shell and plane (run.json).
"""
from __future__ import annotations

import numpy as np

__all__ = ["fallback_share", "fallback_warnings", "members_over_time", "constellation_label"]

FALLBACK_WARN_SHARE = 0.5


def fallback_share(episode, scheme: str) -> float:
    """Share of (update, satellite) pairs of ``scheme`` served by the fallback (nan when no update was judged)."""
    n, total = episode.fallback[scheme]
    return n / total if total else float("nan")


def _lost(messages, scheme: str, kind: str):
    m = messages[(messages["scheme"] == scheme) & (messages["type"] == kind)]
    lost = m[m["status"] == "lost"]
    reasons = lost["reason"].fillna("?").astype(str).value_counts()
    return len(m), len(lost), ", ".join(f"{k} {v}" for k, v in reasons.items())


def fallback_warnings(episode, messages, summary_rows) -> list[str]:
    """The warning lines (module docstring); ``summary_rows``: the summary's per-scheme rows."""
    out = []
    bound = episode.config.region.max_member_latency_s
    unreachable = [e for e in episode.events if e["type"] == "unreachable"]
    for row in summary_rows:
        name = row["scheme"]
        share = row.get("fallback_share")
        lanes = sorted((r, s) for (r, s, n), (fb, total) in episode.lane_fallback.items()
                       if n == name and total and fb / total > FALLBACK_WARN_SHARE)
        if episode.arch[name] != "centralized" or not lanes:
            continue
        n_rep, lost_rep, why_rep = _lost(messages, name, "SCSIReport")
        n_bun, lost_bun, why_bun = _lost(messages, name, "PrecoderBundle")
        if unreachable:
            e = unreachable[0]
            cause = (f"members unreachable: {len(unreachable)} time(s) the members were not mutually reachable "
                     f"within region.max_member_latency_s = {bound:g} s over the ISLs up (first at t = "
                     f"{e['t_s']:.1f} s, region {e['region']}, members {e['members']}: {e['detail']})")
            if lost_rep:
                cause += f"; {lost_rep} of {n_rep} sCSI reports lost ({why_rep})"
        elif n_rep and lost_rep > n_rep / 2:
            cause = f"reports lost: {lost_rep} of {n_rep} sCSI reports lost ({why_rep})"
        elif n_bun and lost_bun > n_bun / 2:
            cause = f"central unreachable: {lost_bun} of {n_bun} precoder bundles lost ({why_bun})"
        elif n_rep == 0:
            cause = "no sCSI report was sent (no central elected among the members)"
        else:
            cause = ("reports or bundles late (centralized.report_timeout_s / max_bundle_age_s): "
                     f"{lost_rep} of {n_rep} reports and {lost_bun} of {n_bun} bundles lost")
        where = ", ".join(f"satellite {s}" + (f" (region {r})" if len(episode.world.regions) > 1 else "")
                          for r, s in lanes)
        out.append(f"warning: {name} ran on the fallback {episode.config.centralized.fallback_scheme} for more than "
                   f"half of its updates on {where} (fallback share {share:.2f} over all members): {cause}")
    return out


def members_over_time(episode) -> list[dict]:
    """[{region, sets: [{t_s, reachable_share, members: [{id, norad_id, name, shell, plane}]}]}] (run.json)."""
    c = episode.world.constellation
    element_sets = episode.world.provenance.get("kind") != "walker"
    norad = c.norad_id if element_sets else None
    out = []
    for region, timeline in sorted(episode.member_timeline.items()):
        sets = []
        for entry in timeline:
            ok = entry.get("reachable", [])
            sets.append({"t_s": float(entry["t_s"]),
                         "reachable_share": float(np.mean(ok)) if ok else None,
                         "members": [{"id": int(i), **({"norad_id": int(norad[i])} if element_sets else {}),
                                      "name": c.names[i], "shell": int(c.shell[i]), "plane": int(c.plane[i]),
                                      **({"transit": True} if bool(c.transit[i]) else {})}
                                     for i in entry["members"]]})
        out.append({"region": int(region), "sets": sets})
    return out


def constellation_label(provenance: dict) -> str:
    """A short name of the constellation for a figure title."""
    if provenance.get("kind") == "walker":
        return " + ".join(f"Walker {w['total']}/{w['planes']}/{w['phasing']} {w['altitude_km']:g} km "
                          f"{w['inclination_deg']:g} deg" for w in provenance.get("walker", []))
    files = ", ".join(f.get("name", "?") for f in provenance.get("files", []))
    return f"{provenance.get('satellites', '?')} satellites ({files or provenance.get('kind', '?')})"
