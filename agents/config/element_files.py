"""Element-set files (``constellation.tle`` / ``constellation.omm``) on a cluster: absolute paths, hashes, content.

A config names element-set files by path, but a sweep unit or a live agent may run on another node
that has neither the driver's working directory nor its file system. So, before any work:

* :func:`resolve_config_paths` makes every relative element-set path of a config dict absolute: relative
  to the config file's folder when the file is there, else to the working directory (where
  ``--tle`` / ``--set`` paths are meant). The validated spec then only holds absolute paths.
* :func:`file_hashes` gives each file's SHA-256 (recorded in the sweep manifest and the campaign key; the
  run folder's constellation provenance lists them per file).
* :func:`pack` reads the files once on the driver, ``{sha256: (file name, bytes)}``; the driver puts that
  in Ray's object store (a sweep) or in the agents' constellation recipe. :func:`unpack` on a worker
  writes each content once into a node-local cache (``$TMPDIR/satcoop-element-sets/<sha256>/<name>``,
  content-addressed, hash checked, atomic rename) and points the config's paths at those copies. A
  cluster without a shared file system works; the numbers are those of the driver's files, bit for bit.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["FIELDS", "cache_dir", "file_hashes", "pack", "resolve_config_paths", "unpack"]

FIELDS = ("tle", "omm")


def _files(spec: dict | None) -> list[str]:
    spec = spec or {}
    out = []
    for f in FIELDS:
        v = spec.get(f) or []
        out += [str(p) for p in ([v] if isinstance(v, (str, Path)) else v)]
    return out


def resolve_config_paths(data: dict, base_dir: str | Path | None = None) -> dict:
    """``data`` (a raw config dict, changed in place and returned) with the element-set paths of its
    ``constellation`` (and of a sweep's ``base.constellation``) absolute: ``base_dir`` / path if that
    file exists, else the working directory's."""
    for holder in (data, data.get("base") if isinstance(data.get("base"), dict) else None):
        spec = holder.get("constellation") if isinstance(holder, dict) else None
        if not isinstance(spec, dict):
            continue
        for f in FIELDS:
            v = spec.get(f)
            if v is None:
                continue
            many = not isinstance(v, (str, Path))
            paths = list(v) if many else [v]
            fixed = []
            for p in paths:
                p = Path(str(p)).expanduser()
                if not p.is_absolute():
                    cand = Path(base_dir) / p if base_dir is not None else None
                    p = cand if cand is not None and cand.exists() else Path.cwd() / p
                fixed.append(str(Path(os.path.normpath(p))))
            spec[f] = fixed if many else fixed[0]
    return data


def _sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_hashes(spec: dict | None) -> dict[str, str]:
    """{path: SHA-256 hex} of every element-set file of a constellation spec (JSON form)."""
    return {p: _sha256_file(p) for p in _files(spec)}


def pack(spec: dict | None) -> dict[str, tuple[str, bytes]]:
    """{path: (SHA-256 hex, content)} of every element-set file of a constellation spec (JSON form)."""
    out = {}
    for p in _files(spec):
        data = Path(p).read_bytes()
        out[p] = (hashlib.sha256(data).hexdigest(), data)
    return out


def cache_dir() -> Path:
    """This node's cache of shipped element-set files."""
    return Path(tempfile.gettempdir()) / "satcoop-element-sets"


def _local_copy(sha: str, name: str, data: bytes) -> str:
    if hashlib.sha256(data).hexdigest() != sha:
        raise RuntimeError(f"element-set content for {name} does not match its SHA-256 {sha[:12]}...")
    path = cache_dir() / sha / name
    if path.is_file() and _sha256_file(path) == sha:
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return str(path)


def unpack(spec: dict | None, blobs: dict[str, tuple[str, bytes]] | None, prefer_local: bool = True) -> dict | None:
    """A copy of ``spec`` (JSON form) whose element-set paths point at this node's copies of ``blobs``
    (:func:`pack`); with ``prefer_local`` a path whose file exists here with the shipped content is kept
    as is (the driver's own provenance names the user's file), else the shipped copy is always used."""
    if not spec or not blobs:
        return spec
    out = dict(spec)
    for f in FIELDS:
        v = spec.get(f)
        if not v:
            continue
        many = not isinstance(v, (str, Path))
        fixed = []
        for p in (list(v) if many else [v]):
            p = str(p)
            if p in blobs:
                sha, data = blobs[p]
                if not (prefer_local and Path(p).is_file() and _sha256_file(p) == sha):
                    p = _local_copy(sha, Path(p).name, data)
            fixed.append(p)
        out[f] = fixed if many else fixed[0]
    return out
