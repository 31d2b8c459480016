"""The run loop behind ``tracker run``: one pass every ``interval`` seconds until told to stop.

SIGTERM and SIGINT only set a flag: a pass in progress goes on claiming for at most ``grace`` seconds
(:meth:`Scheduler.in_time`), then the row in flight is sent and marked, the rows not yet claimed stay due
for the next pass, and the loop exits. So shutdown takes at most the grace period plus one send (whose
channel timeout bounds it), within systemd's default 90 s stop timeout. The wait between passes wakes
up at once on a signal.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

DEFAULT_GRACE = 10.0  # seconds a pass may go on claiming after SIGTERM


class Scheduler:
    """Runs ``one_pass`` now and then every ``interval`` seconds; ``stop()`` ends the loop after a pass."""

    def __init__(self, one_pass: Callable[[], Any], interval: float, grace: float = DEFAULT_GRACE) -> None:
        self.one_pass = one_pass
        self.interval = interval
        self.grace = grace
        self._stop = threading.Event()
        self._stopped_at: float | None = None
        self.passes = 0

    def stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Ask the loop to stop (a signal handler): the current pass has ``grace`` seconds left to claim."""
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        self._stop.set()

    def in_time(self) -> bool:
        """Whether the current pass may claim another row: not stopping, or still within the grace period."""
        return self._stopped_at is None or time.monotonic() - self._stopped_at < self.grace

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, once: bool = False, install_signals: bool = True) -> int:
        """Loop until stopped (or one pass with ``once``); returns the number of passes run."""
        previous: dict[signal.Signals, Any] = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self.stop)
        try:
            while not self._stop.is_set():
                self.one_pass()
                self.passes += 1
                if once:
                    break
                self._stop.wait(self.interval)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.passes
