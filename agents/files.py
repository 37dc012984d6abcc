"""Writing into the folders a user names (run, training and sweep folders): never through a symlink.

Every file satcoop writes into an output folder is created under a fresh temporary name in that
folder with ``os.open(O_CREAT | O_EXCL | O_NOFOLLOW)`` -- a file or a symlink already at that name
is an error, never written through -- written, fsynced, then renamed onto its final name with
``os.replace``. The rename replaces the directory entry: a symlink planted at the final name is
replaced by the new file and its target is left unchanged; a reader sees the old file or the whole
new one, never a partial one. The write probe of a folder uses a fresh name the same way.

The *partial marker* (``PARTIAL``) says a folder's content is not (yet) a finished result: written
before the work starts, removed as the very last step (:func:`mark_partial`, :func:`mark_complete`),
so a folder left by a killed or interrupted command can never be mistaken for a finished one.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["PARTIAL", "atomic_open", "write_bytes", "write_text", "write_json", "write_with", "probe_folder",
           "mark_partial", "mark_complete", "is_partial", "fsync_dir"]

PARTIAL = "PARTIAL"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def fsync_dir(folder) -> None:
    """fsync a folder (its new and renamed entries on disk); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:                                               # pragma: no cover - not on every platform
        return
    try:
        os.fsync(fd)
    except OSError:                                               # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path) -> Iterator:
    """A binary file object writing ``path`` by exclusive creation of a temporary name in its folder and
    an atomic rename on success (see the module docstring); on an exception the temporary file is removed
    and ``path`` is left as it was."""
    path = Path(path)
    tmp = _temp(path)
    fd = os.open(tmp, _CREATE, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path, data: bytes) -> None:
    with atomic_open(path) as f:
        f.write(data)


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj, indent: int | None = 2) -> None:
    write_text(path, json.dumps(obj, indent=indent) + "\n")


def write_with(path, write: Callable) -> None:
    """``write(fileobj)`` into ``path`` atomically: e.g. ``lambda f: df.to_parquet(f, index=False)``,
    ``lambda f: fig.savefig(f, format="png")``, ``lambda f: torch.save(obj, f)``."""
    with atomic_open(path) as f:
        write(f)


def probe_folder(folder) -> None:
    """Create and remove a file under a fresh name in ``folder`` (OSError if it cannot be written)."""
    probe = Path(folder) / f".satcoop-write-probe-{os.getpid()}-{secrets.token_hex(4)}"
    os.close(os.open(probe, _CREATE, 0o644))
    os.unlink(probe)


def mark_partial(folder, what: str) -> None:
    """Write ``folder/PARTIAL`` (one line: ``what``, e.g. "satcoop run started ..."): the folder is not a
    finished result until :func:`mark_complete`."""
    write_text(Path(folder) / PARTIAL, what.rstrip("\n") + "\n")


def mark_complete(folder) -> None:
    """Remove ``folder/PARTIAL`` (the last step of a finished command), then fsync the folder."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(Path(folder) / PARTIAL)
    fsync_dir(folder)


def is_partial(folder) -> bool:
    return os.path.lexists(Path(folder) / PARTIAL)


def claim_folder(folder, *, option: str, kind: str, own: tuple[str, ...], force: bool = False,
                 resume_hint: str = "") -> str:
    """Check that a command may write its ``kind`` of result ("run", "training run") into ``folder``;
    returns its state: "new" (missing or empty), "partial" (``PARTIAL``: one of ours, cut short),
    "finished" (holds one of the files ``own``, e.g. ``run.json``) or "foreign" (anything else).

    Without ``force`` only "new" is accepted: anything else is a BadInput line naming ``option`` and
    the folder (``resume_hint``, e.g. "--resume to continue it", is offered for ours). Never deletes."""
    from constellation.checks import BadInput

    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        raise BadInput(f"{option} {str(folder)!r}: exists and is not a folder")
    entries = list(folder.iterdir()) if folder.is_dir() else []
    if not entries:
        return "new"
    mine = [n for n in own if os.path.lexists(folder / n)]
    state = "partial" if is_partial(folder) else "finished" if mine else "foreign"
    if force:
        return state
    hint = f"{resume_hint}, " if resume_hint and state != "foreign" else ""
    what = {"partial": f"holds a {kind} that was cut short ({PARTIAL})",
            "finished": f"holds a finished {kind} ({mine[0] if mine else ''})",
            "foreign": f"is not empty and holds no satcoop {kind}"}[state]
    raise BadInput(f"{option} {str(folder)!r} {what}: nothing in it is overwritten; pass {hint}--force to "
                   f"replace it, or choose another {option}")
