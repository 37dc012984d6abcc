"""One-line messages for pydantic validation errors (name the field, the value, what is allowed)."""
from __future__ import annotations

from typing import Callable

from pydantic import ValidationError

__all__ = ["config_error", "one_line"]


def _loc(loc) -> str:
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def one_line(exc: ValidationError, prefix: str = "", rename: Callable[[str], str] | None = None) -> str:
    """The first error of ``exc`` as ``"<field> <value!r>: <what is allowed>"``.

    ``prefix`` is prepended to the field's dotted name (e.g. ``"base."``); ``rename`` maps the
    dotted name to what the user typed (e.g. a CLI option ``--max-iter`` for ``max_iter``).
    """
    errs = exc.errors(include_url=False)
    if not errs:                                   # pragma: no cover - pydantic always has one
        return str(exc)
    e = errs[0]
    name = prefix + _loc(e.get("loc", ()))
    name = rename(name) if rename else name
    msg = e.get("msg", "invalid")
    if e.get("type") == "extra_forbidden":
        return f"{name}: unknown field" + (f"; allowed: {e['allowed']}" if "allowed" in e else "")
    if "input" in e and e.get("type") != "missing":
        return f"{name} {e['input']!r}: {msg}"
    return f"{name}: {msg}"


def config_error(exc: ValidationError, prefix: str = "", rename=None, allowed: list[str] | None = None) -> ValueError:
    """A ValueError carrying :func:`one_line` (``allowed``: the field names, listed for unknown fields)."""
    text = one_line(exc, prefix, rename)
    errs = exc.errors(include_url=False)
    top_level = bool(errs) and len(errs[0].get("loc", ())) == 1
    if allowed is not None and top_level and text.endswith(": unknown field"):
        text += f"; allowed: {sorted(allowed)}"
    return ValueError(text)
