"""Headless Chromium driven over the DevTools protocol through a pipe (no port, no network):
open a page once, then ask it questions (JavaScript) while it lives, so that a test sees what a
user would see, such as a page that reloads by itself.

Chromium (``--remote-debugging-pipe``) reads commands on its file descriptor 3 and writes
answers and events on 4, each a JSON object ended by a NUL byte.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--window-size=1000,1400")


class Browser:
    """One headless Chromium with a fresh profile in ``profile``, and one page."""

    def __init__(self, profile: Path, seconds: float = 30) -> None:
        assert CHROMIUM is not None, "chromium is not installed"
        self.seconds = seconds
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def descriptors() -> None:  # in the child: the pipes become 3 and 4
            os.dup2(commands_read, 3)
            os.dup2(answers_write, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=descriptors, close_fds=False,  # closing would come after the dup2
        )
        os.close(commands_read)
        os.close(answers_write)
        self._next_id = 0
        self._pending: dict[int, Any] = {}
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.session: str | None = None

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._answers, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._arrived:
                    self._pending[-1] = None  # Chromium is gone
                    self._arrived.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._arrived:
                        self._pending[message["id"]] = message
                        self._arrived.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        number = self._next_id
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.seconds
        with self._arrived:
            while number not in self._pending:
                if -1 in self._pending:
                    raise AssertionError("chromium ended")
                if not self._arrived.wait(timeout=deadline - time.monotonic()):
                    raise AssertionError(f"chromium did not answer {method}")
            answer: dict[str, Any] = self._pending.pop(number)
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def open(self, url: str) -> None:
        """Open ``url`` (127.0.0.1 only) in a new page and wait until it has loaded."""
        assert url.startswith("http://127.0.0.1:"), url
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.navigate", {"url": url}, self.session)
        self.wait_until(lambda: self.evaluate("document.readyState") == "complete")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, self.session)
        if "exceptionDetails" in answer:
            return None  # e.g. while the page reloads
        return answer["result"].get("value")

    def wait_until(self, condition: Callable[[], Any], seconds: float | None = None) -> Any:
        deadline = time.monotonic() + (seconds or self.seconds)
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("the page did not get there in time")
            time.sleep(0.1)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # ask Chromium to end, then close its pipe
            os.write(self._commands, json.dumps(
                {"id": 0, "method": "Browser.close", "params": {}}).encode() + b"\0")
        with contextlib.suppress(OSError):
            os.close(self._commands)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._answers)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
