"""ISL topology rebuilt from live satellite positions.

Two builders, one result type:

:class:`GridTopology`  the +Grid of a Walker constellation. Satellite (p, j)
    (plane p, slot j) has two intra-plane neighbours (p, j +- 1 mod S) and two
    inter-plane neighbours, same slot in the adjacent planes. The candidate edge
    list is fixed (it depends only on the pattern) and is computed once; each
    rebuild only evaluates which edges are up at the given positions.

    Wrap-around plane P-1 -> 0. With the Walker convention of
    :mod:`constellation.walker` (mean anomaly ``360 j/S + 360 F p/T``), a
    fictitious plane P would coincide with plane 0 shifted by F slots:
    ``360 j/S + 360 F P/T = 360 (j + F)/S``. So the inter-plane neighbour of
    (P-1, j) is (0, (j + F) mod S), which keeps the same 360 F/T phase step as
    between every other pair of adjacent planes.

    A link is *geometrically* up unless (checked in this order, first reason wins):

    1. ``latitude`` (inter-plane only): either end's geodetic latitude has
       ``|lat| > max_lat_deg`` (default 70 deg). (A 53 deg Walker never exceeds
       70 deg, so with the defaults this rule only bites for polar patterns.)
    2. ``seam`` (inter-plane only): the two ends move in opposite meridional
       directions, one *ascending* (v_z > 0) and the other *descending*
       (v_z <= 0). The rule: ``(v_z[u] > 0) != (v_z[v] > 0)``. v_z is the
       z-component of the velocity; it is the same in ITRS and in an inertial
       frame (the Earth rotates about z), so ITRS velocities can be used
       directly. In a Walker-star (planes over 180 deg of RAAN) this is exactly
       the seam between the counter-rotating planes P-1 and 0. In a Walker-delta
       the +Grid neighbours share their argument of latitude to within
       360 F/T deg, so the rule only cuts a link in the short window where one
       end has passed the northern/southern turning point of its orbit and the
       other has not (where the pointing geometry flips).
    3. ``range`` (all links): the straight segment dips below the grazing height
       ``grazing_height_m`` (default 80 km) above a spherical Earth of radius
       ``earth_radius_m``, i.e. ``length > sqrt((R+h1)^2 - (R+hg)^2) +
       sqrt((R+h2)^2 - (R+hg)^2)`` with ``h = |r| - R``.

    4. ``absent`` (all links, overrides the others): an end is absent at that time
       (non-finite position or velocity: the constellation's SGP4 failures and
       satellites below the altitude floor, see :mod:`constellation.ephemeris`);
       the link's length is NaN.

    Intra-plane links are therefore cut only by range (or by faults, which are
    separate: :mod:`network.faults`).

    Beyond one Walker pattern, :meth:`GridTopology.from_constellation` builds the
    +Grid of a multi-shell Walker (each shell its own grid, no links between
    shells) and of imported element sets whose shells / planes / slots were
    inferred (:mod:`constellation.shells`): in each shell, intra-plane links join
    consecutive satellites in argument of latitude (a ring), and each plane
    links to the next plane by RAAN (the last to the first: for a Walker-star
    that pair is the counter-rotating seam) -- with equal satellite counts by
    the cyclic pairing (either orientation) that minimises the summed distance
    at the reference time, so every satellite has exactly one neighbour in each
    adjacent plane; otherwise each satellite links to the nearest satellite of
    the next plane. The candidate links are fixed at construction; rebuilds
    only evaluate the rules above.

:class:`NearestTopology`  generic mode for imported TLE sets, where planes and
    slots are unknown: each satellite links to its ``k`` nearest satellites
    (within its own group when ``groups`` is given, e.g. the inferred shells:
    group -1 gets no links; absent satellites get none either)
    (``scipy.spatial.cKDTree``) that are within line of sight (the grazing range
    above) and, optionally, within ``max_range_m``. The neighbour relation is
    symmetrised by union (``mutual=False``, degree may exceed k) or intersection
    (``mutual=True``, degree <= k). Edges are rebuilt at every call, so edge
    identities are the satellite pairs (u, v), u < v; all returned edges are up.

:class:`CrossShellTopology`  optional laser links *across* shells on top of either
    builder (off by default: shells are otherwise separate graphs). At every
    snapshot each satellite of a shell links to its ``k`` nearest satellites of
    *other* shells (``CrossShellConfig``: default k = 2 within ``max_range_m`` =
    2,000 km, a conservative range for today's optical terminals, and within
    line of sight above the grazing height), symmetrised by union (or by
    intersection with ``mutual``). Satellites in transit (raising, lowering:
    ``Constellation.transit``) get no links of any kind unless
    ``include_transit``; absent satellites never do. Cross-shell geometry
    changes fast (different inclinations close at km/s), so these links are
    rebuilt at every call, like :class:`NearestTopology`'s; their kind is
    ``"cross"``.

All return a :class:`TopologySnapshot`: arrays (edge list [E, 2], kind, length,
up mask, down reason) plus a networkx view built from them on demand.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from constellation.checks import check_int
from constellation.frames import EARTH_MEAN_RADIUS_M, itrs_to_geodetic
from network.links import LinkConfig

KIND_NAMES = ("intra", "inter", "knn", "static", "cross")
KIND_INTRA, KIND_INTER, KIND_KNN, KIND_STATIC, KIND_CROSS = 0, 1, 2, 3, 4
REASON_NAMES = ("", "latitude", "seam", "range", "absent")
REASON_UP, REASON_LATITUDE, REASON_SEAM, REASON_RANGE, REASON_ABSENT = 0, 1, 2, 3, 4


def grazing_range_m(r1_m, r2_m, grazing_height_m: float = 80e3, earth_radius_m: float = EARTH_MEAN_RADIUS_M):
    """Maximum line-of-sight length (m) between points at geocentric radii r1_m, r2_m (m)
    whose segment stays above ``earth_radius_m + grazing_height_m``. 0 if an end is below it."""
    rg2 = (earth_radius_m + grazing_height_m) ** 2
    a = np.sqrt(np.clip(np.asarray(r1_m, float) ** 2 - rg2, 0.0, None))
    b = np.sqrt(np.clip(np.asarray(r2_m, float) ** 2 - rg2, 0.0, None))
    return a + b


@dataclass(frozen=True)
class TopologyConfig:
    """Rules that take links down (see module docstring).

    max_lat_deg : inter-plane links down when either end has |geodetic latitude| above (deg)
    cut_seam : cut inter-plane links between an ascending and a descending satellite
    grazing_height_m : minimum height (m) of the line of sight above the spherical Earth
    earth_radius_m : radius (m) of that sphere
    """

    max_lat_deg: float = 70.0
    cut_seam: bool = True
    grazing_height_m: float = 80e3
    earth_radius_m: float = EARTH_MEAN_RADIUS_M

    def __post_init__(self):
        if not 0.0 <= _as_real(self.max_lat_deg) <= 90.0:
            raise ValueError(f"TopologyConfig.max_lat_deg = {self.max_lat_deg!r}: must be in [0, 90] deg")
        if not 0.0 <= _as_real(self.grazing_height_m) < 1e7:
            raise ValueError(f"TopologyConfig.grazing_height_m = {self.grazing_height_m!r}: must be in [0, 1e7) m")
        if not 0.0 < _as_real(self.earth_radius_m) < np.inf:
            raise ValueError(f"TopologyConfig.earth_radius_m = {self.earth_radius_m!r}: must be > 0 m")


def _as_real(value) -> float:
    """``value`` as a float, NaN for anything that is not a real number (fails every range check)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return math.nan
    return float(value)


