"""A long-running ``vigil`` process for the tests of ``vigil watch`` and ``vigil serve``: its
output read line by line as it comes, waited for with a deadline, and a clean stop (Ctrl-C)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType


class LiveProcess:
    """``python -m vigil ARGS``, with standard output and error merged into one line queue."""

    def __init__(self, *args: str | Path, cwd: Path | None = None) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vigil", *map(str, args)], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, seconds: float = 60) -> re.Match[str]:
        """The first line from now on that matches ``pattern``."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r} within {seconds} s; output so far:\n"
                    + "\n".join(self.lines)) from None
            if line is None:
                raise AssertionError(
                    f"the process ended (code {self.process.wait()}) before a line matching "
                    f"{pattern!r}; output:\n" + "\n".join(self.lines))
            self.lines.append(line)
            match = compiled.search(line)
            if match:
                return match

    def interrupt(self, seconds: float = 30) -> int:
        """Ctrl-C; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=seconds)
        finally:
            self._reader.join(timeout=5)
            while True:  # keep the rest of the output for the assertions
                try:
                    line = self._queue.get_nowait()
                except queue.Empty:
                    break
                if line is not None:
                    self.lines.append(line)

    def __enter__(self) -> LiveProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process.poll() is None:  # a failed test: stop it cleanly if it can
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
