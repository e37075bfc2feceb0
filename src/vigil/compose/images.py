"""Pictures for the screen: each one reduced once to the profile's resolution, and cached.

Takes the composed HTML, the publication folder, the page size and the profile's resolution and
JPEG quality; gives :class:`Prepared`: for every picture of the publication that is larger than
it can be shown, a smaller file in the cache folder that the typesetting stage serves in its
place (the HTML keeps naming the author's file, so messages and checks still name it).

The size a picture is placed at is only known after layout, so each gets an upper bound from
where it stands, at least as large as the box the theme fits it in:

- the cover picture (``class="cover-image"``) covers the whole page: it is reduced until it
  just still covers the page at the resolution;
- a work of a catalogue (``class="work-image"``) fits within :data:`CATALOGUE_WIDTH` (0.5) of
  the text's width and :data:`CATALOGUE_HEIGHT` (0.21) of the page's height (two works to a
  row, the memorial theme's ``max-height``, rounded up);
- any other picture fits within the text's width (the page's width less its margins, or
  :data:`CONTENT_WIDTH` of the page's width when they are not given) and :data:`CONTENT_HEIGHT`
  (0.46) of its height (the memorial theme's largest ``max-height`` for pictures, rounded up),
  and is reduced to fit that box.

A reduced picture is still larger at CSS's 96 dpi than that box, so the theme's ``max-width``
and ``max-height`` place it exactly where the full picture would have been: the pages do not
change, only the pictures' resolution.

A picture already within its bound is used as it is (JPEG and PNG; GIF and WebP are converted
to PNG or JPEG). A reduced JPEG stays JPEG; a reduced PNG, GIF or WebP becomes PNG when it has
transparency or at most 256 colours (drawings), else JPEG. JPEG is written by Pillow at the
profile's quality with fixed settings and no metadata (no EXIF, no dates; the ICC profile is
kept), so the same picture gives the same bytes. Pictures turned by their EXIF orientation are
turned before reducing. A JPEG is decoded at a reduced scale first where its size allows
(libjpeg's scaled decoding, Pillow's ``Image.draft``), to no less than :data:`REDUCING_GAP`
times the target size, then resampled with Lanczos to it, as Pillow's own ``thumbnail`` does:
for a photograph four times larger than its target, a quarter of the decoding and resampling,
and the same picture to the eye (about 50 dB PSNR against resampling the full-size decode).

The cache folder is ``images/`` in vigil's cache folder (see :mod:`vigil.usercache`:
``--cache-dir``, ``$VIGIL_CACHE_DIR``, else ``~/.cache/vigil``), or a folder in the system's
temporary folder if that cannot be written. A file in it is named by a hash of the picture's
bytes, the target size, the quality and this recipe, so it is made once and reused by every
later build, from any publication; deleting the folder is always safe. It is an entry of
:class:`vigil.store.Store`: beside each file, ``<name>.json`` records the name it was made under
and the SHA-256 of its bytes, and a file copied over another, or changed, is made again.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from vigil.errors import OutputError, ResourceError
from vigil.sandbox import VIRTUAL_SCHEME, resolve_url
from vigil.store import Store

# Of the page: memorial's text is 0.784 (A5), 0.794 (A4) and 0.771 (A6) of the page's width, and
# its pictures are at most 0.45 (in text) and 0.46 (catalogue) of the page's height.
CONTENT_WIDTH = 0.8
CONTENT_HEIGHT = 0.46
CATALOGUE_WIDTH = 0.5
CATALOGUE_HEIGHT = 0.21
RECIPE = "vigil-image-2"  # change when the way pictures are reduced changes
# A JPEG is decoded at no less than this many times its target size (Pillow's thumbnail
# default), then resampled to the target.
REDUCING_GAP = 2.0
SUFFIXES = (".jpg", ".png")  # of the reduced pictures
MM_PER_INCH = 25.4


@dataclass
class Stats:
    """How many pictures this process reduced, and how many it found already in the cache."""

    encoded: int = 0
    reused: int = 0


stats = Stats()


@dataclass(frozen=True)
class Prepared:
    """The pictures to serve in place of the author's files, by their virtual URL (unquoted),
    the cache folder they live in, and how many pictures have no alternative text."""

    folder: Path
    substitutes: dict[str, Path] = field(default_factory=dict)
    without_alt: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Use:
    src: str
    alt: str | None
    classes: tuple[str, ...]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[_Use] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.found.append(_Use(values.get("src") or "", values.get("alt"),
                                   tuple((values.get("class") or "").split())))


def images_of(html: str) -> list[_Use]:
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.found


def cache_folder() -> Path:
    """The folder of reduced pictures, created if needed."""
    from vigil.usercache import ENV
    from vigil.usercache import folder as cache

    candidates = [cache("images"), Path(tempfile.gettempdir()) / "vigil-cache" / "images"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder.resolve()
    raise OutputError(
        f"no folder for the image cache can be written ({candidates[0]})",
        hint=f"Give --cache-dir (or set {ENV}) a folder vigil may write to",
    )


def prepare_images(html: str, publication: Path, page_mm: tuple[float, float],
                   dpi: int, quality: int, text_width_mm: float | None = None) -> Prepared:
    """Reduce every picture of ``html`` taken from ``publication`` (see the module's rule);
    ``text_width_mm`` is the width of the text pages' text, if known."""
    folder = cache_folder()
    width, height = page_mm
    text = text_width_mm if text_width_mm else width * CONTENT_WIDTH
    cover_box = (_pixels(width, dpi), _pixels(height, dpi))
    content_box = (_pixels(text, dpi), _pixels(height * CONTENT_HEIGHT, dpi))
    work_box = (_pixels(text * CATALOGUE_WIDTH, dpi), _pixels(height * CATALOGUE_HEIGHT, dpi))
    wanted: dict[str, tuple[Path, tuple[int, int], bool]] = {}
    without_alt: list[str] = []
    root = publication.resolve()
    for use in images_of(html):
        if not (use.alt or "").strip():
            without_alt.append(use.src)
        parts = urlsplit(use.src)
        if parts.scheme != VIRTUAL_SCHEME or parts.netloc != "publication":
            continue
        try:  # the sandbox's resolver; the fetcher refuses what it refuses, with a message
            path = resolve_url(use.src, {"publication": root})
        except ResourceError:
            continue
        if path.suffix.lower() == ".svg":
            continue
        cover = "cover-image" in use.classes
        box = cover_box if cover else (work_box if "work-image" in use.classes
                                       else content_box)
        key = unquote(use.src)
        if key in wanted:
            # One file serves every use of the picture: the largest bound wins.
            known = wanted[key][1]
            if known[0] * known[1] >= box[0] * box[1]:
                continue
        wanted[key] = (path, box, cover)
    substitutes = {}
    for key, (path, box, cover) in wanted.items():
        reduced = reduce_image(path, box, cover, quality, folder)
        if reduced is not None:
            substitutes[key] = reduced
    return Prepared(folder, substitutes, tuple(without_alt))


def _pixels(millimetres: float, dpi: int) -> int:
    return math.ceil(millimetres / MM_PER_INCH * dpi - 1e-6)


def target_size(size: tuple[int, int], box: tuple[int, int],
                cover: bool) -> tuple[int, int] | None:
    """The pixel size to reduce ``size`` to so that it fits in ``box`` (or, with ``cover``,
    just covers it), keeping its proportions; None when it is not larger than that already."""
    width, height = size
    if width <= 0 or height <= 0:
        return None
    scales = (box[0] / width, box[1] / height)
    scale = max(scales) if cover else min(scales)
    if scale >= 1:
        return None
    return (max(1, math.ceil(width * scale - 1e-6)), max(1, math.ceil(height * scale - 1e-6)))


def reduce_image(path: Path, box: tuple[int, int], cover: bool, quality: int,
                 folder: Path) -> Path | None:
    """The cached reduction of the picture ``path`` for ``box``, made if not there yet; None
    when the author's file is to be used as it is."""
    import PIL
    from PIL import Image

    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        source_format = image.format or ""
        size = image.size
        if _orientation(image) in (5, 6, 7, 8):
            size = (size[1], size[0])
    target = target_size(size, box, cover)
    if target is None and source_format in ("JPEG", "PNG"):
        return None
    digest = hashlib.sha256()
    for part in (RECIPE, PIL.__version__, str(quality), repr(target), source_format):
        digest.update(part.encode() + b"\0")
    digest.update(data)
    name = digest.hexdigest()[:40]
    pictures = Store(folder, SUFFIXES)
    cached = pictures.get(name)
    if cached is not None and cached.path is not None:
        stats.reused += 1
        return cached.path
    encoded, suffix = _encode(data, source_format, target, quality)
    stats.encoded += 1
    return pictures.put(name, encoded, suffix=suffix)


def _orientation(image: object) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))  # type: ignore[attr-defined]
    except Exception:  # a damaged EXIF block: the picture was verified, its metadata not
        return 1


