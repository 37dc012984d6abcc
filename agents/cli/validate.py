"""One validation of command-line values: documented ranges, checked before any work.

Each subcommand declares its numeric options once::

    RULES = {"S": integer(1, 10_000), "radius_km": real(0, 10_000, "km", lo_open=True), "seed": SEED}
    check_args(args, RULES)

and a bad value raises ``ValueError`` with one line naming the option the
user typed (``--radius-km``, derived from the argparse ``dest``; ``options``
overrides it), the value and what is allowed, which ``satcoop`` prints as
``satcoop CMD: error: ...`` with exit status 2::

    --S = 0: must be an integer in [1, 10000]

List options (``nargs="+"``) are checked element by element; ``None`` (an
option not given) is skipped. This replaces the hand-written "positive
integer" checks. Use :func:`unique` for options whose values must not repeat.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from constellation.checks import range_text


@dataclass(frozen=True)
class Range:
    """An allowed range: integer or finite real, ``lo <= x <= hi`` (``lo_open``: ``lo < x``)."""

    lo: float | None = None
    hi: float | None = None
    integer: bool = False
    unit: str = ""
    lo_open: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        fmt = (lambda v: f"{int(v):d}") if self.integer else (lambda v: f"{v:g}")
        rng = range_text(self.lo, self.hi, self.unit, self.lo_open, fmt)
        return f"{kind} {rng}" if rng else kind

    def ok(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if self.integer:
            if not isinstance(value, int):
                return False
        else:
            try:
                value = float(value)
            except (TypeError, ValueError):
                return False
            if not math.isfinite(value):
                return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return self.hi is None or value <= self.hi

    def check(self, option: str, value):
        """``value`` if allowed, else ValueError ``"<option> = <value>: must be <range>"``."""
        if not self.ok(value):
            raise ValueError(f"{option} = {value!r}: must be {self.describe()}")
        return value


def integer(lo: int | None = None, hi: int | None = None) -> Range:
    return Range(lo, hi, integer=True)


def real(lo: float | None = None, hi: float | None = None, unit: str = "", lo_open: bool = False) -> Range:
    return Range(lo, hi, integer=False, unit=unit, lo_open=lo_open)


POSITIVE_INT = integer(1)
SEED = integer(0, 2**63 - 1)


def option_name(dest: str) -> str:
    """argparse ``dest`` -> the option as typed: ``radius_km`` -> ``--radius-km``."""
    return "--" + dest.replace("_", "-")


def check_args(args, rules: dict, options: dict | None = None) -> None:
    """Check ``getattr(args, dest)`` against ``rules[dest]`` for every rule (lists element-wise)."""
    for dest, rule in rules.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        option = (options or {}).get(dest, option_name(dest))
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            rule.check(option, v)


def unique(option: str, values) -> list:
    """``values`` in order; ValueError naming ``option`` if a value repeats."""
    seen = []
    for v in values:
        if v in seen:
            raise ValueError(f"{option}: {v!r} given more than once; give each value once")
        seen.append(v)
    return seen


__all__ = ["Range", "integer", "real", "POSITIVE_INT", "SEED", "check_args", "option_name", "unique"]
