"""Joining Ray: the one place satcoop starts or connects to Ray (``satcoop run`` and ``satcoop sweep``).

* :func:`address_problem` checks an ``--address`` before anything starts: ``auto`` or ``HOST:PORT``
  (the head's GCS port, 6379 unless ``ray start --head --port`` says otherwise). Ray Client
  addresses (``ray://``) are refused (satcoop drives the cluster as a Ray driver, and the
  ``ray[client]`` extra is not installed).
* :func:`connect` without an address starts a new local Ray instance (``address="local"``: never a
  cluster someone else started on this machine) with its start-up warnings silenced (the
  token-authentication notice Ray prints on every local ``ray.init``). With an address it joins the
  cluster and fails fast with ONE line (:class:`BadInput`, exit 2) naming the address and the likely
  cause: nothing listening there (a TCP probe, ``PROBE_S``), no cluster for ``auto``, or the cluster
  refusing this driver's token (token authentication: set ``RAY_AUTH_MODE=token`` and
  ``RAY_AUTH_TOKEN_PATH`` to a copy of the head's token, docs/cluster.md). Ray's own connection
  warnings (one per retry, from its C++ client on file descriptor 2) are captured while it connects
  and never reach the terminal. On success it says which cluster it joined (head address, nodes, CPUs).
* Ray's driver prints the raylet's error messages (a task retried, a worker or node died, with the
  worker's traceback) on STDOUT; :func:`route_ray_messages` sends them to stderr, first line only, so
  ``--json`` output stays parseable and logs hold one line per event.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import tempfile

from agents.config.address import address_problem
from constellation.checks import BadInput, Unavailable

__all__ = ["PROBE_S", "address_problem", "check_address", "check_reachable", "connect", "cluster_line",
           "route_ray_messages"]

PROBE_S = 5.0              # seconds a TCP probe of HOST:PORT may take before it counts as unreachable
_AUTH_LOGGER = "ray._private.authentication.authentication_token_setup"
_TOKEN_HINT = ("set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH to a copy of the head's token file "
               "(~/.ray/auth_token on the head unless RAY_AUTH_TOKEN_PATH was set there; docs/cluster.md)")


def check_address(address, option: str = "--address") -> str | None:
    """``address`` stripped (None stays None); :class:`BadInput` naming ``option`` if malformed."""
    if address is None:
        return None
    msg = address_problem(address)
    if msg:
        raise BadInput(f"{option} = {address!r}: {msg}")
    return address.strip()


def _probe(address: str, option: str) -> None:
    """Fail fast when nothing answers at HOST:PORT (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_S):
            pass
    except ConnectionRefusedError:
        raise BadInput(f"{option} = {address}: nothing is listening there (connection refused); start the head "
                       f"with `ray start --head --port {port}` or give the address it printed") from None
    except socket.gaierror:
        raise BadInput(f"{option} = {address}: cannot resolve the host {host!r}") from None
    except (socket.timeout, TimeoutError):
        raise BadInput(f"{option} = {address}: no answer within {PROBE_S:g} s (host down, wrong address or a "
                       "firewall between this machine and the head)") from None
    except OSError as exc:
        raise BadInput(f"{option} = {address}: cannot reach it ({exc.strerror or exc})") from None


def check_reachable(address, option: str = "--address") -> str | None:
    """:func:`check_address`, then (HOST:PORT) a TCP probe: :class:`BadInput` if nothing answers there."""
    address = check_address(address, option)
    if address is not None and address != "auto":
        _probe(address, option)
    return address


@contextlib.contextmanager
def _captured_fd2():
    """Redirect file descriptor 2 (Ray's C++ warnings) and sys.stderr into a temp file; yields a reader."""
    sys.stderr.flush()
    saved = os.dup(2)
    tmp = tempfile.TemporaryFile(mode="w+b")
    os.dup2(tmp.fileno(), 2)
    text = {"value": ""}
    try:
        yield text
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        tmp.seek(0)
        text["value"] = tmp.read().decode("utf-8", "replace")
        tmp.close()


