"""The only way WeasyPrint can read a file while typesetting: a sandboxed URL fetcher.

Takes the folders a document may read from (publication, theme, fonts, the image cache) and
the pictures to serve in place of the author's files (reduced for the screen, see
:mod:`vigil.compose.images`); gives a WeasyPrint ``URLFetcher`` that serves ``file:`` URLs
inside those folders and small ``data:`` URLs, and refuses everything else (network, other
files, symbolic links leading out). A refusal stops the build with a
:class:`~vigil.errors.ResourceError` naming the resource.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from vigil.errors import ResourceError
from vigil.sandbox import VIRTUAL_SCHEME, contained_file, resolve_url

MAX_DATA_URL_BYTES = 2 * 1024 * 1024


class RefusedResource(FatalURLFetchingError):  # type: ignore[misc]
    """Raised inside WeasyPrint to stop rendering; carries the user-facing error."""

    def __init__(self, error: ResourceError) -> None:
        super().__init__(str(error))
        self.error = error


class SandboxFetcher(URLFetcher):  # type: ignore[misc]
    def __init__(self, mounts: dict[str, Path],
                 substitutes: dict[str, Path] | None = None) -> None:
        super().__init__(fail_on_errors=True)
        self.mounts = {name: root.resolve() for name, root in mounts.items()}
        self.roots = tuple(self.mounts.values())
        self.substitutes = substitutes or {}  # unquoted virtual URL -> file served instead
        self.fetched: list[Path] = []  # the files read (for a substitute, the author's file)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            return self._fetch(url)
        except ResourceError as error:
            raise RefusedResource(error) from None

    def _fetch(self, url: str) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return self._data(url)
        if scheme not in (VIRTUAL_SCHEME, "file"):
            shown = url if len(url) < 120 else url[:117] + "..."
            raise ResourceError(
                f"the document refers to '{shown}', and vigil does not reach the network",
                hint="Put the file inside the publication folder and refer to it by its path",
            )
        path = resolve_url(url, self.mounts)  # the one resolver (see vigil.sandbox)
        if scheme == VIRTUAL_SCHEME:
            substitute = self.substitutes.get(unquote(url))
            if substitute is not None:
                response = self._file(url, contained_file(
                    substitute, self.roots, unquote(url)))
                self.fetched[-1] = path
                return response
            return self._file(url, path)
        return self._file(path.as_uri(), path)

    def _file(self, url: str, path: Path) -> URLFetcherResponse:
        self.fetched.append(path)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    def _data(self, url: str) -> URLFetcherResponse:
        header, _, payload = url.partition(",")
        if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
            raise ResourceError(
                f"a data: URL of {len(payload) // 1024} KiB is larger than the "
                f"{MAX_DATA_URL_BYTES // 1024} KiB allowed"
            )
        mime = header[5:].split(";")[0] or "text/plain"
        body = base64.b64decode(payload) if header.endswith(";base64") else unquote(payload)
        return URLFetcherResponse(url, body, {"Content-Type": mime})
