"""Reading and writing two-line element sets (TLE) and CelesTrak OMM files.

Parsing and element conversion are sgp4's (``Satrec.twoline2rv``,
``sgp4.omm``, ``sgp4.exporter.export_tle``); this module adds what sgp4 leaves
to the caller: splitting a file into 2-line / 3-line sets, and strict format
checks with errors that name the line number and what is wrong.

All element sets are WGS72 (the SGP4 convention).
"""
from __future__ import annotations

from .checks import BadInput

import csv
import io
import json
import math
import os
import re
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

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


def read_text_file(path, what: str = "element-set file") -> str:
    """The text of ``path`` as UTF-8 (a leading byte-order mark removed).

    ValueError naming the path when it does not exist, is a directory, cannot be read, holds
    NUL bytes (a binary file) or is not valid UTF-8 (naming the byte offset)."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such {what}")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected a {what}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    return decode_text(data, str(path))


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text of ``data`` without a byte-order mark; ValueError naming ``source`` for binary data."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise BadInput(f"{source}: binary data (NUL byte at offset {nul}), expected a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _read_text(text_or_path) -> tuple[str, str]:
    """Return (text, source description) for TLE text or a path to a file.

    A ``str`` holding a newline is TLE text; any other ``str`` (and any ``os.PathLike``) is a path,
    which must name an existing file (a missing path or a directory is an error naming it, never
    parsed as TLE text)."""
    if isinstance(text_or_path, os.PathLike):
        return read_text_file(text_or_path, "TLE file"), str(text_or_path)
    if isinstance(text_or_path, bytes):
        return decode_text(text_or_path, "<bytes>"), "<bytes>"
    if not isinstance(text_or_path, str):
        raise BadInput(f"text_or_path must be TLE text or a path, got {type(text_or_path).__name__}")
    if "\n" not in text_or_path:
        return read_text_file(text_or_path, "TLE file"), text_or_path
    return text_or_path.lstrip("\ufeff"), "<text>"


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
            raise BadInput(f"{where}: field {name} (columns {first}-{last}) is {value!r}, expected {what}: "
                             f"{line!r}")


def _check_line(line: str, number: str, lineno: int, source: str, verify_checksum: bool) -> None:
    where = f"{source}: line {lineno}"
    if len(line) != TLE_LINE_LENGTH:
        raise BadInput(
            f"{where}: bad length {len(line)}, a TLE line {number} has exactly {TLE_LINE_LENGTH} "
            f"characters: {line!r}")
    if line[0] != number or line[1] != " ":
        raise BadInput(f"{where}: a TLE line {number} must start with '{number} ': {line!r}")
    if verify_checksum:
        last = line[68]
        expected = tle_checksum(line)
        if not last.isdigit() or int(last) != expected:
            raise BadInput(
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
                raise BadInput(f"{source}: line {lineno}: expected TLE line 2 after line 1 "
                                 f"at line {line1[0]}, got another line 1: {line!r}")
            _check_line(line, "1", lineno, source, verify_checksum)
            line1 = (lineno, line)
        elif line.startswith("2 ") or line == "2":
            if line1 is None:
                raise BadInput(f"{source}: line {lineno}: TLE line 2 without a preceding line 1: {line!r}")
            _check_line(line, "2", lineno, source, verify_checksum)
            if line[2:7] != line1[1][2:7]:
                raise BadInput(
                    f"{source}: line {lineno}: catalogue number {line[2:7].strip()!r} differs from "
                    f"{line1[1][2:7].strip()!r} on line 1 at line {line1[0]}")
            sat = Satrec.twoline2rv(line1[1], line, WGS72)
            label = name[1] if name is not None else line[2:7].strip()
            check_elements(sat, f"{source}: TLE set {len(satrecs) + 1} ({label!r}, line {lineno})", _TLE_NAMES)
            satrecs.append(sat)
            names.append(label)
            name, line1 = None, None
        else:
            if line1 is not None:
                raise BadInput(f"{source}: line {lineno}: expected TLE line 2 after line 1 "
                                 f"at line {line1[0]}, got {line!r}")
            if name is not None:
                raise BadInput(f"{source}: line {lineno}: expected TLE line 1 after the name "
                                 f"line {name[0]}, got {line!r}")
            stripped = line.strip()
            name = (lineno, stripped[2:].strip() if stripped.startswith("0 ") else stripped)
    if line1 is not None:
        raise BadInput(f"{source}: line {line1[0]}: TLE line 1 without a following line 2")
    if name is not None:
        raise BadInput(f"{source}: line {name[0]}: name line {name[1]!r} without element lines")
    if not satrecs:
        raise BadInput(f"{source}: no TLE element sets found")
    return satrecs, names


# One validation of the mean elements for both formats: (Satrec attribute, scale to the unit of the
# range, lower bound, upper bound, upper bound included). Names per format for the error message.
_ELEMENT_CHECKS = (
    ("inclo", math.degrees(1.0), 0.0, 180.0, True, "deg"),
    ("nodeo", math.degrees(1.0), 0.0, 360.0, True, "deg"),
    ("argpo", math.degrees(1.0), 0.0, 360.0, True, "deg"),
    ("mo", math.degrees(1.0), 0.0, 360.0, True, "deg"),
    ("ecco", 1.0, 0.0, 1.0, False, ""),
    ("no_kozai", 720.0 / math.pi, 1e-9, 1e3, True, "rev/day"),
    ("bstar", 1.0, -math.inf, math.inf, True, ""),
)
_TLE_NAMES = {"inclo": "inclination_deg", "nodeo": "raan_deg", "argpo": "arg_perigee_deg",
              "mo": "mean_anomaly_deg", "ecco": "eccentricity", "no_kozai": "mean_motion_rev_per_day",
              "bstar": "bstar"}
_OMM_NAMES = {"inclo": "INCLINATION", "nodeo": "RA_OF_ASC_NODE", "argpo": "ARG_OF_PERICENTER",
              "mo": "MEAN_ANOMALY", "ecco": "ECCENTRICITY", "no_kozai": "MEAN_MOTION", "bstar": "BSTAR"}
# The OMM fields sgp4.omm.initialize reads, and the numeric ones.
_OMM_REQUIRED = ("OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                 "ARG_OF_PERICENTER", "MEAN_ANOMALY", "NORAD_CAT_ID", "BSTAR", "MEAN_MOTION_DOT",
                 "MEAN_MOTION_DDOT", "CLASSIFICATION_TYPE", "EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH")
_OMM_REAL = ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER",
             "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
_OMM_INT = ("NORAD_CAT_ID", "EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH")


def check_elements(sat: Satrec, where: str, field_names: dict | None = None) -> None:
    """The mean elements of ``sat`` are finite and in range (both formats go through this check):
    inclination [0, 180] deg, RAAN / argument of perigee / mean anomaly [0, 360] deg, eccentricity
    [0, 1), mean motion (0, 1000] rev/day. ValueError ``"<where>: field <NAME> = <value>: ..."``."""
    names = field_names or _OMM_NAMES
    for attr, scale, lo, hi, hi_closed, unit in _ELEMENT_CHECKS:
        value = float(getattr(sat, attr)) * scale
        ok = math.isfinite(value) and lo <= value and (value <= hi if hi_closed else value < hi)
        if not ok:
            rng = f"[{lo:g}, {hi:g}{']' if hi_closed else ')'}" + (f" {unit}" if unit else "")
            if not math.isfinite(lo):
                rng = "a finite number"
            raise BadInput(f"{where}: field {names[attr]} = {value:.10g}: must be {rng}")


def _omm_records(path: Path, text: str, suffix: str) -> list:
    if suffix == ".csv":
        try:
            return list(omm.parse_csv(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise BadInput(f"{path}: invalid CSV: {exc}") from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path}: invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
        if isinstance(data, dict):
            return [data]
        if not isinstance(data, list):
            raise BadInput(f"{path}: an OMM JSON file holds an object or a list of objects, "
                             f"got a {type(data).__name__}")
        return data
    if suffix == ".xml":
        try:
            return list(omm.parse_xml(io.BytesIO(text.encode("utf-8"))))
        except ElementTree.ParseError as exc:
            raise BadInput(f"{path}: invalid OMM XML: {exc}") from None
        except (AttributeError, TypeError):              # a <segment> without metadata / data / meanElements
            raise BadInput(f"{path}: invalid OMM XML: a <segment> lacks <metadata>, <data>, <meanElements> or "
                           f"<tleParameters> (CelesTrak's OMM XML layout)") from None
    raise BadInput(f"{path}: an OMM file must end in .csv, .json or .xml, got {suffix or 'no extension'!r}")


def _check_omm_fields(fields: dict, where: str) -> None:
    missing = [key for key in _OMM_REQUIRED if key not in fields or fields[key] is None]
    if missing:
        raise BadInput(f"{where}: missing field {missing[0]}")
    for key in _OMM_REAL:
        value = fields[key]
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise BadInput(f"{where}: field {key} = {value!r}: must be a real number")
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise BadInput(f"{where}: field {key} = {value!r}: must be a real number") from None
        if not math.isfinite(x):
            raise BadInput(f"{where}: field {key} = {value!r}: must be a finite number")
    for key in _OMM_INT:
        value = str(fields[key]).strip()
        if not _DIGITS.match(value):
            raise BadInput(f"{where}: field {key} = {fields[key]!r}: must be a non-negative integer")
    try:
        datetime.strptime(str(fields["EPOCH"]), "%Y-%m-%dT%H:%M:%S.%f")
    except ValueError:
        raise BadInput(f"{where}: field EPOCH = {fields['EPOCH']!r}: must be a UTC time "
                         "YYYY-MM-DDTHH:MM:SS.ffffff") from None


def read_omm(path) -> tuple[list[Satrec], list[str]]:
    """Read a CelesTrak OMM file (``.csv``, ``.json`` or ``.xml``) via ``sgp4.omm``.

    Returns ``(satrecs, names)`` (names from ``OBJECT_NAME``). Every problem raises ``ValueError``
    with one line naming the file, the record (1-based) and the field: a missing / binary /
    non-UTF-8 file, invalid JSON / CSV / XML, a JSON value that is not an object or a list of
    objects, a missing or non-numeric field, and elements out of range (the same check as the
    TLE reader, :func:`check_elements`).
    """
    path = Path(path)
    text = read_text_file(path, "OMM file")
    records = _omm_records(path, text, path.suffix.lower())
    satrecs, names = [], []
    for k, fields in enumerate(records, start=1):
        where = f"{path}: OMM record {k}"
        if not isinstance(fields, dict):
            raise BadInput(f"{where}: expected an object of OMM fields, got a {type(fields).__name__}")
        _check_omm_fields(fields, where)
        fields = {key: str(value).strip() for key, value in fields.items() if value is not None}
        sat = Satrec()
        try:
            omm.initialize(sat, fields)
        except (KeyError, ValueError) as exc:
            raise BadInput(f"{where}: bad field value: {exc}") from None
        name = fields.get("OBJECT_NAME", str(sat.satnum)).strip().lstrip("\ufeff")
        check_elements(sat, f"{where} ({name!r})", _OMM_NAMES)
        satrecs.append(sat)
        names.append(name)
    if not satrecs:
        raise BadInput(f"{path}: no OMM records found")
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
            raise BadInput(f"names must have one entry per satrec ({len(satrecs)}), got {len(names)}")
    out = io.StringIO()
    for k, sat in enumerate(satrecs):
        line1, line2 = export_tle(sat)
        if names is not None:
            out.write(f"{names[k]}\n")
        out.write(f"{line1}\n{line2}\n")
    return out.getvalue()


__all__ = ["read_tle", "read_omm", "write_tle", "tle_checksum", "check_elements", "read_text_file"]
