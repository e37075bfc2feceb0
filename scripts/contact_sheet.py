"""Render a PDF's pages side by side into one PNG (for docs/ and for looking at output).

Usage: python scripts/contact_sheet.py FILE.pdf OUT.png [--dpi 40] [--pages 1-8] [--columns 6]
Needs pdftoppm (poppler-utils).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dpi", type=int, default=40)
    parser.add_argument("--pages", default="")
    parser.add_argument("--columns", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        command = ["pdftoppm", "-r", str(args.dpi), "-png"]
        if args.pages:
            first, _, last = args.pages.partition("-")
            command += ["-f", first, "-l", last or first]
        subprocess.run([*command, str(args.pdf), f"{tmp}/p"], check=True)
        pages = [Image.open(p) for p in sorted(Path(tmp).glob("p-*.png"))]
        gap = 12
        width, height = pages[0].size
        columns = min(args.columns, len(pages))
        rows = (len(pages) + columns - 1) // columns
        sheet = Image.new(
            "RGB", (columns * (width + gap) + gap, rows * (height + gap) + gap), (120, 120, 120)
        )
        for index, page in enumerate(pages):
            x = gap + (index % columns) * (width + gap)
            y = gap + (index // columns) * (height + gap)
            sheet.paste(page, (x, y))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(args.out, optimize=True)


if __name__ == "__main__":
    main()
