"""How far from its element sets' epochs a constellation is propagated, and the check that refuses too far.

SGP4 is a fit around an element set's epoch: a few days either side it is good to about a
kilometre, weeks away errors grow to tens or hundreds of kilometres (drag, manoeuvres), and years
away (``--t-s -864000000``, 1998 for a 2026 file) the positions mean nothing. Every element set
has its own epoch; simulation time ``t_s`` is seconds since the constellation's reference epoch
(:class:`constellation.ephemeris.Constellation`, by default the newest element-set epoch). The
time from satellite i's own epoch at ``t_s`` is ``t_s / 86400 + (jd_ref - jd_i)`` days.

:func:`check_propagation_span` refuses (``BadInput``, one line naming the option) when any
satellite would be propagated more than ``max_propagation_days`` (default 30) from its own epoch
at any of the times asked for, or returns that line as a warning text when the caller allows it.
Pure functions; the caller (the config layer) decides the option names shown to the user.
"""
from __future__ import annotations

import numpy as np

from .checks import BadInput, check_real

DEFAULT_MAX_PROPAGATION_DAYS = 30.0
SECONDS_PER_DAY = 86_400.0


def epoch_offsets_days(constellation) -> np.ndarray:
    """float [n]: reference epoch minus each element set's own epoch (days; > 0 for older sets)."""
    whole, frac = constellation.epoch_jd
    jd = np.array([s.jdsatepoch for s in constellation.satrecs], float)
    jf = np.array([s.jdsatepochF for s in constellation.satrecs], float)
    return (whole - jd) + (frac - jf)


def propagation_days(constellation, t_s) -> tuple[float, int]:
    """The largest ``|time from a satellite's own epoch|`` (days) over the satellites and the times
    ``t_s`` (s since the constellation epoch; scalar or array), and the index of that satellite."""
    t = np.atleast_1d(np.asarray(t_s, float)).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)):
        raise BadInput(f"t_s must be finite seconds since the constellation epoch, got {t_s!r}")
    off = epoch_offsets_days(constellation)
    ends = np.array([t.min(), t.max()]) / SECONDS_PER_DAY                 # |a + b| is largest at an end
    d = np.abs(ends[:, None] + off[None, :])                             # [2, n]
    k = int(np.argmax(d.max(axis=0)))
    return float(d[:, k].max()), k


def check_propagation_span(constellation, t_s, *, max_propagation_days: float = DEFAULT_MAX_PROPAGATION_DAYS,
                           allow: bool = False, time_name: str = "t_s",
                           days_option: str = "max_propagation_days",
                           allow_option: str = "allow_far_from_epoch") -> str | None:
    """None when every satellite stays within ``max_propagation_days`` of its own element-set epoch at
    the times ``t_s`` (s since the constellation epoch: a run's start and end, or all its times).

    Otherwise one line naming ``time_name`` (the time as the user gave it), how far that is, the
    stalest satellite, and ``days_option`` / ``allow_option`` (the options as the user types them):
    raised as :class:`constellation.checks.BadInput`, or returned as a warning text when ``allow``.
    ``max_propagation_days`` is checked first (a real number > 0; ``days_option`` named if not).
    """
    limit = check_real(days_option, max_propagation_days, 0.0, None, "days", lo_open=True)
    days, k = propagation_days(constellation, t_s)
    if days <= limit:
        return None
    t = np.atleast_1d(np.asarray(t_s, float)).ravel()
    shown = f"{t[0]:g}" if t.size == 1 else f"{t.min():g}..{t.max():g}"
    sat = constellation.satrecs[k]
    name = constellation.names[k] if getattr(constellation, "names", None) else str(sat.satnum)
    from sgp4.conveniences import sat_epoch_datetime
    epoch = sat_epoch_datetime(sat).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (f"{time_name} = {shown} s propagates {name} {days:.1f} days from its element-set epoch "
            f"({epoch}); SGP4 is not meaningful that far: {days_option} = {limit:g} days")
    if allow:
        return f"warning: {text} ({allow_option} given, running anyway)"
    raise BadInput(f"{text} (raise {days_option} or give {allow_option} to run anyway)")


__all__ = ["DEFAULT_MAX_PROPAGATION_DAYS", "epoch_offsets_days", "propagation_days", "check_propagation_span"]
