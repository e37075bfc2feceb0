"""vigil's worker processes, for both of their uses; a shared utility (it imports no stage).

Takes a number of processes (and, for the kept pool, a :class:`Setup`: what its workers
import, warm up and clean up); gives ``concurrent.futures`` executors:

- **the kept pool** (:func:`pool`): one per process, started once and kept warm for the next
  builds (``vigil watch``, several publications in one command); the layout
  (:mod:`vigil.typeset.sections`) gives it its chunks. A new ``vigil build`` starts it
  (:func:`prestart`) before it imports what it needs to read and compose the publication, from
  a fork server that imports WeasyPrint once for all the workers.
- **one run** (:func:`run`): one function over many tasks (``vigil export``, ``vigil verify``)
  in fresh processes ("spawn", not fork: the parent may run threads, such as a progress bar,
  whose locks a forked child would inherit), ended with the call.

Either way no worker outlives the process that started it, even one killed with ``kill -9``
(see :func:`watch_parent`), and :func:`stop` ends the kept pool's workers in the middle of
their work (a build out of time). Imports nothing heavy.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.synchronize import Event

Task = TypeVar("Task")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Setup:
    """What the workers of the kept pool need: the modules a fork server imports once before
    it forks them, what a worker started early does first, and what a worker does before it
    ends without its clean-up (its parent gone, or :func:`stop`). The functions are module-level
    (a fork server's workers receive them pickled, by name)."""

    preload: tuple[str, ...] = ()
    warm_up: Callable[[], None] | None = None
    clean_up: Callable[[], None] | None = None


_executor: ProcessPoolExecutor | None = None  # this process's kept pool, for the next builds
_from_server = False  # its workers are forked by a fork server
_lock = threading.Lock()
_fork_server = False  # allowed: this process is the vigil command (see allow_fork_server)
_warming: threading.Thread | None = None  # starting the workers of a fork server
_stop: Event | None = None  # set: the workers of this process's pool end (see stop)


def default_jobs() -> int:
    """One process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def running() -> ProcessPoolExecutor | None:
    """This process's kept pool, if it has started one."""
    return _executor


def allow_fork_server() -> None:
    """Let this process start its workers from a fork server (the vigil command does). Not
    by default: a fork server's workers import the main module again, and a script that calls
    :func:`vigil.build` without ``if __name__ == "__main__":`` would run again in each."""
    global _fork_server
    _fork_server = True


def weasyprint_here() -> bool:
    return "weasyprint" in sys.modules


def pool(jobs: int, setup: Setup = Setup()) -> ProcessPoolExecutor:
    """The kept pool of this process: started once (with ``setup``) and kept, warm
    (WeasyPrint, fonts and stylesheets loaded), for the next builds. The vigil command, when it
    has not imported WeasyPrint, starts a fork server, which imports ``setup.preload`` once
    while this process reads and composes, and forks the workers from there: two workers do
    not each spend a second importing WeasyPrint. Otherwise this process forks them (they
    start with what it has imported)."""
    global _executor, _from_server, _stop
    with _lock:
        if _executor is None:
            import atexit
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            methods = multiprocessing.get_all_start_methods()
            method = "fork" if "fork" in methods else "spawn"
            if _fork_server and "forkserver" in methods and not weasyprint_here():
                from multiprocessing import forkserver

                try:
                    forkserver.set_forkserver_preload(list(setup.preload))
                    forkserver.ensure_running()  # the server starts importing now
                    method = "forkserver"
                except OSError:  # no socket here: forked, then
                    pass
            _from_server = method == "forkserver"
            context = multiprocessing.get_context(method)
            _stop = context.Event()
            _executor = ProcessPoolExecutor(max_workers=max(2, jobs), mp_context=context,
                                            initializer=watch_parent,
                                            initargs=(os.getpid(), _stop, setup.clean_up))
            atexit.register(drop, True)  # the workers end (and clean up) before this one
        return _executor


def prestart(jobs: int | None = None, setup: Setup = Setup()) -> None:
    """Start the kept pool now, in a process that has not imported WeasyPrint yet (a new
    ``vigil build``), before the publication is read: WeasyPrint is imported (once, by the
    fork server) while this process reads, composes and checks the publication, and whatever
    is laid out, sections or a whole document, is laid out by a worker; each worker runs
    ``setup.warm_up`` first."""
    jobs = jobs or default_jobs()
    if _executor is not None or jobs < 2 or weasyprint_here():
        return
    started = pool(jobs, setup)
    warm_up = setup.warm_up
    if warm_up is None:
        return

    def warm() -> None:  # a worker is started by the first task that finds none idle
        try:
            for _ in range(jobs):
                started.submit(warm_up)
        # Shut down meanwhile (RuntimeError), broken (BrokenProcessPool, a RuntimeError), no
        # process could be started (OSError), or the fork server was stopped while it started
        # one (EOFError: a build that failed before layout): the build finds out and says.
        except (RuntimeError, OSError, EOFError):
            return

    if _from_server:
        # Starting a worker waits for the fork server to have imported WeasyPrint: not here.
        global _warming
        _warming = threading.Thread(target=warm, name="vigil-prestart", daemon=True)
        _warming.start()
    else:  # forked from this thread, not from another one while this one imports
        warm()


def stop() -> None:
    """End the kept pool's workers now, in the middle of their work (a build ran out of time),
    and drop the pool: the next build starts new ones. Each worker ends within a fraction of
    a second (see :func:`watch_parent`)."""
    global _executor
    with _lock:
        if _stop is not None:
            _stop.set()
        if _executor is not None and _warming is not None and _warming.is_alive():
            _stop_fork_server()
        elif _executor is not None:
            _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None


def drop(wait: bool = False) -> None:
    """Shut the kept pool down (a worker died, or this process ends)."""
    global _executor
    with _lock:
        if _executor is not None and _warming is not None and _warming.is_alive():
            # Its workers are still being started (the fork server is importing WeasyPrint:
            # a build that failed before layout): the fork server is stopped, and no worker
            # comes to look for this process once it has ended.
            _stop_fork_server()
            _executor = None
        elif _executor is not None:
            _executor.shutdown(wait=wait, cancel_futures=True)
            _executor = None


def _stop_fork_server() -> None:
    import contextlib
    import signal

    from vigil.pdf._compat import forkserver_pid

    pid = forkserver_pid()
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


def run(function: Callable[[Task], Result], tasks: Sequence[Task], jobs: int,
        progress: Callable[[Result, int, int], None] | None) -> Iterator[Result]:
    """``function`` of each of ``tasks``, yielded as they come (in order of completion with
    several jobs): here with one job or one task, else in up to ``jobs`` fresh processes,
    ended when the last result is in (or the caller stops). ``progress(result, done,
    total)`` is told after each."""
    total = len(tasks)
    if jobs == 1 or total <= 1:
        for done, task in enumerate(tasks, start=1):
            result = function(task)
            if progress:
                progress(result, done, total)
            yield result
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=context,
                                   initializer=watch_parent, initargs=(os.getpid(),))
    try:
        futures = [executor.submit(function, task) for task in tasks]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            if progress:
                progress(result, done, total)
            yield result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def watch_parent(pid: int, stopping: Event | None = None,
                 clean_up: Callable[[], None] | None = None) -> None:
    """In a worker process: end it as soon as the process ``pid`` (the one that started the
    pool) has ended, even killed with ``kill -9``, or ``stopping`` (an Event) is set, after
    ``clean_up``: a worker busy laying out a long document does not go on for minutes, holding
    its memory, for nobody. (A forked worker's parent may be a fork server, so the pid is
    given, not taken from ``os.getppid``.) On Linux the wait is on a process file descriptor,
    which becomes readable when the process ends; elsewhere the process is looked for every
    0.2 s."""
    watcher = threading.Thread(target=_wait_for_end, args=(pid, stopping, clean_up),
                               name="vigil-watch-parent", daemon=True)
    watcher.start()


def _wait_for_end(pid: int, stopping: Event | None, clean_up: Callable[[], None] | None) -> None:
    import select

    try:
        handle: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux (or before 5.3), or already gone
        handle = None
    while True:
        if stopping is not None and stopping.is_set():
            break
        if handle is not None:
            if select.select([handle], [], [], 0.2)[0]:
                break
        elif not _alive(pid):
            break
        elif stopping is not None:
            stopping.wait(0.2)
        else:
            threading.Event().wait(0.2)
    if clean_up is not None:
        clean_up()  # the process ends without its own clean-up: this one is done here
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the number
        return False
    return True
