"""``vigil new``: write a starter publication that builds at once and shows every feature.

Takes a kind (``booklet`` or ``programme``) and a folder that does not exist yet (or is empty);
gives the list of files written: the example sources shipped beside this module, plus a small
abstract picture drawn with Pillow so that images, captions and alternative text are shown.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vigil.errors import Location, OutputError
from vigil.resources import data_dir


def scaffold(kind: str, target: Path) -> list[Path]:
    """Copy the ``kind`` example into ``target`` and return the files written."""
    source = data_dir("scaffold") / kind
    if not source.is_dir():
        raise OutputError(f"no example for the kind '{kind}'")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(
            "the folder already exists and is not empty", location=Location(target),
            hint="Choose a new folder name; vigil new never overwrites files",
        )
    written: list[Path] = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix != ".pyc":
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            written.append(destination)
    if kind == "booklet":
        written.append(_draw_picture(target / "images" / "example.png"))
    return written


def _draw_picture(path: Path) -> Path:
    """A quiet abstract picture (horizon and light), the same bytes every time."""
    from PIL import Image, ImageDraw

    width, height = 1200, 800
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = y / height
        colour = (int(52 + 150 * shade), int(48 + 120 * shade), int(58 + 95 * shade))
        draw.line([(0, y), (width, y)], fill=colour)
    draw.rectangle([0, int(height * 0.68), width, height], fill=(46, 40, 38))
    draw.ellipse([width * 0.62, height * 0.36, width * 0.74, height * 0.54], fill=(224, 196, 160))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)
    return path
