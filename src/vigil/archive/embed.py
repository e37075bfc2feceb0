"""Sources inside the PDF, read back: the files and facts an ``archive`` build embedded.

Takes a pypdf reader of an archive PDF; gives its embedded files (:func:`read_embedded`), the
facts a rebuild needs (:func:`read_archive_metadata`) and its PDF/A claim (:func:`pdfa_claim`).
What is embedded, and how (names, MIME types, XMP), is :mod:`vigil.typeset.embed`'s, where an
archive build writes it; its names that the archive uses are given here too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.sandbox import MAX_RESOURCE_BYTES
from vigil.typeset.embed import (
    MAX_FILES,
    MAX_TOTAL_BYTES,
    NAMESPACE,
    RELATIONSHIP,
    THEME_PREFIX,
    ArchiveMetadata,
    SourceFile,
    digest,
    safe_name,
    source_date_epoch,
    source_files,
)

if TYPE_CHECKING:
    from pypdf import PdfReader

__all__ = [
    "MAX_FILES", "MAX_TOTAL_BYTES", "NAMESPACE", "RELATIONSHIP", "THEME_PREFIX",
    "ArchiveMetadata", "Embedded", "SourceFile", "digest", "embedded_digest", "pdfa_claim",
    "read_archive_metadata", "read_embedded", "safe_name", "source_date_epoch", "source_files",
    "xmp_bytes",
]


@dataclass(frozen=True)
class Embedded:
    """A file read back out of a PDF."""

    name: str
    data: bytes
    relationship: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()



# ---------------------------------------------------------------- reading back


def read_embedded(reader: PdfReader) -> list[Embedded]:
    """The associated files of the document (``/AF`` of the catalogue), once each, in order.
    A file whose stored MD5 does not match its data is reported by raising ValueError."""
    root = reader.root_object
    listed = root.get("/AF")
    found: dict[str, Embedded] = {}
    total = 0
    for entry in (listed.get_object() if listed is not None else []):
        spec = entry.get_object()
        name = str(spec.get("/UF") or spec.get("/F") or "")
        if name in found:
            continue
        if len(found) >= MAX_FILES:
            raise ValueError(f"more than {MAX_FILES} embedded files")
        stream = spec["/EF"]["/F"].get_object()
        data = bytes(stream.get_data())
        total += len(data)
        if len(data) > MAX_RESOURCE_BYTES or total > MAX_TOTAL_BYTES:
            raise ValueError(f"the embedded file '{name}' is too large")
        params = stream.get("/Params")
        checksum = params.get_object().get("/CheckSum") if params is not None else None
        if checksum is not None and _raw(checksum) != hashlib.md5(
                data, usedforsecurity=False).digest():
            raise ValueError(f"the embedded file '{name}' does not match its checksum")
        relationship = str(spec.get("/AFRelationship") or "/Unspecified").lstrip("/")
        found[name] = Embedded(name, data, relationship)
    return list(found.values())


def _raw(value: object) -> bytes:
    """The bytes of a PDF string object, however pypdf decoded it."""
    if hasattr(value, "original_bytes"):
        return bytes(value.original_bytes)
    if isinstance(value, bytes):
        return bytes(value)
    return str(value).encode("latin-1", errors="replace")


def xmp_bytes(reader: PdfReader) -> bytes:
    root = reader.root_object
    metadata = root.get("/Metadata")
    return bytes(metadata.get_object().get_data()) if metadata is not None else b""


def _property(xmp: str, name: str) -> str | None:
    match = re.search(rf"<vigil:{name}>([^<]*)</vigil:{name}>", xmp)
    if match is None:
        return None
    from xml.sax.saxutils import unescape

    return unescape(match.group(1))


_PART = re.compile(r"pdfaid:part\s*(?:=\s*[\"'](\d)|>\s*(\d))")
_CONFORMANCE = re.compile(r"pdfaid:conformance\s*(?:=\s*[\"']([A-Za-z])|>\s*([A-Za-z]))")


def pdfa_claim(reader: PdfReader) -> str | None:
    """``PDF/A-3u`` when the XMP identifies the file as PDF/A, else None."""
    xmp = xmp_bytes(reader).decode("utf-8", errors="replace")
    part = _PART.search(xmp)
    if part is None:
        return None
    level = _CONFORMANCE.search(xmp)
    return f"PDF/A-{part[1] or part[2]}" + ((level[1] or level[2]).lower() if level else "")


def read_archive_metadata(reader: PdfReader) -> ArchiveMetadata | None:
    """vigil's properties in the XMP of an archive PDF, or None when it has none (read with
    patterns, not an XML parser, so that a hostile file cannot expand entities)."""
    xmp = xmp_bytes(reader).decode("utf-8", errors="replace")
    if NAMESPACE not in xmp:
        return None
    publication = _property(xmp, "publication")
    theme = _property(xmp, "theme")
    if not publication or not theme:
        return None
    return ArchiveMetadata(
        publication=publication, edition=_property(xmp, "edition"), theme=theme,
        vigil_version=_property(xmp, "version") or "", sources_sha256=_property(xmp, "sources")
        or "", source_date_epoch=_property(xmp, "sourceDateEpoch"),
    )


def embedded_digest(files: Iterable[Embedded]) -> str:
    return digest((f.name, f.sha256) for f in files)

