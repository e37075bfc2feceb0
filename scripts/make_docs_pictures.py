"""Build every example of docs/content-format.md and draw the pictures in docs/pictures/.

Usage:  .venv/bin/python scripts/make_docs_pictures.py [--check] [--samples]

The examples are read from the documentation itself, so that what the reader sees is what was
built. In docs/content-format.md, a fenced code block that follows a line

    <!-- file: EXAMPLE/PATH -->

is written to PATH inside a publication folder named EXAMPLE (in a temporary folder), and a line

    <!-- image: EXAMPLE/PATH -->

asks this script to draw a small abstract picture there with Pillow. An example folder without
a publication.yaml gets a one-page programme around its section files (in the order they appear).
An example of a template alone gets a short section too. A fenced block that follows

    <!-- error: EXAMPLE -->

is the message `vigil build EXAMPLE` must print: that example must fail, with exactly that text.
Every other example must build.

For each example named block-<type>, the page showing the block (page 2, after the cover) is
converted with pdftoppm at 60 dpi into docs/pictures/block-<type>.png. The sample publications
become contact sheets (docs/pictures/sample-booklet.png, sample-programme.png) through
scripts/contact_sheet.py. The sample booklet is also built for print, with its sheets, for
docs/printing.md: the first imposed sheet (imposed-sheet.png), the poster insert with its
mirrored bleed (insert-bleed.png) and the padding pages before the back cover
(print-padding.png). With --check, everything is built and compared but no picture written.

The output is deterministic: the same sources, vigil and poppler give the same PNG bytes.
Needs pdftoppm (poppler-utils).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "content-format.md"
PICTURES = ROOT / "docs" / "pictures"
SAMPLES = {  # picture name: (sample publication, dpi, pages per row of the contact sheet)
    "sample-booklet": (ROOT / "content" / "eternal-return-2025", 28, 7),
    "sample-programme": (ROOT / "content" / "institute-programme-2025", 40, 4),
}
EXAMPLE_SHEETS = {"my-booklet": "example-booklet"}  # examples shown whole, as contact sheets
DPI = 60
BLOCK_PAGE = 2  # cover, then the section with the block

_MARKER = re.compile(r"^<!--\s*(file|image|error):\s*(\S+)\s*-->\s*$")
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)\s*$")


@dataclass
class Example:
    name: str
    files: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    error: str | None = None


def read_examples(doc: Path) -> dict[str, Example]:
    """Collect the marked blocks of ``doc``, by example name, in the order they appear."""
    examples: dict[str, Example] = {}
    lines = doc.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        marker = _MARKER.match(lines[index])
        index += 1
        if not marker:
            continue
        kind, target = marker.groups()
        name, _, path = target.partition("/")
        example = examples.setdefault(name, Example(name))
        if kind == "image":
            example.images.append(path)
            continue
        while index < len(lines) and not lines[index].strip():
            index += 1
        fence = _FENCE.match(lines[index]) if index < len(lines) else None
        if not fence:
            raise SystemExit(f"{doc}:{index + 1}: a code block must follow the marker {target}")
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence.group(1):
            body.append(lines[index])
            index += 1
        index += 1
        text = "\n".join(body) + "\n"
        if kind == "file":
            if path in example.files:
                raise SystemExit(f"{doc}: {target} is given twice")
            example.files[path] = text
        else:
            example.error = text.strip()
    return examples


def draw_picture(path: Path, seed: int) -> None:
    """A quiet abstract picture (a horizon and a pale light): the same bytes on every run."""
    from PIL import Image, ImageDraw

    width, height = 900, 600
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = y / height
        colour = (int(60 + 130 * shade), int(52 + 105 * shade), int(64 + 80 * shade))
        draw.line([(0, y), (width, y)], fill=colour)
    horizon = int(height * (0.62 + 0.04 * (seed % 3)))
    draw.rectangle([0, horizon, width, height], fill=(44, 38, 36))
    x = width * (0.25 + 0.2 * (seed % 3))
    draw.ellipse([x, height * 0.3, x + width * 0.11, height * 0.3 + width * 0.11],
                 fill=(226, 200, 164))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(path, format="JPEG", quality=85)
    else:
        image.save(path, format="PNG", optimize=True)


def default_manifest(example: Example) -> str:
    sections = [p for p in example.files if p.endswith((".md", ".yaml")) and "/" not in p]
    title = example.name.removeprefix("block-").replace("-", " ").capitalize()
    if example.name.startswith("block-"):
        title = f"The {title.lower()} block"
    lines = ["kind: programme", f"title: {title}", "date: 2025-02-25", "sections:"]
    lines += [f"  - {section}" for section in sections]
    return "\n".join(lines) + "\n"


def write_example(example: Example, parent: Path) -> Path:
    folder = parent / example.name
    for relative, text in example.files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for seed, relative in enumerate(example.images):
        draw_picture(folder / relative, seed)
    if not (folder / "publication.yaml").exists():
        if not any(p.endswith((".md", ".yaml")) and "/" not in p for p in example.files):
            # an example of a template only: give it a section to show
            example.files["about.md"] = "# About\n\nAn example section.\n"
            (folder / "about.md").write_text(example.files["about.md"], encoding="utf-8")
        (folder / "publication.yaml").write_text(default_manifest(example), encoding="utf-8")
    return folder


def expect_error(example: Example, work: Path) -> str | None:
    """Run the command line as a user would; return a complaint, or None if it matched."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "vigil", "build", example.name, "-o", "out"],
        cwd=work, capture_output=True, text=True, env=env, check=False,
    )
    first = done.stderr.strip().splitlines()[0] if done.stderr.strip() else ""
    if done.returncode != 1:
        return f"expected exit code 1, got {done.returncode}: {done.stderr.strip()[-500:]}"
    if first != example.error:
        return f"the message differs:\n  documented: {example.error}\n  printed:    {first}"
    return None


