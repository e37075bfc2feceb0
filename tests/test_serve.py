"""``vigil serve``: a preview on 127.0.0.1 that shows the pages, reloads after each build and
shows build errors (escaped); only the page, its script and style, the PDF and the page images
are served. The last test drives a real headless Chromium against a real ``vigil serve``."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import vigil
from browser import CHROMIUM, Browser
from conftest import manifest_with, run_cli, write_publication
from live import LiveProcess
from vigil.errors import ContentError, Location
from vigil.serve import PreviewServer
from vigil.serve.render import pdftoppm
from vigil.watch import Outcome

needs_pdftoppm = pytest.mark.skipif(
    pdftoppm() is None, reason="pdftoppm is not installed (Debian package poppler-utils; "
                               "make test installs it)")


def get(port: int, path: str, host: str | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request to 127.0.0.1 only."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Host": host} if host is not None else {}
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def server() -> Iterator[PreviewServer]:
    preview = PreviewServer("pub", "127.0.0.1", 0, images=pdftoppm() is not None)
    preview.start()
    yield preview
    preview.stop()


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """A good build of a 4-page publication, as the watcher reports it."""
    tmp = tmp_path_factory.mktemp("serve")
    folder = write_publication(tmp / "pub")
    return Outcome(result=vigil.build(folder, tmp / "out"), changed=("intro.md",))


def test_the_page_before_the_first_build(server: PreviewServer) -> None:
    status, headers, body = get(server.port, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Building…" in body.decode()
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = get(server.port, "/version")
    assert json.loads(body) == {"version": 0, "building": True, "pages": 0, "error": None}


@needs_pdftoppm
def test_the_page_shows_the_pages_of_the_pdf(server: PreviewServer, good: Outcome) -> None:
    server.built(good)
    _, _, body = get(server.port, "/")
    page = body.decode()
    sources = re.findall(r'<img src="(/pages/1/\d+\.png)" alt="Page \d+"', page)
    assert sources == [f"/pages/1/{n}.png" for n in range(1, 5)]
    assert "4 pages" in page and "changed: intro.md" in page
    status, headers, image = get(server.port, sources[0])
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    status, headers, pdf = get(server.port, "/pdf")
    assert status == 200 and pdf.startswith(b"%PDF-")
    assert json.loads(get(server.port, "/version")[2])["version"] == 1
    assert get(server.port, "/pages/1/5.png")[0] == 404  # no page 5
    assert get(server.port, "/pages/2/1.png")[0] == 404  # no build 2 yet
    status, headers, body = get(server.port, sources[0], method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(image)


def test_an_error_is_shown_escaped_over_the_last_good_pages(server: PreviewServer, good: Outcome,
                                                            tmp_path: Path) -> None:
    server.built(good)
    error = ContentError("unknown key '<script>alert(1)</script>'",
                         location=Location(tmp_path / "pub" / "publication.yaml", 2, 1))
    server.built(Outcome(error=error, changed=("publication.yaml",)))
    _, _, body = get(server.port, "/")
    page = body.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "The last build failed (content error)" in page
    assert "The pages below are from the last good build." in page
    assert ('<img src="/pages/1/1.png"' in page) == server.snapshot.images
    state = json.loads(get(server.port, "/version")[2])
    assert state["version"] == 2 and "unknown key" in state["error"]


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/pages/../../../etc/passwd", "/pages/1/..%2f..%2fetc%2fpasswd.png",
    "/output/pub.pdf", "/pub.pdf", "/pages/", "/pages/1/", "/.vigil-cache", "/index.html",
    "/pages/1/1.png/..", "//etc/passwd", "/version/../pages",
])
def test_nothing_else_is_served(server: PreviewServer, good: Outcome, path: str) -> None:
    server.built(good)
    status, _, body = get(server.port, path)
    assert status == 404, path
    assert b"root:" not in body


def test_requests_must_name_the_loopback_host(server: PreviewServer) -> None:
    assert get(server.port, "/", host="evil.example")[0] == 421
    assert get(server.port, "/", host=f"evil.example:{server.port}")[0] == 421
    assert get(server.port, "/", host=f"localhost:{server.port}")[0] == 200
    assert get(server.port, "/", host=f"127.0.0.1:{server.port}")[0] == 200


def test_only_get_and_head(server: PreviewServer) -> None:
    assert get(server.port, "/", method="POST")[0] == 501
    assert get(server.port, "/", method="PUT")[0] == 501


def test_the_default_address_is_this_computer_only(server: PreviewServer) -> None:
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/"
    code, out, _ = run_cli("serve", "--help")
    assert code == 0 and "[default: 127.0.0.1" in out and "--port" in out


def test_a_port_in_use_is_a_clear_error(server: PreviewServer, tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    code, _, err = run_cli("serve", folder, "--port", str(server.port))
    assert code == 1
    assert f"vigil: error: port {server.port} of 127.0.0.1 is in use" in err
    assert "--port" in err


# ---------------------------------------------------------------- a real browser


def wait_version(port: int, above: int, seconds: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        state: dict[str, object] = json.loads(get(port, "/version")[2])
        version = state["version"]
        if isinstance(version, int) and version > above and not state["building"]:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"no build after version {above} within {seconds} s: {state}")
        time.sleep(0.1)


@needs_pdftoppm
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package "
                                             "chromium; make test installs it)")
def test_a_browser_sees_the_pages_the_changes_and_the_errors(tmp_path: Path) -> None:
    """One page, opened once in headless Chromium: it shows the pages, reloads by itself after
    a change (its cover then differs) and shows a build error as text over the last pages."""
    folder = write_publication(tmp_path / "pub",
                               manifest=manifest_with().replace("Test Booklet", "First Title"))
    with LiveProcess("serve", folder, "-o", tmp_path / "out", "--port", "0") as vigil_serve, \
            Browser(tmp_path / "chromium-profile") as browser:
        url = vigil_serve.wait_for(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)")[1]
        port = int(url.rsplit(":", 1)[1].strip("/"))
        first = wait_version(port, 0)
        browser.open(url)
        assert browser.evaluate("document.body.dataset.version") == str(first["version"])
        sources = browser.evaluate("[...document.images].map(i => i.getAttribute('src'))")
        assert len(sources) == first["pages"] == 4
        assert browser.evaluate("document.querySelector('#error')") is None
        # The first page is in view: the browser has drawn it.
        assert browser.wait_until(lambda: browser.evaluate(
            "document.images[0].complete && document.images[0].naturalWidth")) > 300
        cover = hashlib.sha256(get(port, sources[0])[2]).hexdigest()

        # A new title: the page reloads by itself to the new build, whose cover differs.
        (folder / "publication.yaml").write_text(
            manifest_with().replace("Test Booklet", "Second Title"))
        second = wait_version(port, int(str(first["version"])))
        browser.wait_until(lambda: browser.evaluate("document.body.dataset.version")
                           == str(second["version"]))
        assert "changed: publication.yaml" in browser.evaluate("document.body.innerText")
        new_sources = browser.evaluate("[...document.images].map(i => i.getAttribute('src'))")
        assert len(new_sources) == 4 and new_sources[0] != sources[0]
        assert hashlib.sha256(get(port, new_sources[0])[2]).hexdigest() != cover

        # A broken source: the error shows, as text, over the last good pages.
        (folder / "publication.yaml").write_text(manifest_with('"<b>bold</b>": 1\n'))
        error = browser.wait_until(lambda: browser.evaluate(
            "document.querySelector('#error') && document.querySelector('#error').innerText"))
        assert "The last build failed (content error)" in error
        assert "unknown key '<b>bold</b>'" in error  # shown as typed...
        assert browser.evaluate("document.querySelector('#error b')") is None  # ...not as HTML
        assert browser.evaluate("[...document.images].map(i => i.getAttribute('src'))") \
            == new_sources
        assert vigil_serve.interrupt() == 0
    assert "Stopped watching." in vigil_serve.lines
