"""The worker processes that lay out chunks of documents (vigil.typeset.sections): one pool per
process, started once, kept warm for the next builds.

Takes how many processes may run at once; gives a ``concurrent.futures`` executor. Imports
nothing heavy: a new ``vigil build`` starts its workers (:func:`prestart`) before it imports
what it needs to read and compose the publication.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from vigil.typeset.layout import warm_up

# What a worker process needs, imported once by the fork server before it forks the workers.
PRELOAD = ["vigil.typeset.preload"]
_executor: Any = None  # this process's pool of worker processes, kept for the next builds
_from_server = False  # its workers are forked by a fork server
_lock = threading.Lock()
_fork_server = False  # allowed: this process is the vigil command (see allow_fork_server)
_warming: threading.Thread | None = None  # starting the workers of a fork server
_stop: Any = None  # set: the workers of this process's pool end (see stop)


def default_jobs() -> int:
    """One process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def running() -> Any:
    """This process's pool, if it has started one."""
    return _executor


def allow_fork_server() -> None:
    """Let this process start its workers from a fork server (the vigil command does). Not
    by default: a fork server's workers import the main module again, and a script that calls
    :func:`vigil.build` without ``if __name__ == "__main__":`` would run again in each."""
    global _fork_server
    _fork_server = True


def weasyprint_here() -> bool:
    return "weasyprint" in sys.modules


def pool(jobs: int) -> Any:
    """The worker processes of this process: started once and kept, warm (WeasyPrint, fonts
    and stylesheets loaded), for the next builds (``vigil watch``, several publications in one
    command). The vigil command, when it has not imported WeasyPrint, starts a fork server,
    which imports WeasyPrint once while this process reads and composes, and forks the workers
    from there: two workers do not each spend a second importing it. Otherwise this process
    forks them (they start with what it has imported)."""
    global _executor, _from_server
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
                    forkserver.set_forkserver_preload(PRELOAD)
                    forkserver.ensure_running()  # the server starts importing now
                    method = "forkserver"
                except OSError:  # no socket here: forked, then
                    pass
            _from_server = method == "forkserver"
            context = multiprocessing.get_context(method)
            global _stop
            _stop = context.Event()
            _executor = ProcessPoolExecutor(max_workers=max(2, jobs), mp_context=context,
                                            initializer=watch_parent,
                                            initargs=(os.getpid(), _stop))
            atexit.register(drop, True)  # the workers end (and clean up) before this one
        return _executor


def stop() -> None:
    """End the worker processes now, in the middle of their work (a build ran out of time),
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


def watch_parent(pid: int, stopping: Any = None) -> None:
    """In a worker process: end it as soon as the process ``pid`` (the one that started the
    pool) has ended, even killed with ``kill -9``, or ``stopping`` (an Event) is set: a worker
    busy laying out a long document does not go on for minutes, holding its memory, for
    nobody. (A forked worker's parent may be a fork server, so the pid is given, not taken
    from ``os.getppid``.) On Linux the wait is on a process file descriptor, which becomes
    readable when the process ends; elsewhere the process is looked for every 0.2 s."""
    watcher = threading.Thread(target=_wait_for_end, args=(pid, stopping),
                               name="vigil-watch-parent", daemon=True)
    watcher.start()


def _wait_for_end(pid: int, stopping: Any) -> None:
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
    from vigil.typeset import _remove_font_files

    _remove_font_files()  # the process ends without its clean-up: this one is done here
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the number
        return False
    return True


def drop(wait: bool = False) -> None:
    """Shut the pool down (a worker died, or this process ends)."""
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
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if isinstance(pid, int):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


def prestart(jobs: int | None = None) -> None:
    """Start the worker processes now, in a process that has not imported WeasyPrint yet (a
    new ``vigil build``), before the publication is read: WeasyPrint is imported (once, by the
    fork server) while this process reads, composes and checks the publication, and whatever
    is laid out, sections or a whole document, is laid out by a worker."""
    jobs = jobs or default_jobs()
    if _executor is not None or jobs < 2 or weasyprint_here():
        return
    started = pool(jobs)

    def warm() -> None:  # a worker is started by the first task that finds none idle
        try:
            for _ in range(jobs):
                started.submit(warm_up)
        except Exception:  # shut down meanwhile, or broken: the build finds out and says
            return

    if _from_server:
        # Starting a worker waits for the fork server to have imported WeasyPrint: not here.
        global _warming
        _warming = threading.Thread(target=warm, name="vigil-prestart", daemon=True)
        _warming.start()
    else:  # forked from this thread, not from another one while this one imports
        warm()
