"""Run one function over many tasks, here or in worker processes, reporting progress.

Takes a picklable function, its tasks, a number of jobs and an optional progress callback;
yields the results as they come (in order of completion with several jobs). Workers are started
fresh ("spawn", not fork: the parent may run threads, such as a progress bar, whose locks a
forked child would inherit) and exit when their parent is gone, so that none outlives an
interrupted export or verification.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


def run(function: Callable[[Task], Result], tasks: Sequence[Task], jobs: int,
        progress: Callable[[Result, int, int], None] | None) -> Iterator[Result]:
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
                                   initializer=watch_parent)
    try:
        futures = [executor.submit(function, task) for task in tasks]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            if progress:
                progress(result, done, total)
            yield result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def watch_parent() -> None:
    """In a worker process: exit when the process that started it is gone (killed)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="vigil-watch-parent", daemon=True).start()
