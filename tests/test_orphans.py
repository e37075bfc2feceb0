"""No worker outlives its build (#16 item 5): ``kill -9`` of a build, or its time limit, leaves
no layout worker running. Real builds in real processes; the processes are found in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import manifest_with, write_publication

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _parents() -> dict[int, int]:
    """Each running process → its parent (zombies, which are only waiting to be reaped, are
    not running)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            found[int(entry.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    parents = _parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def still_running(pids: set[int]) -> set[int]:
    return pids & set(_parents())


def big_publication(folder: Path, sections: int = 24) -> Path:
    """A booklet that takes its workers several seconds to lay out."""
    paragraph = ("Words set to fill pages, synthetic text for a test of worker processes. "
                 * 12 + "\n\n")
    files: dict[str, str | bytes | None] = {
        f"s{index:02}.md": f"# Section {index}\n\n" + paragraph * 40 for index in range(sections)}
    names = tuple(f"s{index:02}.md" for index in range(sections))
    return write_publication(folder, files, manifest=manifest_with(sections=("intro.md", *names)))


def start_build(folder: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    """``vigil build`` in a process of its own; what it prints goes to ``out``.log (a pipe
    would be held open by a worker that outlived it)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".log"), "w") as log:
        return subprocess.Popen([sys.executable, "-m", "vigil", "build", "--jobs", "2",
                                 "--force", "-o", str(out), str(folder), *extra], env=env,
                                text=True, stdout=log, stderr=subprocess.STDOUT)


def wait_for_workers(build: subprocess.Popen[str], count: int = 2) -> set[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = descendants(build.pid)
        if len(found) >= count + 1:  # the fork server and its workers
            time.sleep(1.0)  # let them start laying out
            return descendants(build.pid)
        if build.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"the build started no workers (exit {build.poll()})")


def test_workers_end_when_their_build_is_killed(tmp_path: Path) -> None:
    folder = big_publication(tmp_path / "p")
    build = start_build(folder, tmp_path / "out")
    workers: set[int] = set()
    try:
        workers = wait_for_workers(build)
        os.kill(build.pid, signal.SIGKILL)
        build.wait(10)
        deadline = time.monotonic() + 5
        while still_running(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = still_running(workers)
        assert not left, f"{len(left)} of {len(workers)} worker processes outlived the build"
    finally:
        for pid in still_running(workers | descendants(build.pid)):
            os.kill(pid, signal.SIGKILL)
        if build.poll() is None:
            build.kill()
        build.wait(10)
    assert not (tmp_path / "out" / "p.pdf").exists()


_TIMED_OUT = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
import vigil
from vigil.errors import RenderError
from vigil.options import BuildOptions
from test_orphans import descendants, still_running

try:
    vigil.build(Path({folder!r}), Path({out!r}), BuildOptions(force=True, jobs=2, timeout=3))
except RenderError as error:
    print("error:", error)
time.sleep(1.0)
print("left:", len(still_running(descendants(__import__("os").getpid()))))
"""


def test_a_build_out_of_time_stops_its_workers_and_keeps_the_previous_pdf(
        tmp_path: Path) -> None:
    folder = big_publication(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    previous = b"%PDF-1.7 the PDF of an earlier build\n"
    (out / "p.pdf").write_bytes(previous)
    script = tmp_path / "timed.py"
    script.write_text(_TIMED_OUT.format(tests=str(Path(__file__).parent), folder=str(folder),
                                        out=str(out)), encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "took longer than 3 s" in done.stdout, done.stdout
    assert "left: 0" in done.stdout, done.stdout  # no worker process is left running
    assert time.monotonic() - started < 60
    assert (out / "p.pdf").read_bytes() == previous
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("seconds", ["nan", "-1", "inf"])
def test_timeout_takes_a_number_of_seconds(tmp_path: Path, seconds: str) -> None:
    from conftest import run_cli

    code, _out, err = run_cli("build", "--timeout", seconds, tmp_path)
    assert code == 2 and "--timeout" in err


def test_the_command_stops_at_its_timeout_with_exit_code_1(tmp_path: Path) -> None:
    folder = big_publication(tmp_path / "p")
    build = start_build(folder, tmp_path / "out", "--timeout", "3")
    workers: set[int] = set()
    try:
        workers = wait_for_workers(build)
        assert build.wait(60) == 1
        log = (tmp_path / "out.log").read_text()
        assert "Traceback" not in log and "took longer than 3 s" in log, log
        deadline = time.monotonic() + 5
        while still_running(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not still_running(workers)
    finally:
        for pid in still_running(workers):
            os.kill(pid, signal.SIGKILL)
        if build.poll() is None:
            build.kill()
    assert not (tmp_path / "out" / "p.pdf").exists()


def test_watch_stops_a_build_at_its_timeout_and_keeps_watching(tmp_path: Path) -> None:
    folder = big_publication(tmp_path / "p")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    log_path = tmp_path / "watch.log"
    with open(log_path, "w") as log:
        watch = subprocess.Popen([sys.executable, "-m", "vigil", "watch", "-o",
                                  str(tmp_path / "out"), "--timeout", "3", str(folder)],
                                 env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "Watching" not in log_path.read_text() and time.monotonic() < deadline:
            assert watch.poll() is None, log_path.read_text()
            time.sleep(0.2)
        text = log_path.read_text()
        assert "took longer than 3 s" in text and "Traceback" not in text, text
        time.sleep(1.0)
        # The watcher goes on; of its processes, only the idle fork server and resource
        # tracker may be left, with no worker under them.
        busy = [pid for pid in descendants(watch.pid)
                if Path(f"/proc/{pid}/stat").exists() and _parents().get(pid) != watch.pid]
        assert not busy, f"{len(busy)} worker processes still run after the timeout"
        assert watch.poll() is None
    finally:
        left = descendants(watch.pid)
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(20)
        except subprocess.TimeoutExpired:
            watch.kill()
        for pid in still_running(left):
            os.kill(pid, signal.SIGKILL)
