"""The preview page: the pages of the last good PDF, the last error, and a script that reloads
the page when a build ends.

Takes a :class:`Snapshot` (defined here, shown by :mod:`vigil.serve`); gives HTML in which
every value is escaped. The script (served as ``/preview.js``, so that the page's content
security policy can forbid inline scripts) asks ``/version`` every half second and reloads
when it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

POLL_MILLISECONDS = 500


@dataclass(frozen=True)
class Snapshot:
    """What the page shows: the last good PDF's pages and the last build's error, if any."""

    name: str
    version: int = 0          # one more after every build, good or bad
    building: bool = True
    pages_id: int = 0         # the build whose pages are shown
    pages: int = 0
    pixels: tuple[int, int] = (0, 0)
    images: bool = True       # page images (pdftoppm), else the browser's PDF viewer
    output: str | None = None
    built_seconds: float | None = None
    changed: tuple[str, ...] = ()
    error: str | None = None
    error_kind: str = ""

SCRIPT = """\
"use strict";
(() => {
  const shown = document.body.dataset.version;
  async function poll() {
    try {
      const response = await fetch("/version", {cache: "no-store"});
      const state = await response.json();
      if (String(state.version) !== shown) {
        location.reload();
        return;
      }
      document.body.classList.toggle("building", state.building);
      document.body.classList.remove("offline");
    } catch (error) {
      document.body.classList.add("offline");
    }
    setTimeout(poll, POLL);
  }
  setTimeout(poll, POLL);
})();
""".replace("POLL", str(POLL_MILLISECONDS))

STYLE = """\
body { margin: 0; background: #5f6368; font: 15px/1.4 system-ui, sans-serif; color: #222; }
header { position: sticky; top: 0; z-index: 1; background: #fff; padding: .5em 1em;
         display: flex; gap: 1em; align-items: baseline; box-shadow: 0 1px 4px #0004; }
header h1 { font-size: 1.1em; margin: 0; }
header .status { margin: 0; color: #555; }
.state { margin-left: auto; font-size: .9em; }
.state::after { content: "live"; color: #188038; }
body.building .state::after { content: "building…"; color: #b06000; }
body.offline .state::after { content: "vigil serve stopped"; color: #c5221f; }
.error { background: #fce8e6; color: #a50e0e; border-left: 6px solid #c5221f;
         margin: 1em auto; max-width: 60em; padding: .75em 1em; white-space: pre-wrap; }
.error h2 { font-size: 1em; margin: 0 0 .3em; }
.error p { margin: .3em 0; }
.pages { display: flex; flex-wrap: wrap; justify-content: center; gap: 1.5em; padding: 1.5em; }
figure { margin: 0; text-align: center; color: #eee; font-size: .85em; }
figure img { display: block; background: #fff; box-shadow: 0 2px 8px #0006;
             max-width: min(100%, 90vw); height: auto; }
.empty { color: #eee; text-align: center; padding: 3em; }
iframe { display: block; width: 100%; height: calc(100vh - 3em); border: 0; }
"""


def render_page(snapshot: Snapshot) -> str:
    """The HTML of the preview for ``snapshot``."""
    name = escape(snapshot.name)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{name} — vigil preview</title>",
        '<link rel="stylesheet" href="/preview.css">',
        "</head>",
        f'<body data-version="{snapshot.version}"'
        + (' class="building">' if snapshot.building else ">"),
        f"<header><h1>{name}</h1>",
        f'<p class="status">{escape(_status(snapshot))}</p>',
        '<span class="state" aria-live="polite"></span></header>',
    ]
    if snapshot.error is not None:
        parts += [
            '<section class="error" role="alert" id="error">',
            f"<h2>The last build failed ({escape(snapshot.error_kind)})</h2>",
            f"<p>{escape(snapshot.error)}</p>",
            "<p>" + ("The pages below are from the last good build."
                     if snapshot.pages else "There is no good build yet.") + "</p>",
            "</section>",
        ]
    if snapshot.pages and snapshot.images:
        width, height = snapshot.pixels
        parts.append('<main class="pages" id="pages">')
        for page in range(1, snapshot.pages + 1):
            source = f"/pages/{snapshot.pages_id}/{page}.png"
            parts.append(
                f'<figure><img src="{source}" alt="Page {page}" width="{width}" '
                f'height="{height}" loading="lazy"><figcaption>{page}</figcaption></figure>'
            )
        parts.append("</main>")
    elif snapshot.pages:
        parts.append(f'<iframe title="{name}" src="/pdf?{snapshot.pages_id}"></iframe>')
    elif snapshot.error is None:
        parts.append('<p class="empty">Building…</p>')
    parts += ['<script src="/preview.js"></script>', "</body></html>"]
    return "\n".join(parts) + "\n"


def _status(snapshot: Snapshot) -> str:
    if not snapshot.pages:
        return "no PDF yet"
    text = f"{snapshot.pages} pages"
    if snapshot.output is not None:
        text += f" · {snapshot.output}"
    if snapshot.built_seconds is not None:
        text += f" · built in {snapshot.built_seconds:.1f} s"
    if snapshot.changed:
        text += " · changed: " + ", ".join(snapshot.changed)
    return text
