"""Stopping a command cleanly on SIGINT / SIGTERM: keep what was computed, mark the folder partial.

:func:`stop_on_signals` installs handlers for SIGINT and SIGTERM (main thread only) that only *record*
the first signal: the work loop (the episode's ticks, the training steps, the sweep's wait for tasks)
polls :attr:`StopRequest.signum` at a safe point, writes what it has (marked partial) and raises
:class:`Interrupted`. A second signal raises :class:`Interrupted` at once (the user insists). The previous
handlers are restored on exit. ``ray.init`` installs its own SIGTERM handler (``sys.exit``): call
:meth:`StopRequest.arm` again after starting Ray.

On the command line an :class:`Interrupted` exits with status 128 + the signal number (130 for SIGINT,
143 for SIGTERM) and one line saying what was kept.
"""
from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["Interrupted", "StopRequest", "stop_on_signals"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Stopped by a signal. ``signum``: the signal; ``detail``: what was kept (one line)."""

    def __init__(self, signum: int = signal.SIGINT, detail: str = ""):
        super().__init__(detail)
        self.signum = int(signum)
        self.detail = detail

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class StopRequest:
    """The first signal received (``signum``, None if none) while :func:`stop_on_signals` is active."""

    def __init__(self, enabled: bool = True):
        self.signum: int | None = None
        self.enabled = enabled
        self._previous: dict = {}

    def _handler(self, signum, frame):
        if self.signum is not None:                # a second signal: stop now
            raise Interrupted(signum, "stopped at once (second signal)")
        self.signum = signum

    def arm(self) -> None:
        """(Re)install the handlers (e.g. after ``ray.init`` replaced SIGTERM's); a no-op if not enabled."""
        if not self.enabled or threading.current_thread() is not threading.main_thread():
            return
        for s in SIGNALS:
            prev = signal.signal(s, self._handler)
            if s not in self._previous and prev is not self._handler:
                self._previous[s] = prev

    def restore(self) -> None:
        for s, prev in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(s, prev if prev is not None else signal.SIG_DFL)
        self._previous.clear()

    def __bool__(self) -> bool:
        return self.signum is not None

    def check(self, detail: str = "") -> None:
        """Raise :class:`Interrupted` if a signal was received."""
        if self.signum is not None:
            raise Interrupted(self.signum, detail)


@contextlib.contextmanager
def stop_on_signals(enabled: bool = True):
    """A :class:`StopRequest` with its handlers installed while the block runs (``enabled=False``: none
    installed, the request never fires -- e.g. inside a Ray task)."""
    req = StopRequest(enabled)
    req.arm()
    try:
        yield req
    finally:
        req.restore()
