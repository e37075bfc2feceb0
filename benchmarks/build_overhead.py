"""How much time vigil adds to WeasyPrint: `vigil build` of a publication against WeasyPrint
alone rendering the same HTML, measured in one process, alternating, as a ratio.

The two alternate (which goes first changes from run to run); wall time and this process's
CPU time are both shown (the CPU times wander less when other processes share the machine).
Budget (issue "The first booklet", issue #18): vigil adds at most 15 % (ratio <= 1.15).
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
    from vigil.options import BuildOptions
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
            vigil.build(args.publication, out, BuildOptions(force=True, whole=True))

        vigil_build()  # warm both: imports, font loading, caches
        weasyprint_alone()
        times: dict[str, list[float]] = {"vigil": [], "weasyprint": []}
        cpu: dict[str, list[float]] = {"vigil": [], "weasyprint": []}
        for run in range(args.runs):
            jobs = [("vigil", vigil_build), ("weasyprint", weasyprint_alone)]
            for name, job in jobs if run % 2 == 0 else reversed(jobs):
                started, used = time.perf_counter(), time.process_time()
                job()
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - used)
        pages = vigil.build(args.publication, out, BuildOptions(force=True, whole=True)).pages
    v, w = statistics.median(times["vigil"]), statistics.median(times["weasyprint"])
    ratio = v / w
    cpu_ratio = statistics.median(cpu["vigil"]) / statistics.median(cpu["weasyprint"])

    def spread(values: list[float]) -> str:
        return f"min {min(values):.3f}, max {max(values):.3f}"

    print(f"publication: {args.publication.name} ({pages} pages), {args.runs} runs each")
    print(f"vigil build (read+compose+typeset+assemble+check+publish): median {v:.3f} s "
          f"({spread(times['vigil'])}); CPU {statistics.median(cpu['vigil']):.3f} s")
    print(f"WeasyPrint alone on the same HTML:                        median {w:.3f} s "
          f"({spread(times['weasyprint'])}); CPU {statistics.median(cpu['weasyprint']):.3f} s")
    print(f"ratio of the CPU times: {cpu_ratio:.3f} (steadier than wall time on a busy machine)")
    print(f"ratio vigil / WeasyPrint: {ratio:.3f}  (budget <= 1.15: "
          f"{'met' if ratio <= 1.15 else 'NOT met'})")
    return 0 if ratio <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
