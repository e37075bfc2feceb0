"""Write the sample booklet's PDF insert: a one-page A5 poster for the exhibition.

The poster is drawn with Pillow (using the bundled fonts) and saved as a PDF by Pillow, not by
vigil, so that the sample shows an external PDF becoming a page of the book. Deterministic: the
same bytes every run (fixed dates in the PDF).

Usage: python scripts/make_sample_insert.py [OUT.pdf]
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "src/vigil/fonts"
DEFAULT = ROOT / "content" / "eternal-return-2025" / "inserts" / "poster.pdf"
DPI = 300
WIDTH, HEIGHT = 1748, 2480  # A5 at 300 dpi


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def centred(draw: ImageDraw.ImageDraw, y: int, text: str, face: ImageFont.FreeTypeFont,
            fill: tuple[int, int, int]) -> int:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    draw.text(((WIDTH - (right - left)) / 2 - left, y), text, font=face, fill=fill)
    return y + (bottom - top)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    image = Image.new("RGB", (WIDTH, HEIGHT), (58, 22, 22))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):  # a quiet vertical fade towards the foot
        shade = int(34 * y / HEIGHT)
        draw.line([(0, y), (WIDTH, y)], fill=(58 - shade // 2, 22 - shade // 3, 22 - shade // 3))
    light, muted = (244, 236, 226), (214, 186, 168)
    draw.rectangle([90, 90, WIDTH - 90, HEIGHT - 90], outline=(150, 96, 84), width=3)
    y = centred(draw, 330, "AZERBAIJAN INDEPENDENCE MUSEUM", font("NotoSans-Regular.ttf", 46),
                muted)
    draw.line([(WIDTH / 2 - 90, y + 90), (WIDTH / 2 + 90, y + 90)], fill=muted, width=3)
    y = centred(draw, y + 230, "Eternal Return", font("NotoSerif-Regular.ttf", 190), light)
    y = centred(draw, y + 90, "Əbədi qayıdış", font("NotoSerif-Italic.ttf", 120), muted)
    y = centred(draw, y + 240, "An exhibition for the 33rd anniversary",
                font("NotoSerif-Regular.ttf", 64), light)
    y = centred(draw, y + 40, "of the Khojaly tragedy", font("NotoSerif-Regular.ttf", 64), light)
    y = centred(draw, y + 200, "25 February 2025 · Baku", font("NotoSans-Regular.ttf", 58), light)
    centred(draw, y + 60, "Over 35 paintings and sculptures", font("NotoSans-Regular.ttf", 50),
            muted)
    centred(draw, HEIGHT - 260, "Sample insert: a poster made by scripts/make_sample_insert.py",
            font("NotoSans-Italic.ttf", 34), muted)
    out.parent.mkdir(parents=True, exist_ok=True)
    fixed = time.gmtime(dt.datetime(2025, 2, 25, tzinfo=dt.UTC).timestamp())
    image.save(out, format="PDF", resolution=DPI, quality=88, title="Eternal Return (poster)",
               author="vigil sample content", creationDate=fixed, modDate=fixed)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
