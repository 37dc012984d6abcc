"""Reading and writing two-line element sets (TLE) and CelesTrak OMM files.

Parsing and element conversion are sgp4's (``Satrec.twoline2rv``,
``sgp4.omm``, ``sgp4.exporter.export_tle``); this module adds what sgp4 leaves
to the caller: splitting a file into 2-line / 3-line sets, and strict format
checks with errors that name the line number and what is wrong.

All element sets are WGS72 (the SGP4 convention).
"""
from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

from sgp4 import omm
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_tle

TLE_LINE_LENGTH = 69


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 characters of a TLE line (digits count, '-' counts 1)."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _read_text(text_or_path) -> tuple[str, str]:
    """Return (text, source description) for TLE text or a path to a file."""
    if isinstance(text_or_path, os.PathLike):
        return Path(text_or_path).read_text(), str(text_or_path)
    if isinstance(text_or_path, bytes):
        return text_or_path.decode("ascii"), "<bytes>"
    if not isinstance(text_or_path, str):
        raise ValueError(f"text_or_path must be TLE text or a path, got {type(text_or_path).__name__}")
    if "\n" not in text_or_path and Path(text_or_path).is_file():
        return Path(text_or_path).read_text(), text_or_path
    return text_or_path, "<text>"


_DECIMAL = re.compile(r"^ *[+-]?(\d+\.?\d*|\.\d+) *$")
_IMPLIED_EXPONENT = re.compile(r"^[ +-]?\d{5}[ +-]\d$")          # e.g. " 18200-3" = 0.18200e-3
_DIGITS = re.compile(r"^ *\d+$")

# (name, first column, last column (1-based, inclusive), pattern, what is expected, allowed range or None)
_FIELDS = {
    "1": (("epoch_year", 19, 20, re.compile(r"^\d\d$"), "two digits", None),
          ("epoch_day", 21, 32, _DECIMAL, "a decimal day of year", (1.0, 367.0)),
          ("mean_motion_dot", 34, 43, _DECIMAL, "a decimal number (rev/day^2 / 2)", None),
          ("mean_motion_ddot", 45, 52, _IMPLIED_EXPONENT, "an implied-decimal number like ' 12345-5'", None),
          ("bstar", 54, 61, _IMPLIED_EXPONENT, "an implied-decimal number like ' 18200-3'", None)),
    "2": (("inclination_deg", 9, 16, _DECIMAL, "a decimal angle", (0.0, 180.0)),
          ("raan_deg", 18, 25, _DECIMAL, "a decimal angle", (0.0, 360.0)),
          ("eccentricity", 27, 33, _DIGITS, "digits (implied leading decimal point)", None),
          ("arg_perigee_deg", 35, 42, _DECIMAL, "a decimal angle", (0.0, 360.0)),
          ("mean_anomaly_deg", 44, 51, _DECIMAL, "a decimal angle", (0.0, 360.0)),
          ("mean_motion_rev_per_day", 53, 63, _DECIMAL, "a positive decimal number", (1e-9, 1e3))),
}


def _check_fields(line: str, number: str, where: str) -> None:
    """Every numeric element field of a TLE line parses and lies in its range (sgp4's parser does not
    check: '5x.6498' in the inclination columns would silently become 5 degrees)."""
    for name, first, last, pattern, what, bounds in _FIELDS[number]:
        value = line[first - 1:last]
        ok = pattern.match(value) is not None
        if ok and bounds is not None:
            ok = bounds[0] <= float(value) <= bounds[1]
            what += f" in [{bounds[0]:g}, {bounds[1]:g}]"
        if not ok:
            raise ValueError(f"{where}: field {name} (columns {first}-{last}) is {value!r}, expected {what}: "
                             f"{line!r}")


def _check_line(line: str, number: str, lineno: int, source: str, verify_checksum: bool) -> None:
    where = f"{source}: line {lineno}"
    if len(line) != TLE_LINE_LENGTH:
        raise ValueError(
            f"{where}: bad length {len(line)}, a TLE line {number} has exactly {TLE_LINE_LENGTH} "
            f"characters: {line!r}")
    if line[0] != number or line[1] != " ":
        raise ValueError(f"{where}: a TLE line {number} must start with '{number} ': {line!r}")
    if verify_checksum:
        last = line[68]
        expected = tle_checksum(line)
        if not last.isdigit() or int(last) != expected:
            raise ValueError(
                f"{where}: bad checksum: last character is {last!r}, the modulo-10 checksum of "
                f"columns 1-68 is {expected}: {line!r}")
    _check_fields(line, number, where)


