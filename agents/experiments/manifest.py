"""The sweep's ``manifest.jsonl``: an append-only, crash-safe record of what a sweep folder holds.

Line 1 is the *header* (``{"type": "header", "campaign": KEY, "config": ..., "created_unix": ...}``),
every further line a *shard record* (``{"type": "shard", "shard": NAME, "units": [uid, ...],
"failed": {uid: error}}``), written after its parquet shard is on disk.

Crash safety. A record is one ``os.write`` of the whole line (newline included) on a descriptor
opened with ``O_APPEND``, then ``fsync``; the file is created exclusively (``O_EXCL``, never through
a symlink) and its folder fsynced. A driver killed mid-append can still leave a *torn tail*: a
last line without its newline (a partial write). :func:`read_manifest` detects it (and any line that
is not a whole, well-formed record), drops it with a one-line warning, and reports the byte length
of the good prefix; :func:`drop_torn_tail` truncates the file there before the next append, so a new
record never lands on a partial line. The units of a dropped record are simply not marked done:
``--resume`` recomputes them. A torn or missing header cannot be repaired (which config made the
shards is unknown): :class:`Manifest` says so in ``header_problem`` and the sweep refuses to resume.

Why one append-only file rather than one small file per shard (atomic rename): the manifest is an
ordered history (a unit retried after a failure: the newest record wins), folders written before
this module stay readable, and the only way an fsync'd append can fail -- a partial last line -- is
detected and repaired here.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from agents.files import fsync_dir

__all__ = ["MANIFEST", "Manifest", "read_manifest", "append_record", "create_manifest", "drop_torn_tail"]

MANIFEST = "manifest.jsonl"


@dataclass
class Manifest:
    """What :func:`read_manifest` found. ``exists``: the file is there; ``header``: line 1 if it is a
    whole header record, else None (``header_problem`` says why, when the file exists);
    ``records``: the readable shard records in file order; ``warnings``: one line per dropped line;
    ``good_bytes``: length of the prefix that ends with the last whole line (``torn_tail``: bytes
    after it form a partial line)."""

    exists: bool = False
    header: dict | None = None
    header_problem: str | None = None
    records: list[dict] = field(default_factory=list)
    extra_headers: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    good_bytes: int = 0
    torn_tail: bool = False


def _is_header(rec) -> bool:
    return isinstance(rec, dict) and rec.get("type") == "header" and isinstance(rec.get("campaign"), str)


def _is_shard(rec) -> bool:
    return (isinstance(rec, dict) and rec.get("type") == "shard" and isinstance(rec.get("shard"), str)
            and "/" not in rec["shard"] and rec["shard"] not in ("", ".", "..")
            and isinstance(rec.get("units"), list) and all(isinstance(u, str) for u in rec["units"])
            and isinstance(rec.get("failed", {}), dict))


def read_manifest(out) -> Manifest:
    """Parse ``out/manifest.jsonl`` (see the module docstring); never raises on a damaged file."""
    path = Path(out) / MANIFEST
    m = Manifest()
    if not path.exists():
        return m
    m.exists = True
    data = path.read_bytes()
    pos, lineno = 0, 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        lineno += 1
        whole = end >= 0
        raw = data[pos:end] if whole else data[pos:]
        nxt = end + 1 if whole else len(data)
        try:
            rec = json.loads(raw.decode("utf-8")) if whole else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            rec = None
        if lineno == 1:
            if _is_header(rec):
                m.header = rec
            else:
                m.header_problem = (f"line 1 (the header) is torn ({len(raw)} bytes, no newline)" if not whole
                                    else "line 1 is not a whole header record")
        elif _is_shard(rec):
            m.records.append(rec)
        elif _is_header(rec):
            m.extra_headers.append(rec)
        else:
            what = (f"is torn ({len(raw)} bytes, no newline: the driver was stopped while writing it)"
                    if not whole else "is not a whole shard record")
            m.warnings.append(f"{MANIFEST} line {lineno} {what}: dropped; its units are recomputed")
        if whole:
            m.good_bytes = nxt
        else:
            m.torn_tail = True
        pos = nxt
    if lineno == 0:
        m.header_problem = "the file is empty (no header)"
    return m


def _line(record: dict) -> bytes:
    return (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.fsync(fd)


def create_manifest(out, header: dict) -> None:
    """A new manifest holding ``header``: created exclusively (an existing file or a symlink there
    is an error, never written through), fsynced, its folder fsynced."""
    out = Path(out)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(out / MANIFEST, flags, 0o644)
    try:
        _write_all(fd, _line(header))
    finally:
        os.close(fd)
    fsync_dir(out)


def append_record(out, record: dict) -> None:
    """Append one record as one whole line (a single write of line + newline), then fsync."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(Path(out) / MANIFEST, flags)
    try:
        _write_all(fd, _line(record))
    finally:
        os.close(fd)


