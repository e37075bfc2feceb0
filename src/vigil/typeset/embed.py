"""Sources inside the PDF: what an ``archive`` build embeds while WeasyPrint writes it.

Takes a publication and its composed document; gives the extra options of WeasyPrint's
``write_pdf`` (:func:`embedding`, a :data:`~vigil.typeset.WriteOptions`): every source file as
an attachment with relationship ``Source``, which WeasyPrint's PDF/A-3 variant lists as an
associated file (``/AF``) of the document, and a finisher that writes the XMP metadata. The
archive (:mod:`vigil.archive.embed`) reads them back; the pipeline passes :func:`embedding` to
the layout of an archive build (a part of the typeset stage, so that the pipeline never
imports the archive, which calls it).

Names inside the PDF are the files' paths relative to the publication folder
(``publication.yaml``, ``images/cover.jpg``, ``templates/section.html``); the theme's files are
under ``theme/<theme name>/`` wherever the theme lies (vigil's ``templates/`` or the
publication), so that a rebuild from any folder embeds the same names. Every embedded file has
fixed dates (the publication's date, or ``SOURCE_DATE_EPOCH``) and a MIME type from vigil's own
table, not the machine's, so the same sources give the same bytes anywhere.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from vigil import __version__
from vigil.errors import ContentError, Location

if TYPE_CHECKING:
    import pydyf
    from weasyprint import Attachment, Document
    from weasyprint.pdf.metadata import DocumentMetadata

    from vigil.compose import Composed
    from vigil.profiles import Profile
    from vigil.read import Publication

THEME_PREFIX = "theme"
RELATIONSHIP = "Source"
NAMESPACE = "urn:x-vigil:archive:1.0#"   # the XMP namespace of vigil's own properties
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 1024 * 1024 * 1024

# MIME types by extension, fixed here: WeasyPrint asks the machine's database for the ones
# Python does not know (.md, .yaml), which would make the bytes depend on the machine.
MIME_TYPES = {
    ".yaml": "application/yaml", ".yml": "application/yaml", ".md": "text/markdown",
    ".markdown": "text/markdown", ".csv": "text/csv", ".txt": "text/plain",
    ".json": "application/json", ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".gif": "image/gif", ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff",
    ".pdf": "application/pdf", ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff",
    ".woff2": "font/woff2", ".dic": "text/plain",
}
_SAFE_PART = re.compile(r"^[^\x00-\x1f\\:*?\"<>|]+$")


@dataclass(frozen=True)
class SourceFile:
    """A file to embed: its name inside the PDF and where it is now."""

    name: str
    path: Path


@dataclass(frozen=True)
class ArchiveMetadata:
    """What the XMP of an archive PDF says about how to rebuild it."""

    publication: str
    edition: str | None
    theme: str
    vigil_version: str
    sources_sha256: str
    source_date_epoch: str | None


def mime_type(name: str) -> str:
    return MIME_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def safe_name(name: str) -> bool:
    """A relative POSIX path without ``..``, empty parts, drive letters or control characters:
    safe to write below a folder."""
    if not name or name.startswith("/") or len(name) > 1024:
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") and _SAFE_PART.match(part) for part in parts)


def _theme_files(folder: Path) -> list[Path]:
    """Every regular file of a theme folder (no hidden files, nothing linked from outside)."""
    root = folder.resolve()
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file() and path.resolve().is_relative_to(root):
            found.append(path)
    return found


def source_files(publication: Publication, theme_folders: Sequence[Path],
                 fetched: Iterable[Path] = ()) -> list[SourceFile]:
    """The files that make ``publication``: the ones its read stage used, the ones WeasyPrint
    read from the publication folder while laying it out (Markdown images), the theme's
    overrides in ``templates/`` and the whole theme; sorted by name."""
    folder = publication.folder.resolve()
    theme = theme_folders[-1].resolve()
    files: dict[str, Path] = {}

    def add(name: str, path: Path) -> None:
        if not safe_name(name):
            raise ContentError(
                f"the file name '{name}' cannot be stored in an archive PDF",
                location=Location(path), hint="Rename it with letters, digits, '-', '_' and '.'",
            )
        if files.setdefault(name, path) != path:
            raise ContentError(
                f"two files would be stored as '{name}' in the archive PDF: '{files[name]}' "
                f"and '{path}'", location=Location(path),
                hint=f"Rename the publication's folder '{THEME_PREFIX}/'",
            )

    for path in _theme_files(theme):
        add(f"{THEME_PREFIX}/{publication.meta.theme}/"
            + path.resolve().relative_to(theme).as_posix(), path.resolve())
    for overrides in theme_folders[:-1]:
        for path in _theme_files(overrides):
            resolved = path.resolve()
            if resolved.is_relative_to(folder) and not resolved.is_relative_to(theme):
                add(resolved.relative_to(folder).as_posix(), resolved)
    for path in (*publication.sources, *fetched):
        resolved = Path(path).resolve()
        if resolved.is_relative_to(theme) or not resolved.is_relative_to(folder):
            continue  # the theme is already in; vigil's fonts are not sources
        add(resolved.relative_to(folder).as_posix(), resolved)
    return [SourceFile(name, files[name]) for name in sorted(files)]


def digest(hashes: Iterable[tuple[str, str]]) -> str:
    """One SHA-256 over ``(name, sha256)`` pairs: the lines of a manifest, sorted by name."""
    lines = "".join(f"{sha}  {name}\n" for name, sha in sorted(hashes))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def source_date_epoch() -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return epoch if epoch.isdigit() else None


def embedding(publication: Publication, composed: Composed,
              profile: Profile) -> Callable[[Sequence[Path]], dict[str, object]]:
    """The ``write_options`` of :func:`vigil.typeset.typeset` for an archive build."""

    def options(fetched: Sequence[Path]) -> dict[str, object]:
        files = source_files(publication, composed.theme_folders, fetched)
        contents = {f.name: f.path.read_bytes() for f in files}
        total = sum(len(data) for data in contents.values())
        if len(contents) > MAX_FILES or total > MAX_TOTAL_BYTES:
            raise ContentError(
                f"the sources are too large to embed ({len(contents)} files, "
                f"{total / 2**20:.0f} MiB)", location=Location(publication.folder),
            )
        sources = digest((name, hashlib.sha256(data).hexdigest())
                         for name, data in contents.items())
        epoch = source_date_epoch()
        created = dt.datetime.combine(publication.meta.date, dt.time())
        modified = (dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
                    if epoch else created)
        facts = ArchiveMetadata(
            publication=publication.name, edition=publication.edition,
            theme=publication.meta.theme, vigil_version=__version__, sources_sha256=sources,
            source_date_epoch=epoch,
        )
        return {
            "attachments": _attachments(contents, created, modified),
            "finisher": lambda document, pdf: _finish(document, pdf, publication, profile,
                                                      facts),
        }

    return options


def _attachments(contents: dict[str, bytes], created: dt.datetime,
                 modified: dt.datetime) -> list[Attachment]:
    from weasyprint import Attachment
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    names = sorted(contents)  # the EmbeddedFiles name tree must be sorted

    class Served(URLFetcher):  # type: ignore[misc]
        """Hands WeasyPrint each file with vigil's MIME type."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            name = names[int(url.removeprefix("vigil-source:"))]
            return URLFetcherResponse(url, contents[name], {"Content-Type": mime_type(name)})

    served = Served(fail_on_errors=True)
    return [
        Attachment(url=f"vigil-source:{index}", url_fetcher=served, name=name,
                   description=f"Source of the publication: {name}", created=created,
                   modified=modified, relationship=RELATIONSHIP)
        for index, name in enumerate(names)
    ]


