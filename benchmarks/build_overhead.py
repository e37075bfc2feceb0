"""How much time vigil adds to WeasyPrint: `vigil build` of a publication against WeasyPrint
alone rendering the same HTML, measured in one process, alternating, as a ratio.

vigil lays the document out whole, in this process, as WeasyPrint alone does: the same work on
one core, so that the ratio is what vigil's own stages add (reading, composing, the checks
before and after layout, the tag repair, the build cache). The two alternate (which goes first
changes from run to run); wall time and this process's CPU time are both shown (the CPU times
wander less when other processes share the machine). Shown too, for information: a build as
vigil runs it by default in a process that built before (sections in the kept worker
processes, none taken from the section cache), in wall time, on every core.
Budget (issue "The first booklet", issue #18): vigil adds at most 15 % (ratio <= 1.15).
Usage: python benchmarks/build_overhead.py [PUBLICATION_DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
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

        def vigil_default() -> None:
            # As vigil builds by default: section by section in the kept worker processes
            # (warm), no section from a cache (cached=False): every chunk laid out each time.
            vigil.build(args.publication, out, BuildOptions(force=True, cached=False))

        vigil_build()  # warm both: imports, font loading, caches
        weasyprint_alone()
        vigil_default()
        times: dict[str, list[float]] = {"vigil": [], "weasyprint": [], "default": []}
        cpu: dict[str, list[float]] = {"vigil": [], "weasyprint": [], "default": []}
        for run in range(args.runs):
            jobs = [("vigil", vigil_build), ("weasyprint", weasyprint_alone),
                    ("default", vigil_default)]
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
    d = statistics.median(times["default"])
    print(f"vigil build as by default (sections in the kept workers, every chunk laid out), "
          f"wall: median {d:.3f} s ({spread(times['default'])}), {d / w:.3f}x WeasyPrint "
          f"alone (for information: it uses {os.cpu_count()} cores, WeasyPrint one)")
    print(f"ratio vigil / WeasyPrint: {ratio:.3f}  (budget <= 1.15: "
          f"{'met' if ratio <= 1.15 else 'NOT met'})")
    return 0 if ratio <= 1.15 else 1


if __name__ == "__main__":
    sys.exit(main())