def read_tle(text_or_path, *, verify_checksum: bool = True) -> tuple[list[Satrec], list[str]]:
    """Parse 2-line or 3-line TLE sets from text, or from a file given its path.

    Parameters
    ----------
    text_or_path : str | os.PathLike | bytes
        The TLE text itself (any string containing a newline), or a path.
    verify_checksum : bool
        Check the modulo-10 checksum in column 69 of every element line.

    Returns
    -------
    (satrecs, names) : list of ``sgp4.api.Satrec`` (WGS72), list of str.
        3-line sets use their name line (a leading ``"0 "`` is dropped);
        2-line sets are named by their catalogue number.

    Blank lines and lines starting with ``#`` are ignored. Every element line
    must be exactly 69 characters (trailing whitespace ignored), start with
    ``"1 "`` / ``"2 "``, carry a valid checksum, and both lines of a set must
    have the same catalogue number. Anything else raises ``ValueError`` naming
    the line number and the problem. Element sets that SGP4 cannot propagate
    (e.g. decayed) are returned; the error surfaces, with the satellite's name
    and the time, when they are propagated.
    """
    text, source = _read_text(text_or_path)
    satrecs: list[Satrec] = []
    names: list[str] = []
    name: tuple[int, str] | None = None          # (lineno, name) awaiting its line 1
    line1: tuple[int, str] | None = None         # (lineno, line) awaiting its line 2

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("1 ") or line == "1":
            if line1 is not None:
                raise ValueError(f"{source}: line {lineno}: expected TLE line 2 after line 1 "
                                 f"at line {line1[0]}, got another line 1: {line!r}")
            _check_line(line, "1", lineno, source, verify_checksum)
            line1 = (lineno, line)
        elif line.startswith("2 ") or line == "2":
            if line1 is None:
                raise ValueError(f"{source}: line {lineno}: TLE line 2 without a preceding line 1: {line!r}")
            _check_line(line, "2", lineno, source, verify_checksum)
            if line[2:7] != line1[1][2:7]:
                raise ValueError(
                    f"{source}: line {lineno}: catalogue number {line[2:7].strip()!r} differs from "
                    f"{line1[1][2:7].strip()!r} on line 1 at line {line1[0]}")
            satrecs.append(Satrec.twoline2rv(line1[1], line, WGS72))
            names.append(name[1] if name is not None else line[2:7].strip())
            name, line1 = None, None
        else:
            if line1 is not None:
                raise ValueError(f"{source}: line {lineno}: expected TLE line 2 after line 1 "
                                 f"at line {line1[0]}, got {line!r}")
            if name is not None:
                raise ValueError(f"{source}: line {lineno}: expected TLE line 1 after the name "
                                 f"line {name[0]}, got {line!r}")
            stripped = line.strip()
            name = (lineno, stripped[2:].strip() if stripped.startswith("0 ") else stripped)
    if line1 is not None:
        raise ValueError(f"{source}: line {line1[0]}: TLE line 1 without a following line 2")
    if name is not None:
        raise ValueError(f"{source}: line {name[0]}: name line {name[1]!r} without element lines")
    if not satrecs:
        raise ValueError(f"{source}: no TLE element sets found")
    return satrecs, names


def read_omm(path) -> tuple[list[Satrec], list[str]]:
    """Read a CelesTrak OMM file (``.csv``, ``.json`` or ``.xml``) via ``sgp4.omm``.

    Returns ``(satrecs, names)`` (names from ``OBJECT_NAME``). A missing or
    unparsable field raises ``ValueError`` naming the record and the field.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with open(path, newline="") as f:
        if suffix == ".csv":
            records = list(omm.parse_csv(f))
        elif suffix == ".json":
            data = json.load(f)
            records = [data] if isinstance(data, dict) else list(data)
        elif suffix == ".xml":
            records = list(omm.parse_xml(f))
        else:
            raise ValueError(f"path must end in .csv, .json or .xml (OMM), got {str(path)!r}")
    satrecs, names = [], []
    for k, fields in enumerate(records, start=1):
        fields = {key: str(value) for key, value in fields.items()}
        sat = Satrec()
        try:
            omm.initialize(sat, fields)
        except KeyError as exc:
            raise ValueError(f"{path}: OMM record {k}: missing field {exc.args[0]}") from None
        except ValueError as exc:
            raise ValueError(f"{path}: OMM record {k}: bad field value: {exc}") from None
        satrecs.append(sat)
        names.append(fields.get("OBJECT_NAME", str(sat.satnum)).strip())
    if not satrecs:
        raise ValueError(f"{path}: no OMM records found")
    return satrecs, names


def write_tle(satrecs, names=None) -> str:
    """TLE text for ``satrecs`` (via ``sgp4.exporter.export_tle``).

    3-line sets (name line first) when ``names`` is given, else 2-line sets.
    Lines are separated and terminated by ``"\\n"``.
    """
    satrecs = list(satrecs)
    if names is not None:
        names = list(names)
        if len(names) != len(satrecs):
            raise ValueError(f"names must have one entry per satrec ({len(satrecs)}), got {len(names)}")
    out = io.StringIO()
    for k, sat in enumerate(satrecs):
        line1, line2 = export_tle(sat)
        if names is not None:
            out.write(f"{names[k]}\n")
        out.write(f"{line1}\n{line2}\n")
    return out.getvalue()


__all__ = ["read_tle", "read_omm", "write_tle", "tle_checksum"]
