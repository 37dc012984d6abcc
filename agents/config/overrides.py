"""Config files and ``--set FIELD=VALUE``: TOML in, a nested dict out, one dotted-key setter.

``read_toml(path)`` reads a TOML file (one line naming the file when it is missing, a folder, not
UTF-8 text or not TOML); ``apply_override(data, "faults.model=iid")`` sets one dotted field
(the value parsed as TOML, else taken as a string); :func:`set_dotted` is the setter every
config uses (``--set``, sweep grid axes, ``RunConfig.replace``).
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from constellation.checks import BadInput

__all__ = ["read_toml", "parse_value", "set_dotted", "apply_override"]


def read_toml(path: str | Path, name: str = "CONFIG") -> dict:
    """The TOML file at ``path`` as a dict; :class:`BadInput` naming ``name`` and the file otherwise."""
    p = Path(path)
    if p.is_dir():
        raise BadInput(f"{name} = {str(path)!r}: is a directory, expected a TOML file")
    if not p.is_file():
        raise BadInput(f"{name} = {str(path)!r}: no such file")
    raw = p.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]                     # a UTF-8 byte-order mark is not part of the TOML
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{name} = {str(path)!r}: not UTF-8 text (a TOML file is UTF-8)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{name} = {str(path)!r}: not valid TOML ({exc})") from None


def parse_value(text: str):
    """A ``--set`` value: TOML (``4``, ``true``, ``[1, 2]``, ``"a"``, ``{x = 1}``), else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_dotted(data: dict, dotted: str, value, option: str = "--set") -> None:
    """``data["a"]["b"] = value`` for ``dotted = "a.b"`` (tables created as needed)."""
    keys = dotted.split(".")
    cur = data
    for k in keys[:-1]:
        nxt = cur.get(k)
        if nxt is None:
            nxt = cur[k] = {}
        if not isinstance(nxt, dict):
            raise BadInput(f"{option} {dotted}: {k!r} is not a table of fields")
        cur = nxt
    cur[keys[-1]] = value


def apply_override(data: dict, item: str) -> str:
    """Apply one ``FIELD=VALUE`` override in place; returns the field's dotted name."""
    if not isinstance(item, str) or "=" not in item:
        raise BadInput(f"--set {item!r}: expected FIELD=VALUE, e.g. faults.model=iid or S=4")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise BadInput(f"--set {item!r}: empty field name")
    set_dotted(data, key, parse_value(text.strip()))
    return key
