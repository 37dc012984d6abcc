"""One way to check numeric arguments in the library layers (constellation/, network/).

``check_int("planes", planes, 1)`` / ``check_real("altitude_km", h, 100, 1e5, "km")`` return the
value (as int / float) or raise ``ValueError`` with one line naming the argument, the value and
the allowed range::

    planes must be an integer >= 1, got 0
    altitude_km must be a real number in [100, 100000] km, got nan

Booleans are not integers here, NaN and infinities are not real numbers in range. (The command
line has its own front end with the same wording and the option names: ``agents/cli/validate.py``;
configuration files use pydantic in ``agents/``.)
"""
from __future__ import annotations

import math
import numbers


class BadInput(ValueError):
    """Bad input from the user (a config field, a command-line option, a file they handed over).

    The one error type for it in every layer: the command line prints its message as one line
    and exits with status 2. Its message names the option or field as the user typed it, the
    value, and what is allowed. Any other exception is an internal error (exit 1). It subclasses
    ``ValueError`` so library callers that catch ``ValueError`` keep working.
    """


class Unavailable(RuntimeError):
    """Something satcoop needs from the machine is not there or did not answer in time (local Ray did
    not start, e.g. under heavy load): neither the user's input nor a bug. The command line prints its
    message as one line and exits with status 1, without calling it a bug."""


def range_text(lo, hi, unit: str = "", lo_open: bool = False, fmt=lambda v: f"{v:g}") -> str:
    """The allowed range as words: ``in [lo, hi] unit``, ``>= lo``, ``> lo``, ``<= hi``, or ""."""
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{fmt(lo)}, {fmt(hi)}]{u}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {fmt(lo)}{u}"
    if hi is not None:
        return f"<= {fmt(hi)}{u}"
    return ""


def check_int(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int if it is an integer (not a bool) in [lo, hi]; else ValueError naming ``name``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        ok = False
    if not ok:
        rng = range_text(lo, hi, fmt=lambda x: f"{int(x):d}")
        raise BadInput(f"{name} must be an integer{' ' + rng if rng else ''}, got {value!r}")
    return int(value)


def check_real(name: str, value, lo: float | None = None, hi: float | None = None, unit: str = "",
               lo_open: bool = False) -> float:
    """``value`` as a float if it is a finite real number in [lo, hi] (``lo_open``: lo excluded);
    else ValueError naming ``name``."""
    try:
        x = float(value) if not isinstance(value, (bool, str, bytes)) else math.nan
    except (TypeError, ValueError):
        x = math.nan
    ok = math.isfinite(x) and not (lo is not None and (x <= lo if lo_open else x < lo)) \
        and not (hi is not None and x > hi)
    if not ok:
        rng = range_text(lo, hi, unit, lo_open)
        raise BadInput(f"{name} must be a real number{' ' + rng if rng else ''}, got {value!r}")
    return x


__all__ = ["BadInput", "check_int", "check_real", "range_text"]