@dataclass
class TopologySnapshot:
    """The ISL graph at one instant, as arrays.

    n : number of satellites (nodes 0..n-1, the constellation's indices)
    edges : int [E, 2], u < v on every row
    kind : int8 [E], index into ``KIND_NAMES``
    length_m : float [E], straight-line length (m)
    up : bool [E], geometrically up (faults are applied by the bus, not here)
    reason : int8 [E], index into ``REASON_NAMES`` ("" when up)
    t_s : time of the positions (s since the constellation epoch), or None
    names : optional node names (len n)
    """

    n: int
    edges: np.ndarray
    kind: np.ndarray
    length_m: np.ndarray
    up: np.ndarray
    reason: np.ndarray
    t_s: float | None = None
    names: tuple | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        e = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        if e.size and (e.min() < 0 or e.max() >= self.n):
            raise ValueError(f"TopologySnapshot.edges: node ids must be in [0, {self.n})")
        if e.size and np.any(e[:, 0] >= e[:, 1]):
            raise ValueError("TopologySnapshot.edges: every row must have u < v (no self-loops)")
        self.edges = e
        ne = e.shape[0]
        for name, dtype in (("kind", np.int8), ("length_m", float), ("up", bool), ("reason", np.int8)):
            a = np.asarray(getattr(self, name), dtype=dtype)
            if a.shape != (ne,):
                raise ValueError(f"TopologySnapshot.{name} has shape {a.shape}, expected ({ne},)")
            setattr(self, name, a)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edges(cls, n: int, edges, length_m, up=None, kind: int = KIND_STATIC, t_s=None, names=None):
        """A static topology from an explicit edge list (u, v) and lengths (m)."""
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        length = np.broadcast_to(np.asarray(length_m, float), (e.shape[0],)).copy()
        if np.any(~np.isfinite(length)) or np.any(length < 0):
            raise ValueError("length_m must be finite and >= 0 (m)")
        swap = e[:, 0] > e[:, 1]
        e[swap] = e[swap][:, ::-1]
        u = np.ones(e.shape[0], bool) if up is None else np.asarray(up, bool)
        return cls(n=int(n), edges=e, kind=np.full(e.shape[0], kind, np.int8), length_m=length,
                   up=u, reason=np.where(u, REASON_UP, REASON_RANGE).astype(np.int8), t_s=t_s, names=names)

    @classmethod
    def from_graph(cls, graph: nx.Graph, length_attr: str = "length_km"):
        """From a networkx graph whose nodes are 0..n-1 and edges carry ``length_km`` (and optionally ``up``)."""
        n = graph.number_of_nodes()
        if set(graph.nodes) != set(range(n)):
            raise ValueError("graph nodes must be the integers 0..n-1")
        rows = [(min(u, v), max(u, v), d[length_attr] * 1e3, bool(d.get("up", True)))
                for u, v, d in graph.edges(data=True)]
        if not rows:
            return cls.from_edges(n, np.zeros((0, 2), np.int64), np.zeros(0))
        a = np.array(rows, dtype=float)
        return cls.from_edges(n, a[:, :2].astype(np.int64), a[:, 2], up=a[:, 3].astype(bool))

    # ------------------------------------------------------------------ views
    @property
    def length_km(self) -> np.ndarray:
        return self.length_m / 1e3

    def latency_s(self, link_config: LinkConfig | None = None, bits: float = 0.0) -> np.ndarray:
        """Per-edge hop latency (s) for a message of ``bits``."""
        return (link_config or LinkConfig()).hop_latency_s(self.length_m, bits)

    def degree(self, only_up: bool = True) -> np.ndarray:
        """int [n]: number of (up) links of each satellite."""
        e = self.edges[self.up] if only_up else self.edges
        return np.bincount(e.ravel(), minlength=self.n)

    def edge_rows(self, u, v) -> np.ndarray:
        """int [k]: row of each link (u[i], v[i]) (either order) in ``edges``; -1 where there is none.
        Vectorised (sorted int64 keys + searchsorted, built once per snapshot)."""
        c = self._cache.get("sorted_keys")
        if c is None:
            keys = (self.edges[:, 0] << 32) | self.edges[:, 1]
            order = np.argsort(keys, kind="stable")
            c = (keys[order], order)
            self._cache["sorted_keys"] = c
        skeys, order = c
        u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
        q = (np.minimum(u, v) << 32) | np.maximum(u, v)
        pos = np.searchsorted(skeys, q)
        pos_c = np.minimum(pos, max(len(skeys) - 1, 0))
        found = (pos < len(skeys)) & (skeys[pos_c] == q) if len(skeys) else np.zeros(q.shape, bool)
        return np.where(found, order[pos_c] if len(skeys) else -1, -1)

    def edge_index(self) -> dict:
        """{(u, v): row} for u < v (cached)."""
        idx = self._cache.get("edge_index")
        if idx is None:
            idx = {(int(u), int(v)): i for i, (u, v) in enumerate(self.edges.tolist())}
            self._cache["edge_index"] = idx
        return idx

    def to_graph(self, link_config: LinkConfig | None = None, bits: float = 0.0, only_up: bool = False) -> nx.Graph:
        """networkx Graph with nodes 0..n-1 and edge attributes ``length_km``, ``latency_s``
        (for a message of ``bits``), ``up`` (bool) and ``kind`` ("intra", "inter", "knn", "static", "cross"),
        plus ``down_reason``. ``only_up`` keeps only the links that are up."""
        lat = self.latency_s(link_config, bits)
        sel = np.flatnonzero(self.up) if only_up else np.arange(self.edges.shape[0])
        g = nx.Graph()
        if self.names is not None:
            g.add_nodes_from((i, {"name": nm}) for i, nm in enumerate(self.names))
        else:
            g.add_nodes_from(range(self.n))
        u, v = self.edges[sel, 0].tolist(), self.edges[sel, 1].tolist()
        lk, la, up = (self.length_m[sel] / 1e3).tolist(), lat[sel].tolist(), self.up[sel].tolist()
        kn = [KIND_NAMES[k] for k in self.kind[sel].tolist()]
        rs = [REASON_NAMES[r] for r in self.reason[sel].tolist()]
        g.add_edges_from(
            (a, b, {"length_km": c, "latency_s": d, "up": e, "kind": f, "down_reason": h})
            for a, b, c, d, e, f, h in zip(u, v, lk, la, up, kn, rs))
        return g

    def csgraph(self, weight_s: np.ndarray, mask: np.ndarray | None = None) -> sparse.csr_matrix:
        """Symmetric sparse adjacency (CSR) of the edges in ``mask`` (default: up) with weights ``weight_s``.
        Weights must be > 0 (scipy treats explicit zeros as missing edges)."""
        m = self.up if mask is None else mask
        e = self.edges[m]
        w = np.asarray(weight_s, float)[m]
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        return sparse.csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(self.n, self.n))

    def frame(self):
        """Tidy pandas DataFrame, one row per candidate edge."""
        import pandas as pd
        return pd.DataFrame({
            "u": self.edges[:, 0], "v": self.edges[:, 1],
            "kind": pd.Categorical.from_codes(self.kind, KIND_NAMES),
            "length_km": self.length_km, "up": self.up,
            "down_reason": pd.Categorical.from_codes(self.reason, REASON_NAMES),
        })


