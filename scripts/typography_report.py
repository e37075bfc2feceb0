"""Print the typography of every sample (or of the PDFs named), measured from the built PDF,
so that the next change to the theme can be compared with this one.

Usage: python scripts/typography_report.py [FILE.pdf ...] [--pages]

Without files, builds each publication under content/ and each of its translated editions
(``translations:``) into a temporary folder (screen profile) first. Per publication: the
inner and outer margins found on the pages with justified text, the distinct type sizes, the
smallest footnote mark, hyphens in display text / before a paragraph's last line / at the foot
of a page, and the widest word space of a justified line (in ems of its size; the font's own
space is 0.26 em) with the share of justified lines wider than 0.5 em. With ``--pages``, the
same per page. The measures are those of tests/test_typography.py (vigil.check.typography).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _editions() -> list[tuple[Path, str | None]]:
    from vigil.read import read_publication

    found: list[tuple[Path, str | None]] = []
    for manifest in sorted((ROOT / "content").glob("*/publication.yaml")):
        found.append((manifest.parent, None))
        meta = read_publication(manifest.parent).meta
        found.extend((manifest.parent, code) for code in sorted(meta.translations))
    return found


def _report(pdf: Path, pages: bool) -> None:
    from vigil.check.typography import measure

    typography = measure(pdf)
    margins = [p.inner_outer_mm for p in typography.pages if p.inner_outer_mm]
    lines = [line for p in typography.pages for line in p.lines
             if line.justified and line.size == p.body_size]
    wide = sum(1 for line in lines if line.widest_gap > 0.5)
    worst = max(typography.pages, key=lambda p: p.worst_space)
    print(f"{pdf.name}: {len(typography.pages)} pages")
    if margins:
        inner = sorted({round(m[0], 1) for m in margins})
        outer = sorted({round(m[1], 1) for m in margins})
        print(f"  margins (mm)        inner {inner}  outer {outer}  on {len(margins)} pages")
    sizes = sorted(typography.sizes)
    print(f"  type sizes (pt)     {len(sizes)}: {', '.join(f'{s:g}' for s in sizes)}")
    mark = typography.min_mark
    print(f"  footnote marks      {'none' if mark is None else f'{mark:g} pt (smallest)'}")
    breaks = [b for p in typography.pages for b in p.breaks]
    shortest = min(breaks, key=lambda b: min(len(b[0]), len(b[1])), default=None)
    print(f"  hyphenated words    {len(breaks)}"
          + (f" (shortest part: {shortest[0]}-{shortest[1]})" if shortest else ""))
    for label, found in (
            ("hyphen, display", [(p.number, x) for p in typography.pages
                                 for x in p.display_hyphens]),
            ("hyphen, last line", [(p.number, x) for p in typography.pages
                                   for x in p.last_line_hyphens]),
            ("hyphen, page foot", [(p.number, p.page_end_hyphen) for p in typography.pages
                                   if p.page_end_hyphen])):
        print(f"  {label:<19} {len(found)}"
              + "".join(f"\n      p. {n}: {text}" for n, text in found))
    print(f"  word space (em)     widest {typography.worst_space:.2f} (p. {worst.number}: "
          f"{worst.worst_line[:60]!r}); {wide} of {len(lines)} justified lines over 0.50")
    if pages:
        for page in typography.pages:
            if page.worst_space or page.inner_outer_mm:
                io = page.inner_outer_mm
                where = f"inner {io[0]:.1f} outer {io[1]:.1f}" if io else "-"
                print(f"    p. {page.number:>3}  {where:<22} widest space "
                      f"{page.worst_space:.2f} em")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdf", type=Path, nargs="*")
    parser.add_argument("--pages", action="store_true", help="figures for every page too")
    args = parser.parse_args()
    if args.pdf:
        for pdf in args.pdf:
            _report(pdf, args.pages)
        return
    import vigil
    from vigil.options import BuildOptions

    with tempfile.TemporaryDirectory() as tmp:
        for folder, language in _editions():
            result = vigil.build(folder, tmp, BuildOptions(language=language))
            _report(result.output, args.pages)


if __name__ == "__main__":
    main()
