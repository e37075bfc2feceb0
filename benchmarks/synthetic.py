"""Synthetic publications for benchmarks (marked synthetic: no real people, no real text).

``make_booklet(folder, sections=12, paragraphs=9, insert_pages=4)`` writes an A5 booklet of
about 48 pages: prose sections, a names roll, and a PDF insert of ``insert_pages`` pages drawn
with Pillow. Deterministic: the same files every time.
"""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "memory", "remembrance", "evening", "gathered", "quietly", "names", "candles", "hall",
    "museum", "families", "return", "village", "winter", "morning", "silence", "history",
    "witness", "painting", "sculpture", "exhibition", "students", "teachers", "together",
    "stories", "archive", "photograph", "letter", "garden", "street", "river", "mountain",
    "light", "stone", "bread", "house", "window", "door", "road",
)


def _paragraph(rng: random.Random, words: int = 95) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def make_insert(path: Path, pages: int) -> Path:
    from PIL import Image, ImageDraw

    images = []
    for number in range(pages):
        image = Image.new("RGB", (874, 1240), (236, 230, 220))
        draw = ImageDraw.Draw(image)
        draw.rectangle([60, 60, 814, 1180], outline=(120, 90, 80), width=4)
        draw.text((100, 100), f"Synthetic insert page {number + 1}", fill=(60, 40, 40))
        images.append(image)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, format="PDF", resolution=150, save_all=True, append_images=images[1:])
    return path


def make_booklet(folder: Path, sections: int = 12, paragraphs: int = 7,
                 insert_pages: int = 4) -> Path:
    rng = random.Random(48)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(sections):
        body = "\n\n".join(_paragraph(rng) for _ in range(paragraphs))
        (folder / f"s{index:02}.md").write_text(
            f"# Synthetic section {index + 1}\n\n{body}\n", encoding="utf-8")
        names.append(f"s{index:02}.md")
    roll = "\n".join(f"  - Synthetic Name {n:03}" for n in range(1, 121))
    (folder / "names.yaml").write_text(
        f"title: Synthetic roll of names\ntype: names\ncolumns: 2\nnames:\n{roll}\n",
        encoding="utf-8")
    entries = "".join(f"  - {name}\n" for name in names[:6])
    if insert_pages:
        make_insert(folder / "inserts" / "synthetic.pdf", insert_pages)
        entries += "  - insert: inserts/synthetic.pdf\n    title: Synthetic insert\n"
    entries += "".join(f"  - {name}\n" for name in names[6:]) + "  - names.yaml\n"
    (folder / "publication.yaml").write_text(
        "kind: booklet\ntitle: Synthetic Benchmark Booklet\n"
        "subtitle: Synthetic text for measuring speed; not real content\n"
        "date: 2025-02-25\nlanguage: en\npage: {size: A5}\n"
        f"sections:\n{entries}", encoding="utf-8")
    return folder