class GridTopology:
    """+Grid topology of a Walker pattern (see module docstring).

    Parameters
    ----------
    planes, sats_per_plane, phasing : the Walker P, S = T/P and F
    config : TopologyConfig
    """

    def __init__(self, planes: int, sats_per_plane: int, phasing: int = 0,
                 config: TopologyConfig | None = None, names=None):
        for name, val, lo in (("planes", planes, 1), ("sats_per_plane", sats_per_plane, 1), ("phasing", phasing, 0)):
            check_int(f"GridTopology.{name}", val, lo)
        self.planes, self.sats_per_plane, self.phasing = int(planes), int(sats_per_plane), int(phasing)
        self.config = config or TopologyConfig()
        self.n = self.planes * self.sats_per_plane
        self.names = tuple(names) if names is not None else None
        p_count, s_count = self.planes, self.sats_per_plane
        idx = np.arange(self.n)
        plane, slot = idx // s_count, idx % s_count
        self.plane, self.slot = plane, slot
        edges, kinds = [], []
        if s_count >= 2:
            nxt = plane * s_count + (slot + 1) % s_count
            e = np.stack([idx, nxt], 1)
            edges.append(e)
            kinds.append(np.full(len(e), KIND_INTRA))
        if p_count >= 2:
            last = plane == p_count - 1
            nb_plane = (plane + 1) % p_count
            nb_slot = np.where(last, (slot + self.phasing) % s_count, slot)
            e = np.stack([idx, nb_plane * s_count + nb_slot], 1)
            edges.append(e)
            kinds.append(np.full(len(e), KIND_INTER))
        if edges:
            e = np.concatenate(edges)
            k = np.concatenate(kinds).astype(np.int8)
        else:
            e, k = np.zeros((0, 2), np.int64), np.zeros(0, np.int8)
        e = np.sort(e, axis=1)
        # Drop self loops and duplicate pairs. Duplicates arise only in tiny patterns: S = 2 (j+1 and
        # j-1 are one satellite), P = 2 with F = 0 (the wrap link (1, j)-(0, j) repeats (0, j)-(1, j)).
        # With P = 2 and F != 0 the wrap links (1, j)-(0, j+F) are distinct ISLs and stay.
        keep = e[:, 0] != e[:, 1]
        e, k = e[keep], k[keep]
        _, first = np.unique(e, axis=0, return_index=True)
        first = np.sort(first)
        self.edges, self.kind = e[first], k[first]
        self.edges.flags.writeable = False
        self.kind.flags.writeable = False
        self._inter = self.kind == KIND_INTER

    @classmethod
    def from_walker(cls, walker, config: TopologyConfig | None = None, names=None) -> "GridTopology":
        """From a :class:`constellation.walker.WalkerDelta` (satellite index i = p * S + j)."""
        return cls(walker.planes, walker.sats_per_plane, walker.phasing, config, names)

    @classmethod
    def _from_edges(cls, n: int, edges, kinds, config=None, names=None, plane=None, slot=None,
                    shell=None) -> "GridTopology":
        """A grid over an explicit candidate edge list (u, v) with kinds (KIND_INTRA / KIND_INTER)."""
        self = cls.__new__(cls)
        self.config = config or TopologyConfig()
        self.n = int(n)
        self.names = tuple(names) if names is not None else None
        self.planes = self.sats_per_plane = self.phasing = None
        self.plane = np.full(self.n, -1) if plane is None else np.asarray(plane)
        self.slot = np.full(self.n, -1) if slot is None else np.asarray(slot)
        self.shell = np.full(self.n, -1) if shell is None else np.asarray(shell)
        e = np.sort(np.asarray(edges, np.int64).reshape(-1, 2), axis=1)
        k = np.asarray(kinds, np.int8).reshape(-1)
        keep = e[:, 0] != e[:, 1]
        e, k = e[keep], k[keep]
        if len(e):
            _, first = np.unique(e, axis=0, return_index=True)
            first = np.sort(first)
            e, k = e[first], k[first]
        self.edges, self.kind = e, k
        self.edges.flags.writeable = False
        self.kind.flags.writeable = False
        self._inter = self.kind == KIND_INTER
        return self

    @classmethod
    def from_structure(cls, shell, plane, slot, position, config: TopologyConfig | None = None,
                       names=None) -> "GridTopology":
        """+Grid from an inferred (or generated) structure (module docstring).

        ``shell``, ``plane``, ``slot``: int [n] (-1: unassigned, no links); planes are taken in
        increasing plane number, the last linking to the first; ``slot`` orders a plane's ring.
        ``position`` [n, 3]: the satellites' positions at one reference time (any frame, any unit;
        only used to pick the inter-plane pairing). Vectorised within each pair of planes.
        """
        shell, plane, slot = (np.asarray(x, int) for x in (shell, plane, slot))
        pos = np.asarray(position, float)
        n = shell.shape[0]
        if plane.shape != (n,) or slot.shape != (n,) or pos.shape != (n, 3):
            raise ValueError(f"shell/plane/slot must be [n] and position [n, 3], got {shell.shape}, {plane.shape}, "
                             f"{slot.shape}, {pos.shape}")
        with np.errstate(invalid="ignore"):
            unit = pos / np.linalg.norm(pos, axis=1, keepdims=True)
        edges, kinds = [], []
        ok = (shell >= 0) & (plane >= 0) & (slot >= 0) & np.isfinite(unit).all(axis=1)
        for s in np.unique(shell[ok]).tolist():
            in_shell = ok & (shell == s)
            rings = []
            for q in np.unique(plane[in_shell]).tolist():
                members = np.flatnonzero(in_shell & (plane == q))
                ring = members[np.argsort(slot[members], kind="stable")]
                rings.append(ring)
                if ring.size >= 2:
                    pairs = np.stack([ring, np.roll(ring, -1)], 1)[: (1 if ring.size == 2 else ring.size)]
                    edges.append(pairs)
                    kinds.append(np.full(len(pairs), KIND_INTRA))
            n_planes = len(rings)
            for q in range(n_planes if n_planes >= 3 else n_planes - 1):
                pairs = _pair_planes(rings[q], rings[(q + 1) % n_planes], unit)
                edges.append(pairs)
                kinds.append(np.full(len(pairs), KIND_INTER))
        e = np.concatenate(edges) if edges else np.zeros((0, 2), np.int64)
        k = np.concatenate(kinds) if kinds else np.zeros(0, np.int8)
        return cls._from_edges(n, e, k, config, names, plane=plane, slot=slot, shell=shell)

    @classmethod
    def from_constellation(cls, constellation, config: TopologyConfig | None = None) -> "GridTopology":
        """From a ``constellation.ephemeris.Constellation``: the Walker +Grid for a one-shell Walker
        pattern, one grid per shell for a multi-shell Walker (``constellation.walkers``), and the
        inferred grid (:meth:`from_structure`, positions at t_s = 0) for element sets whose
        ``shell`` / ``plane`` / ``slot`` are known."""
        w = getattr(constellation, "walker", None)
        walkers = tuple(getattr(constellation, "walkers", ()) or ())
        names = getattr(constellation, "names", None)
        if w is None and len(walkers) > 1:
            edges, kinds, offset = [], [], 0
            for wk in walkers:
                g = cls.from_walker(wk, config)
                edges.append(g.edges + offset)
                kinds.append(g.kind)
                offset += g.n
            if offset != constellation.n:
                raise ValueError(f"the Walker shells hold {offset} satellites, the constellation {constellation.n}")
            return cls._from_edges(constellation.n, np.concatenate(edges), np.concatenate(kinds), config, names,
                                   plane=constellation.plane, slot=constellation.slot,
                                   shell=getattr(constellation, "shell", None))
        if w is None:
            shell = np.asarray(getattr(constellation, "shell", np.full(constellation.n, -1)))
            if not np.any((shell >= 0) & (np.asarray(constellation.plane) >= 0)):
                raise ValueError("constellation has no Walker pattern and no inferred shells/planes: "
                                 "use NearestTopology instead")
            r, _ = constellation.state_teme(0.0)
            return cls.from_structure(shell, constellation.plane, constellation.slot, r, config, names)
        topo = cls.from_walker(w, config, names=names)
        if not (np.array_equal(np.asarray(constellation.plane), topo.plane)
                and np.array_equal(np.asarray(constellation.slot), topo.slot)):
            raise ValueError("constellation.plane/slot do not follow index = plane * S + slot")
        return topo

    def snapshot(self, r_m, v_m_s, t_s: float | None = None) -> TopologySnapshot:
        """Evaluate every candidate link at ITRS positions ``r_m`` [n, 3] (m) and velocities
        ``v_m_s`` [n, 3] (m/s). Vectorised; no loop over satellites."""
        r = np.asarray(r_m, float)
        v = np.asarray(v_m_s, float)
        if r.shape != (self.n, 3) or v.shape != (self.n, 3):
            raise ValueError(f"positions/velocities have shapes {r.shape}/{v.shape}, expected ({self.n}, 3)")
        cfg = self.config
        a, b = self.edges[:, 0], self.edges[:, 1]
        length = np.linalg.norm(r[a] - r[b], axis=1)
        radius = np.linalg.norm(r, axis=1)
        with np.errstate(invalid="ignore"):
            rng_max = grazing_range_m(radius[a], radius[b], cfg.grazing_height_m, cfg.earth_radius_m)
        reason = np.zeros(len(a), np.int8)
        reason[length > rng_max] = REASON_RANGE
        inter = self._inter
        if cfg.cut_seam:
            asc = v[:, 2] > 0.0
            reason[inter & (asc[a] != asc[b])] = REASON_SEAM
        if cfg.max_lat_deg < 90.0:
            with np.errstate(invalid="ignore"):
                lat, _, _ = itrs_to_geodetic(r)
            high = np.abs(lat) > cfg.max_lat_deg
            reason[inter & (high[a] | high[b])] = REASON_LATITUDE
        present = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
        if not present.all():
            reason[~(present[a] & present[b])] = REASON_ABSENT
        return TopologySnapshot(n=self.n, edges=self.edges, kind=self.kind, length_m=length,
                                up=reason == REASON_UP, reason=reason, t_s=t_s, names=self.names)

    def at(self, constellation, t_s: float) -> TopologySnapshot:
        """Snapshot at ``t_s`` (s since epoch) from ``constellation.state_itrs``."""
        r, v = constellation.state_itrs(float(t_s))
        return self.snapshot(r, v, t_s=float(t_s))


