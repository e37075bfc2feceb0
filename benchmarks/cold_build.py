"""A cold ``vigil build`` of the sample booklet, as a whole new process, against ``--whole``.

Each run starts two new ``vigil build --force`` processes on the sample booklet
(content/eternal-return-2025, or PUBLICATION_DIR), each with a fresh, empty cache folder (no
build cache, no laid-out sections, no reduced pictures, no parsed hyphenation dictionaries):

- whole: ``vigil build --force --whole``: the document laid out in one piece, in one process;
- cold: ``vigil build --force -j JOBS``: laid out section by section in JOBS worker processes.

The two alternate (which goes first changes from run to run), so that the machine's drift
touches both alike; the speed-up is the median of the runs' ratios (whole / cold). Wall time
and CPU time (user + system of the process and the workers it waited for, from
``resource.getrusage(RUSAGE_CHILDREN)``, this process reaping the fork server and workers
a build leaves behind) are both shown: on a shared machine the wall times
wander with the other processes, the CPU times much less.

The last line before the verdict is the bound the CPU work sets: with every core busy from
the start of the cold build to its end, it cannot take less than its CPU time divided by the
cores, so it cannot be more than ``whole wall / (cold CPU / cores)`` times faster than whole;
only less work, not better scheduling, can raise the ratio above it.

Budget (issue #18): on 2 cores, cold at least 1.5x faster than whole. Exits 1 when not met.
Usage: python benchmarks/cold_build.py [PUBLICATION_DIR] [--runs 5] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 1.5


def adopt_descendants() -> bool:
    """Make this process the one that reaps the processes its children leave behind (Linux's
    PR_SET_CHILD_SUBREAPER): a build's fork server and its workers outlive the build process
    by a moment, and their CPU time is counted here only if this process waits for them."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # 36: PR_SET_CHILD_SUBREAPER


def reap(seconds: float = 10.0) -> None:
    """Wait for the processes left behind by the last build (see adopt_descendants)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # none left
            return
        if pid == 0:
            time.sleep(0.01)


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def vigil_build(folder: Path, output: Path, cache: Path, *options: str) -> tuple[float, float]:
    """Wall and CPU seconds of one new ``vigil build`` process with an empty cache folder."""
    environment = {**os.environ, "VIGIL_CACHE_DIR": str(cache)}
    cpu = cpu_of_children()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vigil", "build", "--force", "-q", *options,
                    str(folder), "-o", str(output)], check=True, capture_output=True,
                   env=environment)
    wall = time.perf_counter() - started
    reap()
    return wall, cpu_of_children() - cpu


def spread(values: list[float]) -> str:
    median = statistics.median(values)
    return (f"median {median:.3f} s (min {min(values):.3f}, max {max(values):.3f}, "
            f"spread {(max(values) - min(values)) / median:.0%})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("publication", nargs="?", type=Path,
                        default=ROOT / "content" / "eternal-return-2025")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    adopted = adopt_descendants()
    jobs = ("-j", str(args.jobs))
    wall: dict[str, list[float]] = {"whole": [], "cold": []}
    cpu: dict[str, list[float]] = {"whole": [], "cold": []}
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(temporary)
        output = scratch / "output"
        kinds = {"whole": ("--whole",), "cold": jobs}
        for name, options in kinds.items():  # warm the disk cache and Python's byte code
            vigil_build(args.publication, output, scratch / f"warm-{name}", *options)
        for run in range(args.runs):
            order = list(kinds) if run % 2 == 0 else list(reversed(kinds))
            for name in order:
                seconds, used = vigil_build(args.publication, output,
                                            scratch / f"cache-{run}-{name}", *kinds[name])
                wall[name].append(seconds)
                cpu[name].append(used)
    ratios = [w / c for w, c in zip(wall["whole"], wall["cold"], strict=True)]
    speedup = statistics.median(ratios)
    print(f"{args.publication.name}: {args.runs} runs each, new processes, "
          f"an empty cache folder each, {args.jobs} jobs, {os.cpu_count()} cores")
    print(f"  whole (--whole), wall: {spread(wall['whole'])}")
    print(f"  cold (-j {args.jobs}), wall:     {spread(wall['cold'])}")
    print(f"  whole, CPU: median {statistics.median(cpu['whole']):.3f} s; "
          f"cold, CPU: median {statistics.median(cpu['cold']):.3f} s "
          + ("(the fork server's workers included)" if adopted else
             "(without the fork server's workers: not counted on this system)"))
    print(f"  ratio whole / cold in each run: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"  ratio of the medians: "
          f"{statistics.median(wall['whole']) / statistics.median(wall['cold']):.2f}")
    if adopted:
        # With every core busy from start to end, a build that does this much CPU work takes
        # at least its CPU time shared among the cores: what the parallel build can reach at
        # best, against the whole build, is bounded by the work it does.
        cores = min(args.jobs, os.cpu_count() or 1)
        bound = statistics.median(wall["whole"]) / (statistics.median(cpu["cold"]) / cores)
        print(f"  at best on {cores} cores, every core busy all the time, with the CPU work "
              f"the cold build does: {bound:.2f}x")
    met = speedup >= BUDGET
    print(f"budget: cold build with {args.jobs} cores at least {BUDGET}x faster than --whole: "
          f"{speedup:.2f}x, {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
