"""The screen profile, for phones, e-mail and screen readers: pictures reduced once to 150 dpi
at their placed size and cached, a small file, PDF/UA-1 where the document can keep its promise,
and alternative text on every picture (an error under --strict).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from conftest import (
    BOOKLET_SAMPLE,
    CONTENT,
    PROGRAMME_SAMPLE,
    Builds,
    assert_located,
    build_error,
    build_into,
    manifest_with,
    pdf_reader,
    run_cli,
    section_markers,
    write_publication,
)
from vigil.compose import images as image_cache
from vigil.compose.images import target_size

SCREEN_BUDGET = 1_500_000
DPI = 150


@dataclass(frozen=True)
class Placed:
    page: int
    pixels: tuple[int, int]
    points: tuple[float, float]

    @property
    def dpi(self) -> float:
        """The resolution along the picture's larger side, at the size it is drawn."""
        return max(self.pixels[0] / (self.points[0] / 72), self.pixels[1] / (self.points[1] / 72))


def _multiply(m: list[float], n: list[float]) -> list[float]:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return [a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2]


def placed_images(path: Path) -> list[Placed]:
    """Every image drawn, with its pixel size and the size it is drawn at (through the current
    transformation matrix, also inside form XObjects)."""
    reader = PdfReader(path)
    found: list[Placed] = []

    def walk(contents: Any, resources: Any, ctm: list[float], page: int, depth: int) -> None:
        if contents is None or resources is None or depth > 8:
            return
        xobjects = resources.get_object().get("/XObject") or {}
        stack: list[list[float]] = []
        for operands, operator in ContentStream(contents, reader).operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q" and stack:
                ctm = stack.pop()
            elif operator == b"cm":
                ctm = _multiply([float(x) for x in operands], ctm)
            elif operator == b"Do" and operands[0] in xobjects:
                xobject = xobjects[operands[0]].get_object()
                if xobject.get("/Subtype") == "/Image":
                    width = math.hypot(ctm[0], ctm[1])
                    height = math.hypot(ctm[2], ctm[3])
                    found.append(Placed(page, (int(xobject["/Width"]), int(xobject["/Height"])),
                                        (width, height)))
                elif xobject.get("/Subtype") == "/Form":
                    matrix = [float(x) for x in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    walk(xobject, xobject.get("/Resources"), _multiply(matrix, ctm), page,
                         depth + 1)

    for number, page in enumerate(reader.pages, start=1):
        walk(page.get_contents(), page.get("/Resources"), [1, 0, 0, 1, 0, 0], number, 0)
    return found


def jpeg(size: tuple[int, int], seed: int = 0) -> bytes:
    """A photograph-like JPEG (noise and gradients: many colours) of ``size`` pixels."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40 + seed)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_90)
                                .resize(size)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def picture_publication(folder: Path, alt: str = "A test picture") -> Path:
    return write_publication(folder, {
        "intro.md": f"# Introduction\n\nA picture follows.\n\n![{alt}](images/photo.jpg)\n",
        "images/photo.jpg": jpeg((2400, 1800)),
    })


# ---------------------------------------------------------------- size and resolution


def test_sample_booklet_is_under_the_screen_budget(builds: Builds) -> None:
    built = builds.sample(BOOKLET_SAMPLE)
    assert built.result.bytes == built.pdf.stat().st_size
    assert built.result.bytes < SCREEN_BUDGET, f"{built.result.bytes} bytes"


def test_sample_pictures_are_150_dpi_at_their_placed_size(builds: Builds) -> None:
    built = builds.sample(BOOKLET_SAMPLE)
    inserts = {marker for marker in section_markers(built.pdf, built.publication)
               if isinstance(marker, int)}
    ours = [p for p in placed_images(built.pdf) if p.page not in inserts]
    assert len(ours) >= 9, ours  # the cover and the eight works of the catalogue
    for placed in ours:
        # At least the profile's resolution (no needless loss), and not much more: the bound
        # is the theme's largest box, so a picture placed smaller is a little above 150 dpi.
        assert DPI * 0.99 <= placed.dpi <= DPI * 1.05, placed


def test_the_print_profile_keeps_full_resolution(tmp_path: Path) -> None:
    folder = picture_publication(tmp_path / "p")
    screen = placed_images(build_into(tmp_path / "screen", folder).output)
    printed = placed_images(build_into(tmp_path / "print", folder, "print").output)
    assert [p.pixels for p in printed] == [(2400, 1800)]
    (reduced,) = screen
    assert reduced.pixels[0] < 1000
    assert reduced.dpi == pytest.approx(DPI, rel=0.03)
    # Placed where the full picture is, but for the rounding of its proportions to whole
    # pixels (up, so that no side falls below 150 dpi).
    assert reduced.points == pytest.approx(printed[0].points, rel=0.005), \
        "a reduced picture must be placed where the full one is"


@pytest.mark.parametrize(("size", "box", "cover", "expected"), [
    ((2000, 1000), (500, 500), False, (500, 250)),   # fits in the box
    ((1000, 2000), (500, 500), False, (250, 500)),
    ((2000, 1000), (500, 500), True, (1000, 500)),   # covers the box
    ((400, 300), (500, 500), False, None),           # small: left as it is
    ((1748, 2480), (875, 1241), True, (875, 1242)),  # the sample cover, 150 dpi on A5
])
def test_target_size(size: tuple[int, int], box: tuple[int, int], cover: bool,
                     expected: tuple[int, int] | None) -> None:
    assert target_size(size, box, cover) == expected


# ---------------------------------------------------------------- the cache


def _reduced(folder: Path) -> list[Path]:
    """The reduced pictures of an image cache folder (without their .json records)."""
    return sorted(path for path in folder.iterdir() if path.suffix != ".json")


def test_reduced_pictures_are_made_once_and_reused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(cache))
    folder = picture_publication(tmp_path / "p")
    before = (image_cache.stats.encoded, image_cache.stats.reused)
    first = build_into(tmp_path / "one", folder)
    assert image_cache.stats.encoded == before[0] + 1
    (made,) = _reduced(cache / "images")
    made_at = made.stat().st_mtime_ns
    second = build_into(tmp_path / "two", folder)  # another output folder: a real build
    assert image_cache.stats.encoded == before[0] + 1, "the picture was reduced again"
    assert image_cache.stats.reused == before[1] + 1
    assert made.stat().st_mtime_ns == made_at
    assert second.output.read_bytes() == first.output.read_bytes()


def test_a_reduced_picture_under_another_name_is_made_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reduced picture has a record of the name it was made under and of its bytes: a
    picture copied over another (with or without its record) is not used."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(cache))
    folder = picture_publication(tmp_path / "p")
    first = build_into(tmp_path / "one", folder).output.read_bytes()
    (made,) = _reduced(cache / "images")
    record = made.with_name(made.name + ".json")
    other = jpeg((300, 200), seed=3)
    for damage in ("picture", "picture and record"):
        made.write_bytes(other)
        if damage == "picture and record":  # a valid entry of another name, copied here
            record.write_text(json.dumps({"key": "0" * len(made.stem),
                                          "sha256": hashlib.sha256(other).hexdigest()}))
        encoded = image_cache.stats.encoded
        again = build_into(tmp_path / damage.replace(" ", "-"), folder)
        assert image_cache.stats.encoded == encoded + 1
        assert again.output.read_bytes() == first


def test_a_fresh_cache_gives_the_same_bytes(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = picture_publication(tmp_path / "p")
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path / "a"))
    first = build_into(tmp_path / "one", folder).output.read_bytes()
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path / "b"))
    again = build_into(tmp_path / "two", folder).output.read_bytes()
    assert again == first
    (made,) = _reduced(tmp_path / "b" / "images")
    from PIL import Image

    with Image.open(made) as reduced:
        assert reduced.format == "JPEG"
        assert not reduced.getexif()
        assert "exif" not in reduced.info


def test_a_changed_picture_is_reduced_again(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path / "cache"))
    folder = picture_publication(tmp_path / "p")
    build_into(tmp_path / "one", folder)
    (folder / "images" / "photo.jpg").write_bytes(jpeg((2400, 1800), seed=7))
    encoded = image_cache.stats.encoded
    build_into(tmp_path / "two", folder)
    assert image_cache.stats.encoded == encoded + 1
    assert len(list(_reduced(tmp_path / "cache" / "images"))) == 2


def test_an_unwritable_cache_falls_back(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("VIGIL_CACHE_DIR", str(blocked))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = build_into(tmp_path / "out", picture_publication(tmp_path / "p"))
    assert placed_images(result.output)[0].pixels[0] < 1000
    assert list(_reduced(tmp_path / "tmp" / "vigil-cache" / "images"))


def test_transparent_and_drawn_pictures_stay_png(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image, ImageDraw

    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path / "cache"))
    drawing = Image.new("RGBA", (2400, 1200), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).ellipse([200, 200, 2200, 1000], fill=(140, 47, 42, 255))
    buffer = io.BytesIO()
    drawing.save(buffer, format="PNG")
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\n![A red ellipse](images/drawing.png)\n",
        "images/drawing.png": buffer.getvalue(),
    })
    build_into(tmp_path / "out", folder)
    (made,) = _reduced(tmp_path / "cache" / "images")
    assert made.suffix == ".png"
    with Image.open(made) as reduced:
        assert reduced.mode == "RGBA"
        assert reduced.width < 1000


def test_an_exif_rotated_photograph_is_turned_before_reducing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setenv("VIGIL_CACHE_DIR", str(tmp_path / "cache"))
    with Image.open(io.BytesIO(jpeg((2400, 1200)))) as image:
        exif = image.getexif()
        exif[0x0112] = 6  # stored landscape, shown portrait
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", exif=exif)
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\n![A turned photograph](images/turned.jpg)\n",
        "images/turned.jpg": buffer.getvalue(),
    })
    screen = placed_images(build_into(tmp_path / "screen", folder).output)
    printed = placed_images(build_into(tmp_path / "print", folder, "print").output)
    (reduced,) = screen
    assert reduced.pixels[0] < reduced.pixels[1], "portrait, as shown"
    assert reduced.points == pytest.approx(printed[0].points, rel=0.005)


# ---------------------------------------------------------------- PDF/UA and alternative text


def _metadata(path: Path) -> bytes:
    root = pdf_reader(path).trailer["/Root"]
    return bytes(root["/Metadata"].get_object().get_data()) if "/Metadata" in root else b""


def test_a_programme_is_pdf_ua(builds: Builds) -> None:
    built = builds.sample(PROGRAMME_SAMPLE)
    reader = pdf_reader(built.pdf)
    root = reader.trailer["/Root"]
    assert reader.pdf_header == "%PDF-1.7"
    assert b'pdfuaid:part="1"' in _metadata(built.pdf)
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert "/StructTreeRoot" in root
    assert reader.metadata is not None and reader.metadata.title


def test_a_booklet_with_an_described_inserted_pdf_is_pdf_ua(builds: Builds) -> None:
    """The insert's pages are a Figure with the insert's 'alt:' (see test_accessibility)."""
    built = builds.sample(BOOKLET_SAMPLE)
    assert b'pdfuaid:part="1"' in _metadata(built.pdf)
    assert "/StructTreeRoot" in pdf_reader(built.pdf).trailer["/Root"]
    assert not any("not PDF/UA-1" in note for note in built.result.notes)


def test_every_picture_described_in_the_pdf(builds: Builds) -> None:
    """Each Figure of the structure tree carries the alternative text (/Alt)."""
    reader = pdf_reader(builds.sample(BOOKLET_SAMPLE).pdf)
    figures: list[Any] = []

    def walk(element: Any, depth: int) -> None:
        element = element.get_object()
        if depth > 60 or not hasattr(element, "get"):
            return
        if element.get("/S") == "/Figure":
            figures.append(element)
        kids = element.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and hasattr(kid.get_object(), "get"):
                walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"], 0)
    assert len(figures) >= 9
    assert all(str(figure.get("/Alt", "")).strip() for figure in figures)


MISSING_ALT = "# Introduction\n\nA paragraph.\n\nAnother one.\n\n![](images/photo.jpg)\n"


def test_a_picture_without_alt_is_a_warning_and_not_pdf_ua(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": MISSING_ALT, "images/photo.jpg": jpeg((600, 400)),
    })
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "no alternative text" in err
    assert "not PDF/UA-1: 1 picture has no alternative text" in out
    assert b"pdfuaid" not in _metadata(tmp_path / "out" / "p.pdf")


def test_strict_makes_a_missing_alt_an_error_naming_file_and_line(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": MISSING_ALT, "images/photo.jpg": jpeg((600, 400)),
    })
    code, _out, err = run_cli("build", "--strict", folder, "-o", tmp_path / "out")
    assert code == 1
    message = err.strip().splitlines()[0]
    assert "no alternative text" in message
    assert "images/photo.jpg" in message
    assert "intro.md, line 7" in message, message
    assert not (tmp_path / "out" / "p.pdf").exists()


def test_cover_and_catalogue_pictures_require_alt(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with("cover:\n  image: images/cover.jpg\n"),
        "images/cover.jpg": jpeg((300, 400)),
    })
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", key="cover.alt")


def test_the_cache_is_not_under_the_working_folder_in_tests() -> None:
    """The suite's builds use the session's cache (see conftest.image_cache)."""
    assert os.environ.get("VIGIL_CACHE_DIR")
    assert not Path(os.environ["VIGIL_CACHE_DIR"]).resolve().is_relative_to(Path.cwd().resolve())


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_jpeg_decoded_at_a_reduced_scale_looks_as_reduced_from_full_size(
        orientation: int) -> None:
    """A photograph is decoded at a reduced scale first (Image.draft), then resampled: the
    picture has the target size and is, to the eye, the one resampled from the full-size
    decode (over 40 dB PSNR), turned or not by its EXIF orientation."""
    import math

    from PIL import Image, ImageChops, ImageOps, ImageStat

    from vigil.compose.images import _encode

    source = CONTENT / "eternal-return-2025" / "images" / "placeholder-01.jpg"
    with Image.open(source) as image:
        exif = image.getexif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=95, exif=exif)
    data = buffer.getvalue()
    target = (209, 261) if orientation == 1 else (261, 209)
    reduced, suffix = _encode(data, "JPEG", target, 80)
    with Image.open(io.BytesIO(data)) as full:
        reference = ImageOps.exif_transpose(full).convert("RGB").resize(
            target, Image.Resampling.LANCZOS)
    with Image.open(io.BytesIO(reduced)) as made:
        assert suffix == ".jpg" and made.size == target
        error = ImageStat.Stat(ImageChops.difference(made.convert("RGB"), reference)).rms
    mse = sum(value * value for value in error) / 3
    assert 10 * math.log10(255 * 255 / mse) > 40
