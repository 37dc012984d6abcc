"""The one formatter of configuration errors: a pydantic ValidationError as ONE line.

``field = value: what is allowed`` -- the field named as the user wrote it (a dotted config path,
with a ``prefix`` such as ``base.`` for a sweep's base, or the command-line option through
``rename``), the value they gave and the rule it broke. An unknown field lists the fields allowed
at that place. :func:`parse` validates a model and raises :class:`BadInput` (exit status 2 on the
command line) with that line.
"""
from __future__ import annotations

import typing
from typing import Callable, Mapping

from pydantic import BaseModel, ValidationError

from constellation.checks import BadInput

__all__ = ["BadInput", "one_line", "parse"]

_TYPE_TAGS = {"int", "str", "float", "bool", "dict", "list", "none", "tuple"}
_UNION_TYPES = ("model_type", "dict_type", "list_type", "model_attributes_type")


def _is_tag(x) -> bool:
    """pydantic's union-branch tags in an error location (``list[int]``, ``WalkerShellSpec``,
    ``literal['central']``, ``function-after[...]``): not field names."""
    if not isinstance(x, str):
        return False
    return ("[" in x or "'" in x or x.startswith("function-") or x in _TYPE_TAGS
            or (len(x) > 2 and x[0].isupper() and any(c.islower() for c in x)))


def _lookup(data, loc):
    cur = data
    for k in loc:
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _models_in(ann) -> list:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in typing.get_args(ann) for m in _models_in(a)]


def _allowed_fields(model, loc) -> list[str]:
    for k in loc:
        if isinstance(k, int):
            continue
        f = model.model_fields.get(str(k))
        found = _models_in(getattr(f, "annotation", None))
        if not found:
            break
        model = found[0]
    return sorted(model.model_fields)


def _text(value) -> str:
    t = repr(value)
    return t if len(t) <= 120 else t[:117] + "..."


def one_line(exc: ValidationError, model: type[BaseModel] | None = None, data=None, *, prefix: str = "",
             rename: Mapping[str, str] | Callable[[str], str] | None = None) -> str:
    """The first error of ``exc`` as one line (see the module docstring).

    model: the validated model (lists the allowed fields of an unknown one, and its ``FIELD_HINTS``:
    a field name -> the words for what it takes, where pydantic's own are unhelpful); data: the
    input (for the value where pydantic does not keep it); prefix: prepended to the dotted name;
    rename: maps the dotted name (or its first part) to what the user typed."""
    errs = exc.errors(include_url=False)
    matched = [e for e in errs if e.get("type") not in _UNION_TYPES]
    e = (matched or errs)[0]
    loc = [x for x in e.get("loc", ()) if not _is_tag(x)]
    msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    kind = e.get("type")
    hints = getattr(model, "FIELD_HINTS", {}) if model is not None else {}
    value = e["input"] if "input" in e else _lookup(data, loc)
    if loc and isinstance(loc[0], str) and loc[0] in hints and kind != "extra_forbidden":
        loc, msg, value = loc[:1], hints[loc[0]], _lookup(data, loc[:1]) if data is not None else value
    elif loc and isinstance(loc[-1], str) and ("*." + loc[-1]) in hints and kind != "extra_forbidden":
        msg = hints["*." + loc[-1]]
    name = prefix + ".".join(str(x) for x in loc)
    if rename is not None and loc:
        if callable(rename):
            name = rename(name)
        else:
            head, _, tail = name.partition(".")
            name = rename.get(name) or (rename[head] + (f"[{tail}]" if tail else "") if head in rename else name)
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1]) if model is not None else []
        return f"{name} = {_text(value)}: unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if not loc:                     # a whole-model rule: its message names the fields and values itself
        return f"{prefix.rstrip('.')}: {msg}" if prefix else msg
    if kind == "missing":
        return f"{name}: required"
    return f"{name} = {_text(value)}: {msg}"


def parse(model: type[BaseModel], data, *, prefix: str = "", rename=None):
    """``model`` validated from ``data``; :class:`BadInput` with :func:`one_line` on bad input."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise BadInput(one_line(exc, model, data, prefix=prefix, rename=rename)) from None