class NearestTopology:
    """k-nearest-neighbour ISLs for constellations without a plane/slot structure (TLE imports).

    k : neighbours sought per satellite (>= 1)
    max_range_m : optional extra range limit (m); the grazing line-of-sight limit always applies
    mutual : keep a link only if each end is among the other's k nearest (degree <= k)
    config : TopologyConfig (only the grazing height and Earth radius are used)
    groups : int [n], optional: link only within a group (e.g. the inferred shells); -1 = no links
    max_velocity_angle_deg : optional: only neighbours whose velocity direction is within this angle
        (deg) of the satellite's own (the k nearest among those *co-moving* ones; needs velocities).
        In a shell, the nearest satellite is often on a crossing pass (ascending vs descending), and
        such a link closes at several km/s and breaks within a minute; this keeps the neighbours
        flying alongside.
    """

    def __init__(self, n: int, k: int = 4, max_range_m: float | None = None, mutual: bool = False,
                 config: TopologyConfig | None = None, names=None, groups=None,
                 max_velocity_angle_deg: float | None = None):
        check_int("NearestTopology.n", n, 1)
        check_int("NearestTopology.k", k, 1)
        if max_range_m is not None and not _as_real(max_range_m) > 0:
            raise ValueError(f"NearestTopology.max_range_m = {max_range_m!r}: must be > 0 m or None")
        self.n, self.k, self.max_range_m, self.mutual = int(n), int(k), max_range_m, bool(mutual)
        self.config = config or TopologyConfig()
        self.names = tuple(names) if names is not None else None
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (self.n,) or not np.issubdtype(groups.dtype, np.integer):
                raise ValueError(f"NearestTopology.groups must be an integer array of shape ({self.n},), "
                                 f"got {groups.dtype} {groups.shape}")
        self.groups = groups
        if max_velocity_angle_deg is not None and not 0.0 < _as_real(max_velocity_angle_deg) <= 180.0:
            raise ValueError(f"NearestTopology.max_velocity_angle_deg = {max_velocity_angle_deg!r}: must be in "
                             "(0, 180] deg or None")
        self.max_velocity_angle_deg = max_velocity_angle_deg

    def snapshot(self, r_m, v_m_s=None, t_s: float | None = None) -> TopologySnapshot:
        r = np.asarray(r_m, float)
        if r.shape != (self.n, 3):
            raise ValueError(f"positions have shape {r.shape}, expected ({self.n}, 3)")
        cfg = self.config
        radius = np.linalg.norm(r, axis=1)
        r_top = float(np.nanmax(radius)) if np.isfinite(radius).any() else 0.0
        bound = float(grazing_range_m(r_top, r_top, cfg.grazing_height_m, cfg.earth_radius_m))
        if self.max_range_m is not None:
            bound = min(bound, float(self.max_range_m))
        present = np.isfinite(r).all(axis=1)
        co_moving = self.max_velocity_angle_deg is not None
        if v_m_s is not None:
            v = np.asarray(v_m_s, float)
            present &= np.isfinite(v).all(axis=1)
        elif co_moving:
            raise ValueError("NearestTopology with max_velocity_angle_deg needs the velocities v_m_s")
        if co_moving:
            with np.errstate(invalid="ignore", divide="ignore"):
                vhat = v / np.linalg.norm(v, axis=1, keepdims=True)
            cos_max = math.cos(math.radians(float(self.max_velocity_angle_deg)))
        group = np.zeros(self.n, int) if self.groups is None else self.groups
        srcs, nbs = [], []
        for g in np.unique(group[present & (group >= 0)]).tolist():
            idx = np.flatnonzero(present & (group == g))
            k = min(self.k, idx.size - 1)
            if k < 1:
                continue
            kq = min(idx.size - 1, 4 * k) if co_moving else k      # co-moving: look further, keep k
            dist, nb = cKDTree(r[idx]).query(r[idx], k=kq + 1, distance_upper_bound=bound * (1 + 1e-12))
            src = np.repeat(np.arange(idx.size), kq + 1).reshape(idx.size, kq + 1)
            ok = (nb < idx.size) & (nb != src)
            if co_moving:
                nbc = np.minimum(nb, idx.size - 1)
                ok &= np.einsum("ij,ikj->ik", vhat[idx], vhat[idx][nbc]) >= cos_max
                ok &= np.cumsum(ok, axis=1) <= k                    # the k nearest co-moving ones
            src, nb, dist = idx[src[ok]], idx[nb[ok]], dist[ok]
            ok = dist <= grazing_range_m(radius[src], radius[nb], cfg.grazing_height_m, cfg.earth_radius_m)
            srcs.append(src[ok])
            nbs.append(nb[ok])
        if not srcs:
            return TopologySnapshot(self.n, np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0),
                                    np.zeros(0, bool), np.zeros(0), t_s=t_s, names=self.names)
        src, nb = np.concatenate(srcs), np.concatenate(nbs)
        pairs = np.sort(np.stack([src, nb], 1), axis=1)
        uniq, counts = np.unique(pairs, axis=0, return_counts=True)
        if self.mutual:
            uniq = uniq[counts == 2]
        length = np.linalg.norm(r[uniq[:, 0]] - r[uniq[:, 1]], axis=1) if len(uniq) else np.zeros(0)
        ne = len(uniq)
        return TopologySnapshot(self.n, uniq.reshape(-1, 2), np.full(ne, KIND_KNN, np.int8), length,
                                np.ones(ne, bool), np.zeros(ne, np.int8), t_s=t_s, names=self.names)

    def at(self, constellation, t_s: float) -> TopologySnapshot:
        r, v = constellation.state_itrs(float(t_s))
        return self.snapshot(r, v, t_s=float(t_s))



