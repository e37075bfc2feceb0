"""``vigil serve``: a live preview of a publication in the browser.

Takes a publication folder, an output folder, the build's options and an address (127.0.0.1 unless
another host is asked for explicitly); serves, with the standard library's HTTP server, one
page that shows the pages of the last good PDF as images, the last build's error if it failed
(escaped), and reloads by itself after each build. The builds are those of ``vigil watch``
(:class:`vigil.watch.Watcher`, in the main thread); the server answers in its own threads.

Only these are served: ``/`` (the page), ``/version`` (JSON: the build counter and state),
``/preview.js``, ``/preview.css``, ``/pdf`` (the last good PDF) and ``/pages/ID/N.png`` (page N
of build ID). No file is looked up by a name from the URL: there is no directory listing and no
way out of the preview. When the server listens on the loopback address, requests must name it
in their Host header (no DNS rebinding).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vigil.console import publication_name
from vigil.errors import VigilError
from vigil.options import BuildOptions
from vigil.serve.page import SCRIPT, STYLE, Snapshot, render_page
from vigil.serve.render import RESOLUTION, PageImages, pdftoppm
from vigil.watch import Outcome, Watcher

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PreviewServer", "Snapshot", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
_PAGE_IMAGE = re.compile(r"^/pages/(\d{1,9})/(\d{1,6})\.png$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; frame-src 'self'; "
                               "object-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
                               "form-action 'none'",
    "Cache-Control": "no-store",
}


class PreviewServer:
    """The state shared by the builds (main thread) and the requests (server threads)."""

    def __init__(self, name: str, host: str, port: int, images: bool) -> None:
        self.snapshot = Snapshot(name=name, images=images)
        self._lock = threading.Lock()
        self._images: dict[int, PageImages] = {}
        self._pdfs: dict[int, Path] = {}
        self._scratch = Path(tempfile.mkdtemp(prefix="vigil-serve-"))
        self.loopback = _is_loopback(host)
        try:
            self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        except OSError as exc:
            shutil.rmtree(self._scratch, ignore_errors=True)
            if exc.errno == errno.EADDRINUSE:
                raise VigilError(f"port {port} of {host} is in use",
                                 hint="Choose another with --port (--port 0 takes any free "
                                      "port)") from None
            raise VigilError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.host = host
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    # ------------------------------------------------------------ builds (main thread)

    def building(self, changed: tuple[str, ...]) -> None:
        with self._lock:
            self.snapshot = replace(self.snapshot, building=True)

    def built(self, outcome: Outcome) -> None:
        with self._lock:
            version = self.snapshot.version + 1
        if outcome.result is None:
            error = outcome.error or VigilError("the build failed")
            with self._lock:
                self.snapshot = replace(
                    self.snapshot, version=version, building=False, error=str(error),
                    error_kind=error.kind, changed=outcome.changed)
            return
        result = outcome.result
        folder = self._scratch / str(version)
        pdf = folder / "preview.pdf"
        try:
            folder.mkdir(exist_ok=True)
            shutil.copyfile(result.output, pdf)  # the output may be replaced while shown
        except OSError as exc:
            self.built(Outcome(error=VigilError(f"cannot read the PDF {result.output} "
                                                f"({exc.strerror or exc})"),
                               changed=outcome.changed))
            return
        width, height = result.report.page_size_mm
        pixels = (round(width / 25.4 * RESOLUTION), round(height / 25.4 * RESOLUTION))
        with self._lock:
            self._pdfs[version] = pdf
            self._images[version] = PageImages(pdf, result.pages, folder)
            old = [key for key in self._pdfs if key < self.snapshot.pages_id]
            self.snapshot = replace(
                self.snapshot, version=version, building=False, pages_id=version,
                pages=result.pages, pixels=pixels, output=str(result.output),
                built_seconds=result.seconds, changed=outcome.changed, error=None,
                error_kind="")
            for key in old:  # keep the pages shown just before, for requests under way
                self._pdfs.pop(key, None)
                self._images.pop(key, None)
                shutil.rmtree(self._scratch / str(key), ignore_errors=True)

    # ------------------------------------------------------------ requests (server threads)

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        with self._lock:
            snapshot = self.snapshot
        if path == "/":
            return 200, "text/html; charset=utf-8", render_page(snapshot).encode()
        if path == "/version":
            state = {"version": snapshot.version, "building": snapshot.building,
                     "pages": snapshot.pages, "error": snapshot.error}
            return 200, "application/json", json.dumps(state).encode()
        if path == "/preview.js":
            return 200, "text/javascript; charset=utf-8", SCRIPT.encode()
        if path == "/preview.css":
            return 200, "text/css; charset=utf-8", STYLE.encode()
        if path == "/pdf":
            with self._lock:
                pdf = self._pdfs.get(snapshot.pages_id)
            with contextlib.suppress(OSError):
                if pdf is not None:
                    return 200, "application/pdf", pdf.read_bytes()
            return _not_found()
        match = _PAGE_IMAGE.match(path)
        if match:
            with self._lock:
                images = self._images.get(int(match[1]))
            if images is not None:
                try:
                    return 200, "image/png", images.png(int(match[2]))
                except KeyError:
                    return _not_found()
                except (VigilError, OSError) as error:
                    return 500, "text/plain; charset=utf-8", str(error).encode()
        return _not_found()

    def allowed_host(self, header: str | None) -> bool:
        """On the loopback address, the Host header must name it (no DNS rebinding)."""
        if not self.loopback:
            return True
        if not header:
            return False
        host = urlsplit(f"//{header}").hostname or ""
        return host in ("localhost", "127.0.0.1", "::1") or host == self.host


def _not_found() -> tuple[int, str, bytes]:
    return 404, "text/plain; charset=utf-8", b"Not found: vigil serve shows one publication.\n"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handler(server: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "vigil-serve"
        sys_version = ""

        def do_GET(self) -> None:
            self._answer(body=True)

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def _answer(self, body: bool) -> None:
            if not server.allowed_host(self.headers.get("Host")):
                status, kind, content = 421, "text/plain; charset=utf-8", b"Wrong host.\n"
            else:
                status, kind, content = server.respond(urlsplit(self.path).path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            for name, value in _SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                with contextlib.suppress(ConnectionError):
                    self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal shows the builds, not every request

    return Handler


def serve(folder: Path, output_dir: Path, options: BuildOptions | None = None, *,
          host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, debug: bool = False) -> int:
    """Build ``folder`` with ``options`` and serve its preview until Ctrl-C; returns the exit
    code (0)."""
    images = pdftoppm() is not None
    server = PreviewServer(publication_name(folder), host, port, images)
    watcher = Watcher(folder, output_dir, options, debug=debug, on_start=server.building,
                      on_build=server.built)
    server.start()
    try:
        print(f"Serving the preview of {server.snapshot.name} at {server.url} "
              "(Ctrl-C to stop).", flush=True)
        if not server.loopback:
            print(f"  warning: listening on {host}: anyone who can reach this machine can see "
                  "the preview", file=sys.stderr, flush=True)
        if not images:
            print("  note: pdftoppm (Debian package poppler-utils) is not installed, so the "
                  "page shows the PDF in the browser's own viewer instead of page images; "
                  "install it with: apt-get install poppler-utils", file=sys.stderr, flush=True)
        return watcher.run()
    finally:
        server.stop()
