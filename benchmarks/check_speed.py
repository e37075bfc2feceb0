"""Check time on a synthetic 48-page A5 booklet, and its ratio to the build time.

Builds the booklet of ``synthetic.py`` (synthetic text, marked so: no real people) into a
temporary folder with ``vigil.build`` (which runs the checks before and after rendering), then
times, in the same process: the build, ``vigil check`` on its PDF (the standalone check, which
also verifies the file's structure), and the two parts of the build that are checks (font
coverage and alternative text before layout; the check of the written PDF).
Budget (issue "Preflight"): the check of the PDF under 0.5 s.
Usage: python benchmarks/check_speed.py [--runs 5] [--profile screen|print]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import make_booklet

BUDGET_SECONDS = 0.5


def _median(job: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", choices=["screen", "print"], default="screen")
    args = parser.parse_args()

    import vigil
    from vigil.check import check_build, check_file, check_sources
    from vigil.compose import compose_html
    from vigil.options import BuildOptions
    from vigil.profiles import get_profile
    from vigil.read import read_publication

    profile = get_profile(args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_booklet(Path(tmp) / "synthetic-booklet")
        out = Path(tmp) / "out"
        options = BuildOptions(profile=args.profile, force=True)
        result = vigil.build(folder, out, options)  # warm: imports, fonts
        pdf = result.output.read_bytes()
        check_file(result.output, args.profile)
        build = _median(lambda: vigil.build(folder, out, options), args.runs)
        standalone = _median(lambda: check_file(result.output, args.profile), args.runs)
        publication = read_publication(folder)
        composed = compose_html(publication, profile)
        preflight = check_sources(publication, composed, profile)
        before = _median(lambda: check_sources(publication, composed, profile), args.runs)
        after = _median(lambda: check_build(pdf, publication, profile, preflight), args.runs)
        report = check_file(result.output, args.profile)
    print(f"synthetic booklet: {result.pages} pages A5, {len(pdf) / 1024:.0f} KiB, profile "
          f"{args.profile}, median of {args.runs} runs")
    print(f"vigil build (all six stages):             {build:.3f} s")
    print(f"vigil check on its PDF (with structure):  {standalone:.3f} s  "
          f"({len(report.findings)} findings)")
    print(f"  in the build: checks before layout      {before:.3f} s")
    print(f"  in the build: check of the written PDF  {after:.3f} s")
    ratio = standalone / build
    met = standalone < BUDGET_SECONDS
    print(f"ratio check / build: {ratio:.3f}; checks inside the build: "
          f"{(before + after) / build:.3f} of it")
    print(f"budget: check under {BUDGET_SECONDS} s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