class CompleteTopology:
    """Every pair of satellites linked (one hop) when in line of sight above the grazing height:
    the topology ``satcoop overhead`` assumes between cooperating satellites. n(n-1)/2 candidate links."""

    def __init__(self, n: int, config: TopologyConfig | None = None, ideal: bool = False):
        self.n = n
        self.config = config or TopologyConfig()
        iu = np.triu_indices(n, 1)
        self.edges = np.stack(iu, 1).astype(np.int64)
        self.ideal = ideal
        self._ideal = None

    def snapshot(self, r_m, v_m_s=None, t_s=None) -> TopologySnapshot:
        if self.ideal:
            # the zero-latency limit: every pair one hop of zero length, always up (one snapshot for all t)
            if self._ideal is None:
                self._ideal = TopologySnapshot.from_edges(self.n, self.edges, np.zeros(len(self.edges)))
            return self._ideal
        r = np.asarray(r_m, float)
        a, b = self.edges[:, 0], self.edges[:, 1]
        length = np.linalg.norm(r[a] - r[b], axis=1)
        rad = np.linalg.norm(r, axis=1)
        up = length <= grazing_range_m(rad[a], rad[b], self.config.grazing_height_m, self.config.earth_radius_m)
        return TopologySnapshot.from_edges(self.n, self.edges, length, up=up, t_s=t_s)


