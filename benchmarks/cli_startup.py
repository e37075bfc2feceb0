"""Wall time of `vigil --help` (a fresh process each run), and whether importing the CLI pulls
in a heavy library (WeasyPrint, pypdf, Pillow, pydantic, Jinja2, rich, watchfiles...).

Budget: under 0.15 s (issue "Fast feedback"; it was 0.3 s in "The first booklet").
Usage: python benchmarks/cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    command = [sys.executable, "-m", "vigil", "--help"]
    subprocess.run(command, check=True, capture_output=True)  # warm the disk cache
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    baseline = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - started)
    heavy = subprocess.run(
        [sys.executable, "-c",
         "import sys, vigil.cli; print(sorted(m for m in ('weasyprint', 'pypdf', 'PIL', "
         "'pydantic', 'jinja2', 'rich', 'watchfiles', 'fontTools', 'http.server') "
         "if m in sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    median = statistics.median(times)
    print(f"vigil --help: median {median * 1000:.0f} ms over {args.runs} runs "
          f"(bare python: {statistics.median(baseline) * 1000:.0f} ms)")
    print(f"heavy modules imported by vigil.cli: {heavy}")
    print(f"budget < 150 ms: {'met' if median < 0.15 else 'NOT met'}")
    return 0 if median < 0.15 and heavy == "[]" else 1


if __name__ == "__main__":
    sys.exit(main())
