"""Section-level and parallel typesetting on the 48-page synthetic booklet, as ratios in one run.

Each figure is the median of ``--runs`` new ``vigil build`` processes (imports included):

- whole: ``vigil build --force --whole``: one whole-document render in one process;
- cold: ``vigil build --force`` with an empty section cache, sections in parallel (2 cores);
- no-op: ``vigil build`` again, nothing changed (the build cache);
- edit: ``vigil build`` after a sentence is added to one section (the other sections come from
  the section cache), in a new process and in the warm ``vigil watch`` process.

Budgets (issue "Fast feedback"): no-op under 0.5 s; edit at most 25 % of a cold build; cold
with 2 cores at least 1.5x faster than the whole-document render in one process.
Usage: python benchmarks/section_speed.py [--runs 3] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rebuild_speed import watch_rebuilds
from synthetic import make_booklet


def vigil(*args: str | Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vigil", "build", *map(str, args)], check=True,
                   capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = make_booklet(Path(temporary) / "booklet")
        output = Path(temporary) / "output"
        cache = output / ".vigil-cache"
        jobs = ("-j", str(args.jobs))
        vigil(folder, "-o", output, *jobs)  # warm the disk cache and Python's byte code
        whole, cold, noop, edit = [], [], [], []
        section = folder / "s03.md"
        for run in range(args.runs):
            whole.append(vigil("--force", "--whole", folder, "-o", output))
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(vigil("--force", folder, "-o", output, *jobs))
            noop.append(vigil(folder, "-o", output, *jobs))
            section.write_text(section.read_text(encoding="utf-8")
                               + f"\nOne more sentence ({run}).\n", encoding="utf-8")
            edit.append(vigil(folder, "-o", output, *jobs))
        watched = watch_rebuilds(folder, output, "s03.md", args.runs)
    w, c, n, e, m = (statistics.median(x) for x in (whole, cold, noop, edit, watched))
    speedup = w / c
    print(f"48-page synthetic booklet, {args.runs} runs each (new processes), {args.jobs} jobs")
    print(f"whole document, one process (--whole):   median {w:.3f} s")
    print(f"cold build, sections in parallel:        median {c:.3f} s  ({speedup:.2f}x faster)")
    print(f"no-op rebuild:                           median {n:.3f} s")
    print(f"edit one section, new process:           median {e:.3f} s  ({e / c:.0%} of cold)")
    print(f"edit one section, vigil watch:           median {m:.3f} s  ({m / c:.0%} of cold)")
    budgets = {
        "no-op under 0.5 s": n < 0.5,
        "edit (vigil watch) at most 25% of a cold build": m <= 0.25 * c,
        "cold with 2 cores at least 1.5x faster than whole": speedup >= 1.5,
    }
    for name, met in budgets.items():
        print(f"budget: {name}: {'met' if met else 'NOT met'}")
    return 0 if all(budgets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
