"""Random numbers keyed by identity: a counter-based generator over uint64 keys.

The mission rule "randomness keyed by identity" (drop i = f(seed, i); a link's
draw = f(seed, satellite id, UT id)) needs draws that depend on *what* is drawn,
not on how many draws came before. A stream of a ``numpy.random.Generator`` cannot
give that: drop 0 of a batch of 4 and of a batch of 8 would differ, and a
satellite's links would be indexed by its slot in the cooperating set.

Here a draw is a hash of its identity::

    uniform(key, stream, id_1, ..., id_n) = (h >> 11 + 0.5) 2^-53,
    h = mix(... mix(mix(key + G) ^ mix(stream + G c_0)) ^ mix(id_1 + G c_1) ...)

with ``mix`` the SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014; the output function of Java's
SplittableRandom), ``G = 0x9E3779B97F4A7C15`` and a distinct odd constant per
position so that swapping two ids changes the draw. The result is uniform on the
open interval (0, 1) with 53-bit resolution (never 0 or 1, so ``ndtri`` is
finite). Everything is vectorised: the ids broadcast against each other as
integer arrays. Normals are ``scipy.special.ndtri`` of the uniforms (inverse CDF,
exact in distribution).

Streams are small integers naming what is drawn (:data:`STREAMS`), so two
different quantities of the same identity are independent.

Seeds: an int >= 0, a ``numpy.random.SeedSequence`` (its entropy and spawn key)
or, for backward compatibility, a ``numpy.random.Generator``, from which ONE
integer is drawn (so the generator's state advances by one draw).
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# One odd multiplier per argument position (stream, id_1, id_2, ...): distinct positions never collide.
_POSITION = tuple(np.uint64((0x9E3779B97F4A7C15 * (2 * p + 3)) % (1 << 64) | 1) for p in range(16))

# Named streams (what is drawn); add new ones at the end, never renumber.
STREAMS = {
    "center_lat": 1, "center_lon": 2, "time": 3, "ut_radius": 4, "ut_bearing": 5, "ut_heading": 6,
    "shadow": 10, "kappa": 11, "link_key": 12,
}


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def seed_key(seed) -> np.uint64:
    """A uint64 key from ``seed``: int >= 0, ``np.random.SeedSequence`` or ``np.random.Generator``
    (one ``integers`` draw). Different seeds give different keys (SeedSequence hashing)."""
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63))
    if isinstance(seed, np.random.SeedSequence):
        ss = seed
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0:
        ss = np.random.SeedSequence(int(seed))
    else:
        raise ValueError(f"seed must be an integer >= 0, a numpy.random.SeedSequence or a numpy.random.Generator, "
                         f"got {seed!r}")
    return ss.generate_state(1, np.uint64)[0]


def _ids(x) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise ValueError(f"keyed ids must be integers, got dtype {a.dtype}")
    return a.astype(np.uint64)      # negative ids wrap to distinct large values (still one-to-one)


def hash64(key, stream: int, *ids) -> np.ndarray:
    """uint64 hash of (key, stream, ids...), broadcast over the ids (and key, if an array)."""
    if len(ids) + 1 > len(_POSITION):
        raise ValueError(f"at most {len(_POSITION) - 1} ids per draw, got {len(ids)}")
    with np.errstate(over="ignore"):
        h = _mix(np.atleast_1d(np.asarray(key, np.uint64)) + _GOLDEN)
        for pos, x in enumerate((stream,) + ids):
            h = _mix(h ^ _mix(_ids(x) * _POSITION[pos] + _GOLDEN))
    return h


def uniform(key, stream: int, *ids) -> np.ndarray:
    """U(0, 1) (open interval) of every identity, shape = broadcast of key and ids."""
    h = hash64(key, stream, *ids)
    shape = np.broadcast_shapes(np.shape(key), *(np.shape(x) for x in ids))
    u = ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return u.reshape(shape)


def normal(key, stream: int, *ids) -> np.ndarray:
    """N(0, 1) of every identity: ``ndtri(uniform(...))``."""
    return ndtri(uniform(key, stream, *ids))


def child_key(key, *ids) -> np.ndarray:
    """A new uint64 key per identity (e.g. one per drop), independent of the parent's draws."""
    h = hash64(key, STREAMS["link_key"], *ids)
    shape = np.broadcast_shapes(np.shape(key), *(np.shape(x) for x in ids))
    return h.reshape(shape)