def _finish(document: Document, pdf: pydyf.PDF, publication: Publication, profile: Profile,
            facts: ArchiveMetadata) -> None:
    """After WeasyPrint made the PDF/A: one /AF entry per file (WeasyPrint 70 lists each
    twice), and vigil's XMP packet, uncompressed so that it can be read with any tool."""
    import pydyf

    catalog = pdf.catalog
    if "AF" in catalog:
        unique: list[object] = []
        for reference in catalog["AF"]:
            if reference not in unique:
                unique.append(reference)
        catalog["AF"] = pydyf.Array(unique)
    if "Metadata" in catalog:
        stream = pdf.objects[int(catalog["Metadata"].split()[0])]
        stream.stream = [xmp_packet(document.metadata, publication, profile, facts)]
        stream.compress = False


def _li(values: Iterable[str], lang: bool = False) -> str:
    attribute = ' xml:lang="x-default"' if lang else ""
    return "".join(f"<rdf:li{attribute}>{escape(v)}</rdf:li>" for v in values)


def xmp_packet(metadata: DocumentMetadata, publication: Publication, profile: Profile,
               facts: ArchiveMetadata) -> bytes:
    """The XMP of an archive PDF. Title, author, description, keywords, creator tool and dates
    are WeasyPrint's (so that they match the document information dictionary, as PDF/A
    requires); language, date and organiser come from the publication; vigil's own properties
    (version, publication, edition, theme, digest of the sources) are described by a PDF/A
    extension schema."""
    from weasyprint import __version__ as weasyprint_version

    variant = (profile.pdf_variant or "pdf/a-3u").removeprefix("pdf/a-")
    meta = publication.meta
    lines = [f"<pdfaid:part>{variant[:-1]}</pdfaid:part>",
             f"<pdfaid:conformance>{variant[-1].upper()}</pdfaid:conformance>",
             "<dc:format>application/pdf</dc:format>"]
    if metadata.title:
        lines.append(f"<dc:title><rdf:Alt>{_li([metadata.title], True)}</rdf:Alt></dc:title>")
    if metadata.authors:
        lines.append(f"<dc:creator><rdf:Seq>{_li(metadata.authors)}</rdf:Seq></dc:creator>")
    if meta.organiser:
        lines.append(f"<dc:publisher><rdf:Bag>{_li([meta.organiser])}</rdf:Bag></dc:publisher>")
    if metadata.description:
        lines.append(f"<dc:description><rdf:Alt>{_li([metadata.description], True)}</rdf:Alt>"
                     "</dc:description>")
    if metadata.keywords:
        lines.append(f"<dc:subject><rdf:Bag>{_li(metadata.keywords)}</rdf:Bag></dc:subject>")
        lines.append(f"<pdf:Keywords>{escape(', '.join(metadata.keywords))}</pdf:Keywords>")
    lines.append(f"<dc:language><rdf:Bag>{_li([meta.language])}</rdf:Bag></dc:language>")
    lines.append(f"<dc:date><rdf:Seq>{_li([meta.date.isoformat()])}</rdf:Seq></dc:date>")
    lines.append(f"<pdf:Producer>WeasyPrint {escape(weasyprint_version)}</pdf:Producer>")
    if metadata.generator:
        lines.append(f"<xmp:CreatorTool>{escape(metadata.generator)}</xmp:CreatorTool>")
    if metadata.created:
        lines.append(f"<xmp:CreateDate>{escape(metadata.created)}</xmp:CreateDate>")
    if metadata.modified:
        lines.append(f"<xmp:ModifyDate>{escape(metadata.modified)}</xmp:ModifyDate>")
        lines.append(f"<xmp:MetadataDate>{escape(metadata.modified)}</xmp:MetadataDate>")
    own = {"version": facts.vigil_version, "publication": facts.publication,
           "edition": facts.edition, "theme": facts.theme, "sources": facts.sources_sha256,
           "sourceDateEpoch": facts.source_date_epoch}
    lines += [f"<vigil:{key}>{escape(value)}</vigil:{key}>" for key, value in own.items()
              if value is not None]
    body = "\n  ".join(lines)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about=""\n'
        '  xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"\n'
        '  xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '  xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '  xmlns:pdf="http://ns.adobe.com/pdf/1.3/"\n'
        f'  xmlns:vigil="{NAMESPACE}">\n'
        f"  {body}\n"
        "</rdf:Description>\n"
        f"{_EXTENSION_SCHEMA}"
        "</rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    ).encode()


