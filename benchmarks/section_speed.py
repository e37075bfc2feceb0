"""Section-level and parallel typesetting on the 48-page synthetic booklet, as ratios in one run.

Each figure is the median of ``--runs`` new ``vigil build`` processes (imports included):

- whole: ``vigil build --force --whole``: one whole-document render in one process;
- cold: ``vigil build --force`` with an empty section cache, sections in parallel (2 cores);
- no-op: ``vigil build`` again, nothing changed (the build cache);
- edit: ``vigil build`` after a sentence is added to one section (the other sections come from
  the section cache), in a new process and in the warm ``vigil watch`` process.

And in this process (imports done): one whole-document render against a cold
section-by-section render in ``--jobs`` worker processes, from the composed HTML to the PDF,
one right after the other in each run; the ratio is the median of the runs' ratios (the
machine's speed drifts between runs more than between the two halves of one).

Budgets (issue "Fast feedback"): no-op under 0.5 s; edit at most 25 % of a cold build; cold
with 2 cores at least 1.5x faster than one whole-document render in one process (the render
measure; the new-process figures add the fixed costs both ways share: Python, importing
WeasyPrint, reading, composing and checking).
Usage: python benchmarks/section_speed.py [--runs 3] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
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


def renders(folder: Path, cache: Path, jobs: int, runs: int) -> tuple[list[float], list[float]]:
    """In this process, imports done and fonts loaded: the times of one whole-document render
    (``vigil.typeset.typeset``) and of a cold section-by-section render (an empty cache,
    ``jobs`` worker processes) in each run, from the composed document to the finished PDF."""
    from vigil.assemble import joined
    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication
    from vigil.typeset import typeset
    from vigil.typeset.sections import typeset_sections

    profile = get_profile("screen")
    composed = compose_html(read_publication(folder), profile)
    typeset(composed, profile)  # warm: imports, fonts, hyphenation
    whole, sections = [], []
    for _ in range(runs):
        started = time.perf_counter()
        typeset(composed, profile)
        whole.append(time.perf_counter() - started)
        shutil.rmtree(cache, ignore_errors=True)
        started = time.perf_counter()
        joined(typeset_sections(composed, profile, cache, jobs))  # written, as the whole is
        sections.append(time.perf_counter() - started)
    return whole, sections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = make_booklet(Path(temporary) / "booklet")
        output = Path(temporary) / "output"
        # vigil's cache for these builds (the processes inherit it); "cold" forgets the
        # publications' caches (build cache and sections), not the parsed dictionaries.
        os.environ["VIGIL_CACHE_DIR"] = str(Path(temporary) / "cache")
        cache = Path(temporary) / "cache" / "publications"
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
        whole_renders, section_renders = renders(folder, Path(temporary) / "render-cache",
                                                 args.jobs, args.runs)
    w, c, n, e, m = (statistics.median(x) for x in (whole, cold, noop, edit, watched))
    render_whole, render_sections = map(statistics.median, (whole_renders, section_renders))
    ratios = [a / b for a, b in zip(whole_renders, section_renders, strict=True)]
    speedup, render_speedup = w / c, statistics.median(ratios)
    print(f"48-page synthetic booklet, {args.runs} runs each, {args.jobs} jobs")
    print("new processes (vigil build), imports and checks included:")
    print(f"  whole document, one process (--whole): median {w:.3f} s")
    print(f"  cold build, sections in parallel:      median {c:.3f} s  ({speedup:.2f}x faster)")
    print(f"  no-op rebuild:                         median {n:.3f} s")
    print(f"  edit one section, new process:         median {e:.3f} s  ({e / c:.0%} of cold)")
    print(f"  edit one section, vigil watch:         median {m:.3f} s  ({m / c:.0%} of cold)")
    print("rendering alone, in one process (composed HTML to PDF):")
    print(f"  one whole-document render:             median {render_whole:.3f} s")
    print(f"  cold, sections in {args.jobs} processes:         median {render_sections:.3f} s")
    print(f"  ratio in each run: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {render_speedup:.2f}x faster")
    budgets = {
        "no-op under 0.5 s": n < 0.5,
        "edit (vigil watch) at most 25% of a cold build": m <= 0.25 * c,
        "cold render with 2 cores at least 1.5x faster than one whole-document render":
            render_speedup >= 1.5,
    }
    for name, met in budgets.items():
        print(f"budget: {name}: {'met' if met else 'NOT met'}")
    return 0 if all(budgets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
