"""Verify an image before anything renders it.

Takes a path and where it was referenced; gives its pixel size, or an
:class:`~vigil.errors.ImageError` for a file that is not an allowed image, is truncated or damaged,
or is so large that decoding it would be an attack (a decompression bomb).
"""

from __future__ import annotations

import re
from pathlib import Path

from vigil.errors import ImageError, Location

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_PIXELS = 60_000_000


def verify_image(path: Path, location: Location) -> tuple[int, int]:
    """Decode the whole image strictly and return (width, height) in pixels.

    A file already verified in this process, unchanged since (same size and modification
    time), is not decoded again.
    """
    if path.suffix.lower() == ".svg":
        _verify_svg(path, location)
        return (0, 0)
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        _verified[key] = _decode(path, location)
    return _verified[key]


_verified: dict[tuple[Path, int, int], tuple[int, int]] = {}
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def _verify_svg(path: Path, location: Location) -> None:
    """An SVG must be well-formed XML and refer to nothing but itself and small data: URLs."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as exc:
        raise ImageError(
            f"SVG image '{path.name}' is not well-formed XML ({exc})", location=location
        ) from None
    for element in root.iter():
        references = [v for k, v in element.attrib.items() if k.endswith("href")]
        references += _URL_IN_CSS.findall(element.attrib.get("style", ""))
        if element.tag.endswith("style") and element.text:
            references += _URL_IN_CSS.findall(element.text)
        for reference in references:
            reference = reference.strip()
            if not reference.startswith(("#", "data:")):
                raise ImageError(
                    f"SVG image '{path.name}' refers to '{reference}'; an SVG image may not "
                    "refer to other files or to the network", location=location,
                    hint="Embed the picture in the SVG, or use it directly as an image",
                )


def _decode(path: Path, location: Location) -> tuple[int, int]:
    from PIL import Image, ImageFile

    # WeasyPrint's import sets LOAD_TRUNCATED_IMAGES for the whole process; insist here.
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    name = path.name
    try:
        with Image.open(path) as image:
            if image.format not in ALLOWED_FORMATS:
                raise ImageError(
                    f"image '{name}' is a {image.format} file; allowed formats are "
                    + ", ".join(sorted(ALLOWED_FORMATS)), location=location,
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"image '{name}' has {width}×{height} pixels, more than the "
                    f"{MAX_PIXELS // 1_000_000} million allowed", location=location,
                    hint="Scale it down; 300 dpi at the printed size is enough",
                )
            image.load()
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(
            f"image '{name}' is too large to decode safely (a possible decompression bomb)",
            location=location,
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        detail = str(exc) or type(exc).__name__
        if "cannot identify image file" in detail:
            detail = "it is not an image vigil can read"
        raise ImageError(
            f"image '{name}' is damaged or not an image: {detail}", location=location,
            hint="Open it in an image editor and export it again as JPEG or PNG",
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    return width, height