_PROPERTIES = (
    ("version", "The version of vigil that made this file"),
    ("publication", "The name of the publication's folder"),
    ("edition", "The language of a translated edition, absent for the original"),
    ("theme", "The theme the publication used; its files are embedded under theme/NAME/"),
    ("sources", "SHA-256 of the embedded sources: of the lines 'SHA256  NAME', sorted by name"),
    ("sourceDateEpoch", "SOURCE_DATE_EPOCH when the file was made, if it was set"),
)
_EXTENSION_SCHEMA = (
    '<rdf:Description rdf:about=""\n'
    '  xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"\n'
    '  xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"\n'
    '  xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\n'
    "  <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n"
    "    <pdfaSchema:schema>vigil archive: how this file was made from its sources"
    "</pdfaSchema:schema>\n"
    f"    <pdfaSchema:namespaceURI>{NAMESPACE}</pdfaSchema:namespaceURI>\n"
    "    <pdfaSchema:prefix>vigil</pdfaSchema:prefix>\n"
    "    <pdfaSchema:property><rdf:Seq>\n"
    + "".join(
        '      <rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>internal</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>\n"
        for name, description in _PROPERTIES
    )
    + "    </rdf:Seq></pdfaSchema:property>\n"
    "  </rdf:li></rdf:Bag></pdfaExtension:schemas>\n"
    "</rdf:Description>\n"
)
