"""The one check of a Ray ``--address`` string (before anything starts): ``auto`` or ``HOST:PORT``.

Used by :class:`agents.config.run.RunConfig` and :mod:`agents.live.cluster` (which probes and joins)."""
from __future__ import annotations

__all__ = ["address_problem"]


def address_problem(address) -> str | None:
    """What is wrong with a Ray address (None: fine). Allowed: ``auto`` or ``HOST:PORT``."""
    if not isinstance(address, str) or not address.strip():
        return "give auto or HOST:PORT of the Ray head (ray start --head prints it)"
    a = address.strip()
    if a.startswith("ray://"):
        return ("Ray Client addresses (ray://) are not supported; give the head's GCS address HOST:PORT "
                "(default port 6379) or auto")
    if a == "auto":
        return None
    if "://" in a:
        return "give HOST:PORT (no scheme), e.g. 10.0.0.5:6379, or auto"
    host, sep, port = a.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        return "give auto or HOST:PORT of the Ray head (e.g. 10.0.0.5:6379; ray start --head prints it)"
    return None
