"""What the page-quality work costs: a cold build of the sample booklet with this checkout
against the same build with an earlier commit (by default the one before the typography work),
each in a fresh process with empty caches (output folder, user cache: hyphenation dictionaries
and compiled templates parsed again), one after the other in turn, median of the runs.

Budget (issue #14): the typography must not slow a cold build of the booklet by more than 10 %
(ratio <= 1.10).
Usage: python benchmarks/typography_cost.py [--base COMMIT] [--runs 3] [--sections]
(`vigil build --force --whole` by default: one process does all the work, so all of it is
counted.)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "3835ca7"  # the last commit before the typography work
BUDGET = 1.10


def _cold_build(tree: Path, work: Path, whole: bool) -> float:
    """CPU seconds (user and system, of the process and its workers) for `vigil build
    --force` of the booklet in ``tree``, everything cold. CPU time, not the clock: the machine
    is shared, and waiting for a core is not the build's cost."""
    with tempfile.TemporaryDirectory(dir=work) as run:
        env = {**os.environ, "PYTHONPATH": str(tree / "src"), "XDG_CACHE_HOME": f"{run}/cache",
               "VIGIL_CACHE": f"{run}/images", "VIGIL_CACHE_DIR": f"{run}/cache/vigil"}
        env.pop("VIGIL_HOME", None)
        if (tree / "templates").is_dir():  # before the themes and fonts were package data
            env["VIGIL_HOME"] = str(tree)
        command = [sys.executable, "-m", "vigil", "build",
                   str(tree / "content" / "eternal-return-2025"), "-o", f"{run}/out", "--force",
                   "--quiet", *(["--whole"] if whole else [])]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, env=env, cwd=run)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sections", action="store_true",
                        help="lay sections out in parallel (vigil's default; its workers' time "
                             "is not all counted) instead of the whole document at once")
    args = parser.parse_args()
    args.whole = not args.sections
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base],
                                 check=True, capture_output=True).stdout
        archive_file = work / "base.tar"
        archive_file.write_bytes(archive)
        with tarfile.open(archive_file) as tar:
            tar.extractall(base, filter="data")
        times: dict[str, list[float]] = {"before": [], "after": []}
        _cold_build(ROOT, work, args.whole)  # the system's file cache, for both
        for _ in range(args.runs):
            times["before"].append(_cold_build(base, work, args.whole))
            times["after"].append(_cold_build(ROOT, work, args.whole))
    before, after = (statistics.median(times[k]) for k in ("before", "after"))
    ratio = after / before
    print(f"cold build of the booklet{' (--whole)' if args.whole else ''}, CPU time, median of "
          f"{args.runs}: before ({args.base}) {before:.2f} s, after {after:.2f} s, "
          f"ratio {ratio:.3f} (budget {BUDGET:.2f})")
    print("  runs before: " + ", ".join(f"{t:.2f}" for t in times["before"]))
    print("  runs after:  " + ", ".join(f"{t:.2f}" for t in times["after"]))
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
