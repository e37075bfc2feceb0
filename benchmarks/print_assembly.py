"""Print assembly and imposition time on a synthetic 48-page A5 booklet with a 4-page insert.

Measures, in one process and one run: typesetting (WeasyPrint layout and drawing), assembly for
print (inserts, padding, page labels, crop marks; pypdf) and imposition, and prints assembly as
a ratio to typesetting. Budget (issue "Print-ready output"): assembly under 10 % of typesetting.
Usage: python benchmarks/print_assembly.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import make_booklet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from vigil.assemble import assemble
    from vigil.assemble.impose import impose
    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication
    from vigil.typeset import typeset

    profile = get_profile("print")
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_booklet(Path(tmp) / "synthetic")
        publication = read_publication(folder)
        composed = compose_html(publication, profile)
        typeset(composed, profile)  # warm: fonts, caches
        times: dict[str, list[float]] = {"typeset": [], "assemble": [], "impose": []}
        for _ in range(args.runs):
            started = time.perf_counter()
            pages = typeset(composed, profile)
            times["typeset"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assembled = assemble(pages, publication, profile)
            times["assemble"].append(time.perf_counter() - started)
            started = time.perf_counter()
            imposed = impose(assembled.pdf)
            times["impose"].append(time.perf_counter() - started)
    t, a, i = (statistics.median(times[k]) for k in ("typeset", "assemble", "impose"))
    ratio = a / t
    print(f"synthetic booklet: {pages.pages} pages typeset, with a 4-page insert; "
          f"{imposed.sheets} sheets; {args.runs} runs")
    print("  " + "; ".join(assembled.notes))
    print(f"typeset  median {t:.3f} s")
    print(f"assemble median {a:.3f} s  ({ratio:.1%} of typesetting; budget < 10%: "
          f"{'met' if ratio < 0.10 else 'NOT met'})")
    print(f"impose   median {i:.3f} s  ({i / t:.1%} of typesetting)")
    return 0 if ratio < 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
