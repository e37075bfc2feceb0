"""Time limits for work on untrusted files (a damaged PDF can make a parser loop for ever).

Takes a number of seconds and a description; gives a context manager that interrupts the work
with :class:`TimeLimitExceeded` when the time is up. It uses a real-time signal, so it limits
only in the main thread; elsewhere it lets the work run unlimited.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TimeLimitExceeded(BaseException):
    """Raised inside the limited work. A BaseException, so that parsers which catch
    ``Exception`` while recovering from damage cannot swallow it."""


class _OuterLimitExceeded(BaseException):
    """An outer limit ran out while an inner one was running: the inner one's handlers must
    not take it for their own (a build's --timeout is not an insert that took too long to
    read). The outer :func:`time_limit` turns it into :class:`TimeLimitExceeded`."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the work after ``seconds``. Limits nest: an inner limit never extends an outer
    one, and the outer limit's remaining time is restored when the inner one ends. When the
    outer limit runs out first, the :class:`TimeLimitExceeded` is raised from the outer limit,
    not the inner one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    capped = 0 < outer_remaining < seconds  # the outer limit ends first
    limit = outer_remaining if capped else seconds

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if capped:
            raise _OuterLimitExceeded()
        raise TimeLimitExceeded(f"gave up after {limit:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    except _OuterLimitExceeded:
        if capped:
            raise
        raise TimeLimitExceeded(f"gave up after {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining > 0:
            # At least a moment, so that an outer limit already due still fires.
            left = max(outer_remaining - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left)
