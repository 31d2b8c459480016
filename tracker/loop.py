"""The run loop behind ``tracker run``: one pass every ``interval`` seconds until told to stop.

SIGTERM and SIGINT only set a flag: a pass in progress finishes (its deliveries are marked), then the
loop exits. The wait between passes wakes up at once on a signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class Scheduler:
    """Runs ``one_pass`` now and then every ``interval`` seconds; ``stop()`` ends the loop after a pass."""

    def __init__(self, one_pass: Callable[[], Any], interval: float) -> None:
        self.one_pass = one_pass
        self.interval = interval
        self._stop = threading.Event()
        self.passes = 0

    def stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        self._stop.set()

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