@contextlib.contextmanager
def _quiet_auth_notice():
    lg = logging.getLogger(_AUTH_LOGGER)
    level = lg.level
    lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        lg.setLevel(level)


def route_ray_messages() -> None:
    """Ray's driver-side error messages (``(raylet) ...``) to stderr, one line each (idempotent)."""
    try:
        from ray._private import worker as ray_worker
    except ImportError:                                     # pragma: no cover - another Ray layout
        return
    original = ray_worker.print_to_stdstream
    if getattr(original, "_satcoop", False):
        return

    def to_stderr(data, ignore_prefix: bool):
        if data.get("pid") == "raylet":
            lines = [str(x).strip().splitlines()[0] for x in data.get("lines", []) if str(x).strip()]
            data = {**data, "lines": lines, "is_err": True}
        return original(data, ignore_prefix)

    to_stderr._satcoop = True
    ray_worker.print_to_stdstream = to_stderr


def cluster_line(ray) -> str:
    """One line saying which cluster this driver is in: the head's address, nodes, CPUs."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    gcs = ray.get_runtime_context().gcs_address
    cpus = ray.cluster_resources().get("CPU", 0.0)
    return f"joined the Ray cluster at {gcs}: {len(nodes)} node(s), {cpus:g} CPUs"


def _init_captured(ray, **kw):
    """``ray.init(**kw)`` with Ray's fd-2 output captured: (the exception or None, what Ray printed). A failed
    start is shut down again, so a later attempt begins clean."""
    err = None
    with _quiet_auth_notice(), _captured_fd2() as captured:
        try:
            ray.init(**kw)
        except Exception as exc:                      # noqa: BLE001 - the callers classify it, one line
            err = exc
    if err is not None:
        with contextlib.suppress(Exception):
            ray.shutdown()
    return err, captured["value"]


def _start_local(ray, num_cpus, kw) -> None:
    """``ray.init`` of a local Ray; if it fails (its processes did not come up in time, e.g. on a machine
    under heavy load) one :class:`Unavailable` line instead of Ray's traceback. What Ray printed on
    the way is passed on when it started."""
    err, text = _init_captured(ray, address="local", num_cpus=num_cpus, **kw)
    if err is None:
        if text:
            sys.stderr.write(text)
        return
    lines = [ln for ln in (str(err) or text).strip().splitlines() if ln.strip()]
    raise Unavailable(f"local Ray did not start ({type(err).__name__}: {lines[-1] if lines else 'no message'}); "
                      "retry when the machine is less loaded (satcoop run can also run without Ray: --runtime local)") from None


def connect(address: str | None = None, *, num_cpus: float | None = None, option: str = "--address",
            log=None) -> bool:
    """Start local Ray (``address`` None) or join the cluster at ``address`` (see module docstring).

    Returns True if this call initialised Ray (the caller shuts it down), False if Ray was already
    initialised (a test cluster, an embedding program: used as is). ``log(line)`` gets the line
    naming the cluster joined (default: stderr).
    """
    import ray

    route_ray_messages()
    if ray.is_initialized():
        return False
    kw = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is None:
        _start_local(ray, num_cpus, kw)
        return True
    address = check_reachable(address, option)
    err, printed = _init_captured(ray, address=address, **kw)
    if err is not None:
        text = f"{printed}\n{type(err).__name__}: {err}"
        if "InvalidAuthToken" in text or "Unauthenticated" in text or "AuthenticationError" in text \
                or "authentication token" in text.lower():
            raise BadInput(f"{option} = {address}: the cluster refused this driver (token authentication); "
                           f"{_TOKEN_HINT}") from None
        if address == "auto":
            raise BadInput(f"{option} = auto: no running Ray cluster found on this machine; start one with "
                           "`ray start --head` or give HOST:PORT") from None
        last = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise BadInput(f"{option} = {address}: could not join the Ray cluster ({last}); is it a Ray head's GCS "
                       "port, and does its Ray version match this one?") from None
    (log or (lambda m: print(f"satcoop: {m}", file=sys.stderr, flush=True)))(cluster_line(ray))
    return True