def drop_torn_tail(out, manifest: Manifest) -> None:
    """Cut a torn last line off the file (so the next record starts on a line of its own)."""
    if not manifest.torn_tail:
        return
    fd = os.open(Path(out) / MANIFEST, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.ftruncate(fd, manifest.good_bytes)
        os.fsync(fd)
    finally:
        os.close(fd)
    manifest.torn_tail = False


# ---------------------------------------------------------------------------------------------
# the folder a sweep writes into, and the shards its manifest names


def prepare_sweep_folder(out, key: str, header: dict, *, resume: bool, force: bool, log) -> Manifest:
    """The manifest a sweep (campaign ``key``) continues or starts in ``out``; BadInput naming the
    option (``--resume`` / ``--out``) when continuing or writing there could mix configs or overwrite
    results, unless ``force``: then a conflicting manifest is moved aside (never deleted) and the
    sweep starts anew. Warnings (dropped torn lines) go to ``log``; a torn tail is cut off the file.

    Refused without ``force``: a manifest with a torn or missing header (which config made the
    shards is unknown); a manifest of another campaign; a manifest without ``resume``; ``resume``
    with no manifest (a missing or empty folder: nothing to resume; a non-empty one: its results
    cannot be matched to a config, e.g. a deleted manifest over results.parquet); a non-empty
    folder without a manifest (not a satcoop sweep: nothing in it is overwritten)."""
    from constellation.checks import BadInput

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {str(out)!r}: is not a folder")
    m = read_manifest(out) if out.is_dir() else Manifest()
    opt = "--resume" if resume else "--out"
    anew = "pass --force to start this sweep anew in it (the old manifest is kept aside), or choose another --out"
    if m.exists:
        if m.header is None:
            problem = (f"{opt} {str(out)!r}: {MANIFEST} {m.header_problem}: which sweep config made this "
                       f"folder is unknown")
        elif not resume:
            problem = (f"--out {str(out)!r} already holds a sweep ({MANIFEST}): pass --resume to continue it, "
                       f"--force to start it anew (the old manifest is kept aside), or choose another --out")
            anew = ""
        elif any(h["campaign"] != key for h in [m.header, *m.extra_headers]):
            other = next(h["campaign"] for h in [m.header, *m.extra_headers] if h["campaign"] != key)
            problem = (f"--resume: {str(out)!r} holds a different sweep (kind/seed/base/crn_axes changed: "
                       f"campaign {other} != {key})")
        else:
            for w in m.warnings:
                log(w)
            drop_torn_tail(out, m)
            return m
        if not force:
            raise BadInput(f"{problem}; {anew}" if anew else problem)
        import time
        aside = out / f"{MANIFEST}.replaced-{time.time_ns()}"
        os.replace(out / MANIFEST, aside)
        log(f"--force: {str(out / MANIFEST)!r} moved aside to {aside.name}; the sweep starts anew")
    else:
        nonempty = out.is_dir() and any(out.iterdir())
        if resume and not force:
            if nonempty:
                raise BadInput(f"--resume: {str(out)!r} holds no {MANIFEST} (deleted, or not a sweep folder), so "
                               f"what is in it cannot be matched to a config; pass --force to compute the sweep "
                               f"anew into it (results.parquet is then replaced), or choose another --out")
            raise BadInput(f"--resume: {str(out)!r} holds no sweep (no {MANIFEST}); run without --resume to start one")
        if nonempty and not force:
            raise BadInput(f"--out {str(out)!r} is not empty and holds no satcoop sweep (no {MANIFEST}): nothing "
                           f"in it is overwritten; pass --force to write the sweep into it anyway, or choose "
                           f"another --out")
    try:
        (out / "shards").mkdir(parents=True, exist_ok=True)
        create_manifest(out, header)
    except OSError as exc:                                       # /proc/..., below a file, read-only
        raise BadInput(f"--out {str(out)!r}: cannot create a sweep folder and write in it "
                       f"({exc.strerror or type(exc).__name__})") from None
    return Manifest(exists=True, header=header, good_bytes=len(_line(header)))


def _shard_problem(path: Path, uids: set) -> str | None:
    """Why the shard at ``path`` cannot supply the rows of ``uids`` (None: it can)."""
    if not path.is_file():
        return "is missing"
    try:
        import pyarrow.parquet as pq
        have = set(pq.read_table(path, columns=["uid"]).column("uid").to_pylist())
    except Exception as exc:                                     # noqa: BLE001 - truncated, not parquet, ...
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"is unreadable ({type(exc).__name__}: {text[:120]})"
    lost = uids - have
    return f"lacks the rows of {len(lost)} of its units" if lost else None


def latest_records(out, manifest: Manifest, wanted, log=None) -> tuple[dict, dict]:
    """(uid -> the newest shard record naming it, for the units in ``wanted`` whose shard is on disk
    and readable; shard name -> problem, for the shards that are not). A unit whose newest record
    points at a missing or unreadable shard is left out (it is recomputed); ``log`` gets one line
    per such shard."""
    wanted = set(wanted)
    latest: dict[str, dict] = {}
    for rec in manifest.records:
        for uid in rec["units"]:
            if uid in wanted:
                latest[uid] = rec
    bad: dict[str, str] = {}
    for name in sorted({r["shard"] for r in latest.values()}):
        mine = {u for u, r in latest.items() if r["shard"] == name}
        problem = _shard_problem(Path(out) / "shards" / name, mine)
        if problem:
            bad[name] = problem
            if log:
                log(f"shards/{name} {problem}: its {len(mine)} unit(s) are recomputed")
    return {u: r for u, r in latest.items() if r["shard"] not in bad}, bad
