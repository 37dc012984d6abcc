"""The one selection of cooperating sets every command uses: :class:`RegionSelector`.

A :class:`RegionSelector` holds what a selection needs besides the regions themselves: the
constellation's shells and transit tags, its ISL topology (the +Grid, k-nearest, complete or
cross-shell builder of :mod:`network.topology`), the :class:`network.cooperation.SelectionRule`,
S, the elevation mask and the hop latency model. :meth:`RegionSelector.select` chooses the sets of B
regions at one time from the constellation's ITRS states (topology snapshot at that time, the
visible candidates, :func:`network.cooperation.choose_cooperating`); calling the selector is the
hook :meth:`constellation.scenario.World.draw_drops` takes (``selector=``), so world drops (``satcoop
world``, ``compare``, the nets' training data) and the live episode (initial members and every
handover, :class:`agents.live.world.EpisodeWorld`) go through the same rule.

The links considered are those the fabric has up at selection time (range, latitude cut, seam,
grazing): the structural state of the ISLs. Random link faults of a live episode are transient
(seconds) and are not part of the selection, so the offline drops and the live episode agree.
"""
from __future__ import annotations

import numpy as np

from network.cooperation import CooperatingSets, SelectionRule, choose_cooperating
from network.links import LinkConfig

__all__ = ["RegionSelector", "selector_for"]


class RegionSelector:
    """Chooses the S cooperating satellites of regions at any time (module docstring).

    constellation : :class:`constellation.ephemeris.Constellation` (``shell``, ``transit`` used)
    topology : a topology builder with ``snapshot(r_m, v_m_s, t_s=...)``
    rule : :class:`SelectionRule`; s : S; min_elevation_deg : the mask every UT must see a member above
    link_config : hop latency (default :class:`LinkConfig`)
    """

    def __init__(self, constellation, topology, rule: SelectionRule, s: int, min_elevation_deg: float = 10.0,
                 link_config: LinkConfig | None = None):
        self.constellation = constellation
        self.topology = topology
        self.rule = rule
        self.S = int(s)
        self.min_elevation_deg = float(min_elevation_deg)
        self.link_config = link_config or LinkConfig()
        n = constellation.n
        self.shell = np.asarray(getattr(constellation, "shell", np.zeros(n, int)), np.int64)
        self.transit = np.asarray(getattr(constellation, "transit", np.zeros(n, bool)), bool)

    def select(self, r_itrs, v_itrs, t_s: float, ut_itrs, center_lat_deg, center_lon_deg, ut_lat_deg=None,
               ut_lon_deg=None, snapshot=None) -> CooperatingSets:
        """The sets of B regions at time ``t_s`` (s since the epoch) from the ITRS states ``r_itrs`` /
        ``v_itrs`` [n, 3] (m, m/s) of the whole constellation; UTs [B, K, 3] (m), centres [B] (deg).
        ``snapshot``: the topology at ``t_s`` if the caller has it."""
        if snapshot is None:
            snapshot = self.topology.snapshot(r_itrs, v_itrs, t_s=float(t_s))
        return choose_cooperating(r_itrs, ut_itrs, center_lat_deg, center_lon_deg, self.S, snapshot,
                                  shell=self.shell, transit=self.transit, min_elevation_deg=self.min_elevation_deg,
                                  ut_lat_deg=ut_lat_deg, ut_lon_deg=ut_lon_deg, rule=self.rule,
                                  link_config=self.link_config)

    def __call__(self, t_s, r_all, v_all, ut_itrs, center_lat_deg, center_lon_deg, ut_lat_deg, ut_lon_deg):
        """The :meth:`World.draw_drops` hook: P drops, each at its own time ``t_s`` [P], states [P, n, 3].
        Returns (ids int [P, S] (-1 where none), ok bool [P], why list[str] [P]: "" or the one-line reason)."""
        p = len(t_s)
        ids = np.full((p, self.S), -1, np.int64)
        ok = np.zeros(p, bool)
        why = [""] * p
        times, inverse = np.unique(np.asarray(t_s, float), return_inverse=True)
        for j, t in enumerate(times):                    # drops at one time share one topology snapshot
            rows = np.flatnonzero(inverse == j)
            sets = self.select(r_all[rows[0]], v_all[rows[0]], t, ut_itrs[rows], center_lat_deg[rows],
                               center_lon_deg[rows], ut_lat_deg[rows], ut_lon_deg[rows])
            for i, row in enumerate(rows):
                if sets.status[i] in ("ok", "unreachable", "partial"):
                    ids[row], ok[row] = sets.members[i], True
                else:
                    why[row] = sets.describe(i)
        return ids, ok, why


def selector_for(constellation, fields, s: int, min_elevation_deg: float, *, cross_shell=None, topology=None,
                 link_config: LinkConfig | None = None) -> RegionSelector:
    """The selector of a config: ``fields`` a :class:`network.cooperation.SelectionRule`, or an object with
    ``rule()`` returning one (:class:`agents.config.cooperation.SelectionFields`), ``cross_shell`` a :class:`network.topology.CrossShellConfig` or None, ``topology`` a built
    topology (default :func:`network.topology.for_constellation`, with the cross-shell links if given)."""
    from network.topology import for_constellation
    if topology is None:
        topology = for_constellation(constellation, cross_shell=cross_shell)
    rule = fields if isinstance(fields, SelectionRule) else fields.rule()
    return RegionSelector(constellation, topology, rule, s, min_elevation_deg, link_config)