@dataclass(frozen=True)
class CrossShellConfig:
    """Laser links across shells (see module docstring).

    k : links sought per satellite to satellites of other shells (>= 1)
    max_range_m : longest such link (m); the grazing line-of-sight limit applies as well
    mutual : keep a link only if each end is among the other's k nearest (degree <= k)
    include_transit : transit satellites take part too (each as its own group); default they get none
    """

    k: int = 2
    max_range_m: float = 2_000e3
    mutual: bool = False
    include_transit: bool = False

    def __post_init__(self):
        check_int("CrossShellConfig.k", self.k, 1)
        if not 0.0 < _as_real(self.max_range_m) < np.inf:
            raise ValueError(f"CrossShellConfig.max_range_m = {self.max_range_m!r}: must be a finite range > 0 m")


class CrossShellTopology:
    """``base`` (a :class:`GridTopology` or :class:`NearestTopology`) plus links across shells.

    shell : int [n] shell of each satellite (-1: none); transit : optional bool [n] (transit satellites
    get no cross links unless ``config.include_transit``); config : :class:`CrossShellConfig`.
    The candidate links change at every snapshot, so there is no fixed ``edges`` list: link faults
    are drawn over :func:`union_edges` of the snapshots of a run. ``base_edges``: the base's fixed list
    (None for a k-nearest base).
    """

    def __init__(self, base, shell, transit=None, config: CrossShellConfig | None = None):
        self.base = base
        self.n = int(base.n)
        self.config = config or CrossShellConfig()
        shell = np.asarray(shell)
        if shell.shape != (self.n,) or not np.issubdtype(shell.dtype, np.integer):
            raise ValueError(f"CrossShellTopology.shell must be an integer array of shape ({self.n},), "
                             f"got {shell.dtype} {shell.shape}")
        self.shell = shell.astype(np.int64)
        self.transit = np.zeros(self.n, bool) if transit is None else np.asarray(transit, bool)
        if self.transit.shape != (self.n,):
            raise ValueError(f"CrossShellTopology.transit must have shape ({self.n},), got {self.transit.shape}")
        self.names = getattr(base, "names", None)
        self.base_edges = getattr(base, "edges", None)
        group = self.shell.copy()
        if self.config.include_transit:                          # each transit satellite its own group
            idx = np.flatnonzero(self.transit & (group < 0))
            group[idx] = group.max(initial=-1) + 1 + np.arange(idx.size)
        else:
            group[self.transit] = -1
        self.group = group

    def cross_edges(self, r_m) -> tuple[np.ndarray, np.ndarray]:
        """int [E, 2] (u < v) cross-shell links at ITRS positions ``r_m`` [n, 3] (m) and their lengths (m)."""
        cfg, tcfg = self.config, getattr(self.base, "config", None) or TopologyConfig()
        r = np.asarray(r_m, float)
        part = np.flatnonzero(np.isfinite(r).all(axis=1) & (self.group >= 0))
        if part.size < 2 or np.unique(self.group[part]).size < 2:
            return np.zeros((0, 2), np.int64), np.zeros(0)
        tree = cKDTree(r[part])
        g = self.group[part]
        radius = np.linalg.norm(r[part], axis=1)
        src_all, nb_all = [], []
        todo = np.arange(part.size)
        kq = min(part.size, cfg.k + 4)
        while todo.size:
            dist, nb = tree.query(r[part[todo]], k=kq, distance_upper_bound=float(cfg.max_range_m) * (1 + 1e-12))
            dist, nb = dist.reshape(todo.size, kq), nb.reshape(todo.size, kq)
            found = nb < part.size
            nbc = np.minimum(nb, part.size - 1)
            other = found & (g[nbc] != g[todo][:, None])
            other &= dist <= grazing_range_m(radius[todo][:, None], radius[nbc], tcfg.grazing_height_m,
                                             tcfg.earth_radius_m)
            keep = other & (np.cumsum(other, axis=1) <= cfg.k)
            rows, cols = np.nonzero(keep)
            src_all.append(todo[rows])
            nb_all.append(nb[rows, cols])
            # rows whose kq neighbours were all found (none beyond range) but gave fewer than k: look further
            short = (keep.sum(axis=1) < cfg.k) & found[:, -1]
            if kq >= part.size or not short.any():
                break
            todo, kq = todo[short], min(part.size, 3 * kq)
            # already kept links of these rows are re-found with the larger k; drop them first
            done = ~np.isin(src_all[-1], todo)
            src_all[-1], nb_all[-1] = src_all[-1][done], nb_all[-1][done]
        src = part[np.concatenate(src_all)].astype(np.int64)
        nb = part[np.concatenate(nb_all)].astype(np.int64)
        if not src.size:
            return np.zeros((0, 2), np.int64), np.zeros(0)
        keys, counts = np.unique((np.minimum(src, nb) << 32) | np.maximum(src, nb), return_counts=True)
        if cfg.mutual:
            keys = keys[counts == 2]
        uniq = np.stack([keys >> 32, keys & 0xFFFFFFFF], 1)
        return uniq, np.linalg.norm(r[uniq[:, 0]] - r[uniq[:, 1]], axis=1)

    def snapshot(self, r_m, v_m_s=None, t_s: float | None = None) -> TopologySnapshot:
        """The base snapshot (its links as they are: up or down with their reasons) plus the cross-shell
        links at ITRS positions ``r_m`` [n, 3] (m), all up. A cross link duplicating a base link is dropped."""
        base = self.base.snapshot(r_m, v_m_s, t_s=t_s)
        ce, cl = self.cross_edges(r_m)
        if ce.size and base.edges.size:
            dup = base.edge_rows(ce[:, 0], ce[:, 1]) >= 0
            ce, cl = ce[~dup], cl[~dup]
        ne = ce.shape[0]
        return TopologySnapshot(self.n, np.concatenate([base.edges, ce]),
                                np.concatenate([base.kind, np.full(ne, KIND_CROSS, np.int8)]),
                                np.concatenate([base.length_m, cl]), np.concatenate([base.up, np.ones(ne, bool)]),
                                np.concatenate([base.reason, np.zeros(ne, np.int8)]), t_s=t_s, names=self.names)

    def at(self, constellation, t_s: float) -> TopologySnapshot:
        r, v = constellation.state_itrs(float(t_s))
        return self.snapshot(r, v, t_s=float(t_s))


