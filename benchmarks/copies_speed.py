"""Personalised copies: 100 copies of the sample programme against one copy, and against
typesetting each copy in full (measured in one process, one run, as ratios).

Budget (issue "Schools"): 100 copies in at most 3x the time of one copy.
Usage: python benchmarks/copies_speed.py [--copies 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content" / "institute-programme-2025"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=100)
    args = parser.parse_args()

    import vigil
    from vigil.compose import compose_html
    from vigil.options import BuildOptions
    from vigil.profiles import get_profile
    from vigil.read import read_publication
    from vigil.typeset import typeset

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "programme"
        shutil.copytree(SAMPLE, folder)

        def with_rows(count: int) -> None:
            rows = "".join(f"Synthetic School No. {n},{n % 12 + 1}A,Baku\n"
                           for n in range(1, count + 1))
            (folder / "schools.csv").write_text("school,class,city\n" + rows, encoding="utf-8")

        with_rows(1)
        vigil.build(folder, Path(tmp) / "warm", BuildOptions(force=True))  # imports, fonts loaded
        started = time.perf_counter()
        vigil.build(folder, Path(tmp) / "one", BuildOptions(force=True))
        one = time.perf_counter() - started

        with_rows(args.copies)
        started = time.perf_counter()
        vigil.build(folder, Path(tmp) / "many", BuildOptions(force=True))
        many = time.perf_counter() - started

        # The naive way: each copy typeset in full, the publication and its lines (measured
        # on 10, scaled to the count).
        profile = get_profile("screen")
        publication = read_publication(folder)
        started = time.perf_counter()
        for variant in publication.variants[:10]:
            composed = compose_html(publication, profile, copies=(variant,))
            typeset(compose_html(publication, profile), profile)
            typeset(composed, profile)
        naive = (time.perf_counter() - started) / 10 * args.copies
    ratio = many / one
    print(f"one copy (plain PDF + 1 copy): {one:.2f} s")
    print(f"{args.copies} copies: {many:.2f} s = {ratio:.2f}x one copy "
          f"(budget <= 3x: {'met' if ratio <= 3 else 'NOT met'})")
    print(f"typesetting each copy in full (estimated from 10): {naive:.1f} s, "
          f"{naive / many:.1f}x slower")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
