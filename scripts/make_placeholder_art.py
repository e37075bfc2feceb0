"""Write the synthetic placeholder images of the sample booklet "Eternal Return".

The images are abstract patterns (soft gradients and blurred shapes in muted earth tones and
deep reds). They stand in for the paintings and sculptures of the real exhibition, which this
project does not reproduce; each artwork carries a small "PLACEHOLDER" label in a corner.

Deterministic: every image has a fixed seed, nothing depends on the clock, and the JPEG files are
written without metadata, so running the script twice gives byte-identical files (with the same
Pillow build).

    .venv/bin/python scripts/make_placeholder_art.py [--out DIR]

Writes placeholder-01.jpg ... placeholder-08.jpg (1200 x 1500 px) and cover.jpg
(1819 x 2551 px: A5 with its bleed at 300 dpi)
into content/eternal-return-2025/images/ unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "content" / "eternal-return-2025" / "images"

ARTWORK_SIZE = (1200, 1500)
COVER_SIZE = (1819, 2551)  # A5 plus 3 mm bleed on each side, at 300 dpi
QUALITY = 85

RGB = tuple[int, int, int]

# Muted earth tones and deep reds, one palette per artwork: (top, bottom, shape colours).
PALETTES: list[tuple[RGB, RGB, list[RGB]]] = [
    ((214, 196, 168), (120, 84, 62), [(122, 28, 34), (168, 112, 70), (74, 52, 44)]),
    ((92, 34, 36), (38, 24, 26), [(176, 132, 96), (140, 44, 40), (210, 184, 150)]),
    ((196, 176, 146), (150, 122, 92), [(98, 30, 34), (60, 48, 42), (188, 150, 104)]),
    ((70, 60, 56), (140, 110, 84), [(150, 40, 42), (220, 200, 170), (104, 76, 60)]),
    ((226, 214, 192), (176, 140, 110), [(128, 46, 44), (86, 64, 52), (160, 96, 66)]),
    ((54, 38, 40), (110, 46, 44), [(200, 170, 130), (84, 24, 30), (150, 120, 96)]),
    ((168, 150, 128), (88, 70, 60), [(112, 22, 30), (206, 186, 156), (132, 90, 62)]),
    ((120, 40, 40), (202, 176, 140), [(58, 42, 40), (176, 120, 84), (232, 216, 190)]),
]

COVER_PALETTE: tuple[RGB, RGB, list[RGB]] = (
    (34, 28, 30),
    (16, 12, 14),
    [(96, 26, 32), (70, 50, 44), (120, 88, 66)],
)


def gradient(size: tuple[int, int], top: RGB, bottom: RGB, angle: float) -> Image.Image:
    """A linear gradient from ``top`` to ``bottom``, turned by ``angle`` degrees."""
    width, height = size
    side = int((width**2 + height**2) ** 0.5) + 2
    mask = Image.linear_gradient("L").resize((side, side), Image.Resampling.BICUBIC)
    mask = mask.rotate(angle, resample=Image.Resampling.BICUBIC)
    left, upper = (side - width) // 2, (side - height) // 2
    mask = mask.crop((left, upper, left + width, upper + height))
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def soft_shapes(
    base: Image.Image, colours: list[RGB], rng: random.Random, count: int, blur: float
) -> Image.Image:
    """Lay ``count`` blurred, half-transparent ellipses and bands over ``base``."""
    width, height = base.size
    image = base.convert("RGBA")
    for index in range(count):
        colour = colours[index % len(colours)]
        # Transparent pixels carry the shape's own colour, so blurring gives no dark halo.
        layer = Image.new("RGBA", base.size, (*colour, 0))
        draw = ImageDraw.Draw(layer)
        alpha = rng.randint(70, 170)
        if rng.random() < 0.65:
            cx, cy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
            rx, ry = rng.uniform(0.12, 0.4) * width, rng.uniform(0.08, 0.3) * height
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(*colour, alpha))
        else:
            y = rng.uniform(0.15, 0.85) * height
            thickness = rng.uniform(0.03, 0.12) * height
            tilt = rng.uniform(-0.15, 0.15) * height
            draw.polygon(
                [(-10, y), (width + 10, y + tilt), (width + 10, y + tilt + thickness),
                 (-10, y + thickness)],
                fill=(*colour, alpha),
            )
        layer = layer.filter(ImageFilter.GaussianBlur(blur * rng.uniform(0.6, 1.4)))
        image = Image.alpha_composite(image, layer)
    return image.convert("RGB")


def label(image: Image.Image, text: str) -> None:
    """Draw a small, legible placeholder label in the lower right corner."""
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(22, image.width // 40))
    box = draw.textbbox((0, 0), text, font=font)
    pad = image.width // 60
    x = image.width - (box[2] - box[0]) - 3 * pad
    y = image.height - (box[3] - box[1]) - 3 * pad
    draw.rectangle(
        (x - pad, y - pad, x + box[2] - box[0] + pad, y + box[3] + pad), fill=(245, 240, 230)
    )
    draw.text((x - box[0], y), text, fill=(40, 30, 30), font=font)


def artwork(number: int) -> Image.Image:
    top, bottom, colours = PALETTES[number - 1]
    rng = random.Random(1992_0000 + number)
    image = gradient(ARTWORK_SIZE, top, bottom, angle=rng.uniform(-25, 25))
    image = soft_shapes(image, colours, rng, count=rng.randint(5, 8), blur=55)
    label(image, f"PLACEHOLDER {number:02d} · synthetic image")
    return image


def cover() -> Image.Image:
    top, bottom, colours = COVER_PALETTE
    rng = random.Random(2025_0225)
    image = gradient(COVER_SIZE, top, bottom, angle=8)
    return soft_shapes(image, colours, rng, count=5, blur=140)


def save(image: Image.Image, path: Path) -> None:
    # No EXIF, no ICC profile, no timestamps: the bytes depend only on the pixels.
    image.save(path, "JPEG", quality=QUALITY, optimize=True, progressive=False, subsampling="4:2:0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for number in range(1, len(PALETTES) + 1):
        path = args.out / f"placeholder-{number:02d}.jpg"
        save(artwork(number), path)
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    path = args.out / "cover.jpg"
    save(cover(), path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