def _encode(data: bytes, source_format: str, target: tuple[int, int] | None,
            quality: int) -> tuple[bytes, str]:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)  # the first frame of an animation, as WeasyPrint shows it
        if target is not None and source_format == "JPEG":
            turned = _orientation(opened) in (5, 6, 7, 8)  # the file's pixels lie on their side
            width, height = (target[1], target[0]) if turned else target
            opened.draft(None, (math.ceil(width * REDUCING_GAP),
                                math.ceil(height * REDUCING_GAP)))
        icc = opened.info.get("icc_profile")
        image = ImageOps.exif_transpose(opened) or opened
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        few_colours = image.mode in ("1", "P") or (
            image.mode in ("L", "RGB") and image.getcolors(256) is not None
        )
        if transparent:
            image = image.convert("LA" if image.mode in ("L", "LA") else "RGBA")
        elif image.mode not in ("L", "RGB"):
            image = image.convert("L" if image.mode == "1" else "RGB")
        if target is not None:
            image = image.resize(target, Image.Resampling.LANCZOS)
        output = io.BytesIO()
        if source_format != "JPEG" and (transparent or few_colours):
            image.save(output, format="PNG", optimize=True)
            return output.getvalue(), ".png"
        options: dict[str, object] = {"quality": quality, "optimize": True, "progressive": False}
        if icc:
            options["icc_profile"] = icc
        image.save(output, format="JPEG", **options)
        return output.getvalue(), ".jpg"
