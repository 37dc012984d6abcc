"""Per-thread scratch buffers for the nets' inference temporaries (:mod:`.fast`, :func:`.features.upa_fit`).

A fresh multi-megabyte tensor per call costs a page fault per 4 KiB page on its first touch when the
allocator has handed the memory back to the system (glibc does so for large blocks): ~2 us each, 400-800
per Cen-TFC-WM call at the benchmark's batch. A buffer here is reused by the same thread's later calls.
Only for temporaries that die within the call: never return one, never keep one across calls.
"""
from __future__ import annotations

import threading

import torch

__all__ = ["buffer"]

_local = threading.local()


def buffer(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """This thread's buffer ``name`` with ``shape`` and ``dtype`` (uninitialised; reallocated when either changes)."""
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    t = pool.get(name)
    shape = tuple(shape)
    if t is None or tuple(t.shape) != shape or t.dtype != dtype:
        t = pool[name] = torch.empty(shape, dtype=dtype)
    return t
