"""How much time vigil adds to WeasyPrint: `vigil build` of a publication against WeasyPrint
alone rendering the same HTML, measured in one process, alternating, as a ratio.

Budget (issue "The first booklet"): vigil adds at most 15 % (ratio <= 1.15).
Usage: python benchmarks/build_overhead.py [PUBLICATION_DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("publication", nargs="?", type=Path,
                        default=ROOT / "content" / "eternal-return-2025")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    import vigil
    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication

    profile = get_profile("screen")
    composed = compose_html(read_publication(args.publication), profile)
    fonts = FontConfiguration()

    from vigil.typeset.fetcher import SandboxFetcher

    def weasyprint_alone() -> None:
        # The same HTML and the same file access (vigil:// URLs need vigil's fetcher).
        html = weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                               url_fetcher=SandboxFetcher(composed.mounts, composed.substitutes))
        html.render(font_config=fonts).write_pdf(pdf_tags=profile.tagged,
                                                 pdf_variant=composed.pdf_variant)

    with tempfile.TemporaryDirectory() as out:
        def vigil_build() -> None:
            # Not the build cache's answer, nor the section cache's: laid out whole, as
            # WeasyPrint alone lays it out (benchmarks/section_speed.py measures sections).
            vigil.build(args.publication, out, force=True, whole=True)

        vigil_build()  # warm both: imports, font loading, caches
        weasyprint_alone()
        times: dict[str, list[float]] = {"vigil": [], "weasyprint": []}
        for _ in range(args.runs):
            for name, job in (("vigil", vigil_build), ("weasyprint", weasyprint_alone)):
                started = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - started)
        pages = vigil.build(args.publication, out, force=True, whole=True).pages
    v, w = statistics.median(times["vigil"]), statistics.median(times["weasyprint"])
    ratio = v / w
    print(f"publication: {args.publication.name} ({pages} pages), {args.runs} runs each")
    print(f"vigil build (read+compose+typeset+check+publish): median {v:.3f} s")
    print(f"WeasyPrint alone on the same HTML:               median {w:.3f} s")
    print(f"ratio vigil / WeasyPrint: {ratio:.3f}  (budget <= 1.15: "
          f"{'met' if ratio <= 1.15 else 'NOT met'})")
    return 0 if ratio <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
