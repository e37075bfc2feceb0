"""Time limits for work on untrusted files (a damaged PDF can make a parser loop for ever).

Takes a number of seconds and a description; gives a context manager that interrupts the work
with :class:`TimeLimitExceeded` when the time is up. It uses a real-time signal, so it limits
only in the main thread; elsewhere it lets the work run unlimited.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TimeLimitExceeded(BaseException):
    """Raised inside the limited work. A BaseException, so that parsers which catch
    ``Exception`` while recovering from damage cannot swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded(f"gave up after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