def union_edges(snapshots) -> np.ndarray:
    """int [E, 2]: every distinct link (u < v) of several snapshots, sorted. With
    :class:`NearestTopology` the links change over time: generate link-level faults over the
    union of the links seen on the run's time grid."""
    edges = [np.asarray(s.edges, np.int64).reshape(-1, 2) for s in snapshots]
    if not edges:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(edges), axis=0)


def _pair_planes(a: np.ndarray, b: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Inter-plane links from plane ``a`` to plane ``b`` (satellite indices in slot order) given unit
    positions ``unit`` [n, 3] at the reference time: with equal counts the cyclic pairing, in either
    orientation, of least summed distance (one link per satellite each way); otherwise each satellite
    of ``a`` to its nearest in ``b``. int [m, 2]."""
    d = np.linalg.norm(unit[a][:, None, :] - unit[b][None, :, :], axis=-1)          # [ma, mb]
    ma, mb = d.shape
    if ma == mb:
        i = np.arange(ma)
        fwd_idx = (i[:, None] + i[None, :]) % ma          # [shift, i] -> partner (i + shift)
        rev_idx = (i[:, None] - i[None, :]) % ma          # [shift, i] -> partner (shift - i)
        fwd = d[i[None, :], fwd_idx].sum(axis=1)
        rev = d[i[None, :], rev_idx].sum(axis=1)
        partner = fwd_idx[int(np.argmin(fwd))] if fwd.min() <= rev.min() else rev_idx[int(np.argmin(rev))]
        return np.stack([a, b[partner]], 1)
    return np.stack([a, b[np.argmin(d, axis=1)]], 1)


def for_constellation(constellation, config: TopologyConfig | None = None, k: int = 4, mode: str = "grid",
                      max_velocity_angle_deg: float | None = None, cross_shell: CrossShellConfig | None = None):
    """The natural builder for a constellation.

    ``mode="grid"`` (default): :class:`GridTopology` when the constellation has a Walker pattern
    (one or several shells) or inferred shells / planes / slots (element sets loaded through
    :func:`constellation.catalog.load_catalog`), else :class:`NearestTopology` with ``k`` neighbours.
    ``mode="knn"``: :class:`NearestTopology` with ``k`` neighbours, within a shell when the shells are
    known (satellites in no shell get no links), only among co-moving satellites when
    ``max_velocity_angle_deg`` is given (see :class:`NearestTopology`).
    ``cross_shell`` (default None: off): wrap the result in a :class:`CrossShellTopology` with that
    config (needs known shells). Transit satellites (``constellation.transit``) have shell -1, so
    they get no +Grid / k-nearest links either way."""
    if mode not in ("grid", "knn"):
        raise ValueError(f"mode must be 'grid' or 'knn', got {mode!r}")
    if cross_shell is not None:
        base = for_constellation(constellation, config, k, mode, max_velocity_angle_deg)
        shell = np.asarray(getattr(constellation, "shell", np.full(constellation.n, -1)))
        if not np.any(shell >= 0):
            raise ValueError("cross_shell links need the shells of the constellation (a Walker pattern or "
                             "element sets whose shells were inferred)")
        return CrossShellTopology(base, shell, getattr(constellation, "transit", None), cross_shell)
    names = getattr(constellation, "names", None)
    shell = getattr(constellation, "shell", None)
    known = shell is not None and bool(np.any(np.asarray(shell) >= 0))
    if mode == "grid":
        walkers = getattr(constellation, "walkers", ())
        if getattr(constellation, "walker", None) is not None or walkers or (
                known and np.any(np.asarray(constellation.plane) >= 0)):
            return GridTopology.from_constellation(constellation, config)
    return NearestTopology(constellation.n, k, config=config, names=names,
                           groups=np.asarray(shell) if known else None, max_velocity_angle_deg=max_velocity_angle_deg)


def link_dynamics(topology, constellation, t_s, survival_s: float = 60.0) -> dict:
    """How stable the links of ``topology`` are over the times ``t_s`` [T] (s, equal steps, ascending).

    Rebuilds a snapshot at every time from ``constellation.state_itrs`` and follows the links that are
    up at ``t_s[0]``. Returns a JSON-able dict:

    ``links`` (up at t0), ``mean_degree`` (t0), ``components`` (connected components of the up graph
    among present satellites with at least one link, t0), ``survival`` (fraction of the t0 links
    still up, the same pair, ``survival_s`` later; nearest grid time), ``lifetime_s_median`` /
    ``lifetime_s_mean`` (time from t0 until a t0 link first goes down, censored at the horizon
    ``t_s[-1] - t_s[0]``), ``censored`` (fraction never down within the horizon),
    ``relative_speed_km_s_median`` / ``_p90`` (|v_u - v_v| of the t0 links, inertial velocities:
    the ITRS velocity plus omega_E x r; two satellites 16 deg apart on one circular orbit already
    differ by 2 v sin 8 deg ~ 2 km/s), ``range_rate_km_s_median`` / ``_p90`` (|d|r_u - r_v|/dt|, the
    frame-independent rate at which the link stretches: ~0 for a rigid pair), ``cross_shell`` (fraction of t0 links joining different
    shells when ``constellation.shell`` is known), ``inclination_mismatch_5deg`` (fraction of t0 links
    whose ends' inclinations differ by more than 5 deg).
    """
    from scipy.sparse.csgraph import connected_components

    t = np.asarray(t_s, float)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("t_s must be an ascending 1-D array of at least two times (s)")
    _, omega = constellation.earth_rotation(t[:1])
    snaps = []
    for lo in range(0, t.size, 32):                        # propagate in chunks of times (bounded memory)
        r_c, v_c = constellation.state_itrs(t[lo:lo + 32])
        if lo == 0:
            r0, v0 = r_c[0], v_c[0]
        snaps += [topology.snapshot(r_c[i], v_c[i], t_s=float(t[lo + i])) for i in range(r_c.shape[0])]
    s0 = snaps[0]
    e0 = s0.edges[s0.up]
    n_links = int(e0.shape[0])
    keys0 = (e0[:, 0] << 32) | e0[:, 1]
    alive = np.ones(n_links, bool)
    down_at = np.full(n_links, np.nan)
    k_surv = int(np.argmin(np.abs(t - t[0] - survival_s)))
    survival = None
    for i in range(1, t.size):
        s = snaps[i]
        eu = s.edges[s.up]
        up_now = np.isin(keys0, (eu[:, 0] << 32) | eu[:, 1])
        newly = alive & ~up_now
        down_at[newly] = t[i] - t[0]
        alive &= up_now
        if i == k_surv:
            survival = float(up_now.mean()) if n_links else float("nan")
    horizon = t[-1] - t[0]
    life = np.where(np.isnan(down_at), horizon, down_at)
    w = omega[0]
    v_in = v0 + w * np.stack([-r0[:, 1], r0[:, 0], np.zeros(len(r0))], axis=1)
    dv = v_in[e0[:, 0]] - v_in[e0[:, 1]]
    dr = r0[e0[:, 0]] - r0[e0[:, 1]]
    rel = np.linalg.norm(dv, axis=1) / 1e3
    range_rate = np.abs(np.sum(dr * dv, axis=1) / np.linalg.norm(dr, axis=1)) / 1e3
    deg = np.bincount(e0.ravel(), minlength=s0.n)
    linked = deg > 0
    if n_links:
        g = s0.csgraph(np.ones(len(s0.edges)))
        _, lab = connected_components(g, directed=False)
        components = int(np.unique(lab[linked]).size)
    else:
        components = 0
    inc = np.degrees([sat.inclo for sat in constellation.satrecs])
    out = {
        "links": n_links,
        "mean_degree": float(deg[np.isfinite(r0).all(axis=1)].mean()),
        "components": components,
        "survival": survival,
        "survival_s": float(t[k_surv] - t[0]),
        "lifetime_s_median": float(np.median(life)) if n_links else float("nan"),
        "lifetime_s_mean": float(np.mean(life)) if n_links else float("nan"),
        "censored": float(np.isnan(down_at).mean()) if n_links else float("nan"),
        "horizon_s": float(horizon),
        "relative_speed_km_s_median": float(np.median(rel)) if n_links else float("nan"),
        "relative_speed_km_s_p90": float(np.percentile(rel, 90)) if n_links else float("nan"),
        "range_rate_km_s_median": float(np.median(range_rate)) if n_links else float("nan"),
        "range_rate_km_s_p90": float(np.percentile(range_rate, 90)) if n_links else float("nan"),
        "inclination_mismatch_5deg": float(np.mean(np.abs(inc[e0[:, 0]] - inc[e0[:, 1]]) > 5.0)) if n_links else 0.0,
    }
    shell = getattr(constellation, "shell", None)
    if shell is not None and np.any(np.asarray(shell) >= 0):
        sh = np.asarray(shell)
        out["cross_shell"] = float(np.mean(sh[e0[:, 0]] != sh[e0[:, 1]])) if n_links else 0.0
    return out
