"""Stage 5, check: is a PDF ready for its use (screen, print, archive), and will the sources
be set as written?

Before rendering, :func:`check_sources` takes the publication and its composed HTML and gives
findings: every character of the text is in the fonts that will set it, in the styles it is set
in (:mod:`~vigil.check.coverage`), and every image has alternative text
(:mod:`~vigil.check.images`). After rendering, :func:`check_pdf` takes the PDF bytes and gives a
:class:`Report` on the file actually written (:mod:`~vigil.check.pdf`): pages and boxes, fonts
embedded with their glyphs, image resolution at the placed size, metadata, tagging, PDF/A, links,
bookmarks and file size. :func:`check_file` does the same for any PDF on disk (``vigil
check``), refusing damaged files (:mod:`~vigil.check.structure`) under a time limit.

Heavy libraries (pypdf, fontTools) are imported inside the functions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.check.expectations import EXPECTATIONS, Expectations, expectations_for, parse_size
from vigil.check.findings import ERROR, WARNING, Finding, Report, Severity
from vigil.dependencies import missing_package
from vigil.errors import CheckError, Location, UnreadableError, VigilError

if TYPE_CHECKING:
    from vigil.compose import Composed
    from vigil.profiles import Profile
    from vigil.read import Publication
    from vigil.typeset import Layout

__all__ = [
    "ERROR", "EXPECTATIONS", "WARNING", "Expectations", "Finding", "Preflight", "Report",
    "Severity", "check_build", "check_file", "check_pdf", "check_sources", "expectations_for",
    "failure", "parse_size",
]

CHECK_SECONDS = 30.0
MAX_CHECK_BYTES = 512 * 2**20  # a PDF larger than this is refused, not read into memory


def check_pdf(pdf: bytes, expected_size_mm: tuple[float, float] | None = None, *,
              expect: Expectations | None = None, titles: Sequence[str] | None = None,
              families: tuple[str, ...] | None = None,
              image_sources: dict[tuple[int, int], str] | None = None,
              name: str | Path | None = None, structure: bool = False,
              password: str | None = None,
              insert_pages: frozenset[int] = frozenset(), figures: bool = True,
              parsed: Sequence[Any] = ()) -> Report:
    """Check the PDF ``pdf``; ``expect`` defaults to the screen profile.

    A build passes its trim size, section titles, font families and image files (by pixel
    size), so that findings can be exact; a standalone check passes none of them. A build
    also passes ``parsed``, the objects its assemble stage wrote ``pdf`` from (see
    :func:`~vigil.check.structure.open_pdf`): they are not parsed from ``pdf`` again.
    Raises :class:`~vigil.errors.UnreadableError` when the PDF cannot be read.
    """
    from vigil.check.pdf import check_document
    from vigil.check.structure import open_pdf, quiet_pypdf

    started = time.perf_counter()
    expect = expect or expectations_for("screen")
    label = name if name is not None else "the PDF"
    reader = open_pdf(pdf, label, password=password, structure=structure, parsed=parsed)
    with quiet_pypdf():
        report = check_document(
            reader, pdf, expect, name=str(name) if name is not None else None,
            expected_size_mm=expected_size_mm, titles=titles, families=families,
            image_sources=image_sources, insert_pages=insert_pages, figures=figures,
            text_layer=structure,  # a build's own file (structure=False) has its ActualText
        )
    report.seconds = time.perf_counter() - started
    return report


def read_regular_file(path: Path, limit: int, error: type[VigilError]) -> bytes:
    """The bytes of ``path``, if it is a regular file of at most ``limit`` bytes; else
    ``error``. A device (``/dev/zero``), a named pipe or a socket is refused without reading
    from it (opened without waiting, so that a pipe with no writer cannot hang)."""
    import os
    import stat

    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"cannot read '{path}' ({detail})", location=Location(path)) from None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise error("it is not a regular file but a device, a named pipe or a socket; "
                        "vigil reads PDFs from files only", location=Location(path))
        if status.st_size > limit:
            raise error(f"the file is {status.st_size / 2**20:.0f} MiB, larger than the "
                        f"{limit // 2**20} MiB vigil reads", location=Location(path))
        return file.read(limit + 1)


def check_file(path: Path, profile: str = "screen", *, strict: bool = False,
               max_bytes: int | None = None, password: str | None = None,
               seconds: float = CHECK_SECONDS) -> Report:
    """Check the PDF file at ``path`` against ``profile``, within ``seconds``.

    Raises :class:`~vigil.errors.UnreadableError` (exit code 2) when the file cannot be read,
    is damaged or encrypted, or takes longer than ``seconds``.
    """
    from vigil.check.structure import unreadable
    from vigil.limits import TimeLimitExceeded, time_limit

    expect = expectations_for(profile, strict=strict, max_bytes=max_bytes)
    data = read_regular_file(path, MAX_CHECK_BYTES, UnreadableError)
    try:
        with time_limit(seconds):
            return check_pdf(data, expect=expect, name=path, structure=True, password=password)
    except TimeLimitExceeded:
        raise unreadable(path, f"reading it took longer than {seconds:g} s; it is probably "
                         "damaged (a loop in its structure)") from None
    except UnreadableError as error:
        advice = missing_package(error)
        if advice:
            raise UnreadableError(advice, location=Location(path)) from None
        raise
    except RecursionError:
        raise unreadable(path, "its structure is nested too deeply (a loop?)") from None
    except Exception as exc:  # pypdf and fontTools raise many kinds of errors on odd files
        advice = missing_package(exc)
        if advice:
            raise UnreadableError(advice, location=Location(path)) from None
        # Chained, so that --debug shows where it came from.
        from vigil.read.inserts import damage

        raise unreadable(path, f"it could not be read to the end ({damage(exc)})") from exc


@dataclass
class Preflight:
    """What the checks before rendering found, and what they learnt for the PDF check."""

    findings: list[Finding] = field(default_factory=list)
    families: tuple[str, ...] = ()
    image_sources: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


def check_sources(publication: Publication, composed: Composed, profile: str | Profile,
                  strict: bool = False) -> Preflight:
    """Before rendering: font coverage of the text and alternative text of the images."""
    from vigil.check.coverage import check_coverage, font_families
    from vigil.check.images import check_alt_text, find_images, image_sources

    name = profile if isinstance(profile, str) else profile.name
    expect = expectations_for(name, strict=strict)
    images = find_images(composed.html)
    findings = check_coverage(publication, composed)
    findings += check_alt_text(publication, composed, expect, images)
    # What the content asked for and vigil left out or showed otherwise (a dropped link, raw
    # HTML, an ignored @import): a warning, an error under --strict.
    findings += [Finding(ERROR if strict else WARNING, None, notice.code, notice.message,
                         notice.location.file, notice.location.line)
                 for notice in composed.warnings]
    return Preflight(findings, font_families(composed),
                     image_sources(publication, composed, images))


def check_build(pdf: bytes, publication: Publication, profile: Profile, preflight: Preflight,
                typeset: Layout | None = None, strict: bool = False,
                parsed: Sequence[Any] = ()) -> Report:
    """The check of a build's PDF: the publication's trim size and bleed, its section titles
    (each a bookmark), its fonts (no other), its image files; the preflight's findings and the
    read stage's warnings come first in the report. ``parsed``: the objects the assemble
    stage wrote ``pdf`` from (:attr:`vigil.assemble.Assembled.objects`), not parsed again."""
    expect = expectations_for(profile.name, profile, strict=strict)
    if profile.for_print:
        expect = dataclasses.replace(expect, bleed_mm=publication.meta.print.bleed)
    inserts = {f"{s.id}-page-" for s in publication.sections if s.insert is not None}
    insert_pages = frozenset(
        index + 1 for name, index in (typeset.anchors.items() if typeset else ())
        if any(name.startswith(prefix) for prefix in inserts)
    )
    report = check_pdf(
        pdf, publication.meta.page.millimetres, expect=expect,
        titles=[s.title for s in publication.sections if s.title],
        families=preflight.families or None, image_sources=preflight.image_sources,
        insert_pages=insert_pages, figures=False,  # the preflight located missing alt text
        parsed=parsed,
    )
    notes = [Finding(WARNING, None, "read-warning", text) for text in publication.warnings]
    report.findings[:0] = [*preflight.findings, *notes]
    return report


def failure(publication: str, findings: Sequence[Finding]) -> CheckError:
    """One error for a build whose checks failed: the first problem located, the rest named."""
    errors = [f for f in findings if f.severity == ERROR]
    first = errors[0]
    text = first.message if first.page is None else f"page {first.page}: {first.message}"
    if len(errors) > 1:
        others = [_brief(f) for f in errors[1:4]]
        more = f" and {len(errors) - 4} more" if len(errors) > 4 else ""
        text += f" (also: {'; '.join(others)}{more})"
    return CheckError(
        f"'{publication}' failed its checks: {text}",
        location=Location(first.file, first.line) if first.file else None,
        hint="The previous PDF, if any, was left as it was",
    )


def _brief(finding: Finding) -> str:
    where = f"page {finding.page}: " if finding.page is not None else (
        f"{finding.file.name}, line {finding.line}: " if finding.file and finding.line else "")
    message = finding.message if len(finding.message) <= 90 else finding.message[:89] + "…"
    return where + message