def page_png(pdf: Path, page: int, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page),
             "-singlefile", str(pdf), str(prefix)],
            check=True,
        )
        shutil.copyfile(prefix.with_suffix(".png"), target)


def contact_sheet(pdf: Path, target: Path, dpi: int, columns: int) -> None:
    """All pages of ``pdf`` side by side, by scripts/contact_sheet.py."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "contact_sheet.py"), str(pdf), str(target),
         "--dpi", str(dpi), "--columns", str(columns)],
        check=True,
    )


def print_pictures(work: Path, write: bool) -> list[str]:
    """The sample booklet for print and imposed: the pictures of docs/printing.md."""
    import vigil
    from vigil.errors import VigilError
    from vigil.options import BuildOptions

    folder = SAMPLES["sample-booklet"][0]
    try:
        result = vigil.build(folder, work / "print", BuildOptions(profile="print", impose=True))
    except VigilError as error:
        return [f"print: {error.kind}: {error}"]
    print(f"print: {result.pages} pages, sheets in {result.imposed}")
    if not write or result.imposed is None:
        return []
    sheet(result.imposed, [1], PICTURES / "imposed-sheet.png", 72)
    poster = next(int(n) for n in re.findall(r"\(page (\d+); bleed", " ".join(result.notes)))
    sheet(result.output, [poster], PICTURES / "insert-bleed.png", 60)
    last = result.pages
    sheet(result.output, list(range(last - 3, last + 1)), PICTURES / "print-padding.png", 36)
    return []


def sheet(pdf: Path, pages: list[int], target: Path, dpi: int) -> None:
    """Pages of ``pdf`` side by side on grey, as pdftoppm draws them at ``dpi``."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        images = []
        for page in pages:
            prefix = Path(tmp) / f"p{page}"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(prefix)], check=True)
            images.append(Image.open(prefix.with_suffix(".png")).convert("RGB"))
        gap = 8
        width = sum(i.width for i in images) + gap * (len(images) + 1)
        height = max(i.height for i in images) + 2 * gap
        canvas = Image.new("RGB", (width, height), (128, 128, 128))
        x = gap
        for image in images:
            canvas.paste(image, (x, gap))
            x += image.width + gap
        canvas.save(target, optimize=True)


# Pages of the sample booklet shown at 60 dpi (docs/content-format.md, typography): a spread
# (pages 4 and 5, as a reader holds them), the inscription page and a catalogue page, found by
# their text.
DETAILS = {"typography-spread": "4-5", "typography-inscription": "did not return",
           "typography-catalogue": "Placeholder work 3"}


def booklet_details(pdf: Path) -> None:
    from pypdf import PdfReader

    texts = [page.extract_text() or "" for page in PdfReader(pdf).pages]
    for name, where in DETAILS.items():
        if re.fullmatch(r"\d+-\d+", where):
            first, last = where.split("-")
            subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "contact_sheet.py"), str(pdf),
                 str(PICTURES / f"{name}.png"), "--dpi", str(DPI), "--pages", where,
                 "--columns", str(int(last) - int(first) + 1)], check=True)
            continue
        number = next(i for i, text in enumerate(texts, start=1) if where in text)
        page_png(pdf, number, PICTURES / f"{name}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="build and compare every example, write no picture")
    parser.add_argument("--samples", action="store_true",
                        help="only the contact sheets of the samples (sample-booklet.png, "
                             "sample-programme.png), as make demo builds them")
    args = parser.parse_args()

    import vigil
    from vigil.errors import VigilError

    examples = {} if args.samples else read_examples(DOC)
    problems: list[str] = []
    if not args.check:
        PICTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vigil-docs-") as tmp:
        work = Path(tmp)
        for example in examples.values():
            folder = write_example(example, work)
            if example.error is not None:
                complaint = expect_error(example, work)
                if complaint:
                    problems.append(f"{example.name}: {complaint}")
                else:
                    print(f"{example.name}: fails as documented")
                continue
            try:
                result = vigil.build(folder, work / "out")
            except VigilError as error:
                problems.append(f"{example.name}: {error.kind}: {error}")
                continue
            print(f"{example.name}: {result.pages} pages")
            if example.name.startswith("block-"):
                if result.pages != 3:
                    problems.append(f"{example.name}: the block should fill one page, "
                                    f"but the programme has {result.pages} pages, not 3")
                if not args.check:
                    page_png(result.output, BLOCK_PAGE, PICTURES / f"{example.name}.png")
            if example.name in EXAMPLE_SHEETS and not args.check:
                contact_sheet(result.output, PICTURES / f"{EXAMPLE_SHEETS[example.name]}.png",
                              40, result.pages)
        for name, (folder, dpi, columns) in SAMPLES.items():
            try:
                result = vigil.build(folder, work / "samples")
            except VigilError as error:
                problems.append(f"{name}: {error.kind}: {error}")
                continue
            print(f"{name}: {result.pages} pages")
            if not args.check:
                contact_sheet(result.output, PICTURES / f"{name}.png", dpi, columns)
                if name == "sample-booklet" and not args.samples:
                    booklet_details(result.output)
        if not args.samples:
            problems += print_pictures(work, not args.check)
    if not args.check:
        total = sum(p.stat().st_size for p in PICTURES.glob("*.png"))
        print(f"{len(list(PICTURES.glob('*.png')))} pictures, {total / 1024:.0f} KiB in {PICTURES}")
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
