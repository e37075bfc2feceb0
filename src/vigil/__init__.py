"""vigil: commemorative publications from YAML and Markdown to print- and screen-ready PDF.

``vigil.build(folder)`` builds one publication and returns a :class:`vigil.result.BuildResult`;
``vigil.build(folder, out, vigil.BuildOptions(profile="print"))`` with options (one frozen
:class:`vigil.options.BuildOptions`); ``vigil.read_publication(folder)`` validates without
rendering. Heavy libraries (WeasyPrint,
pypdf) are imported only when a build runs, so importing vigil stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from vigil.options import BuildOptions as BuildOptions
    from vigil.pipeline import build as build
    from vigil.read import read_publication as read_publication

__all__ = ["BuildOptions", "__version__", "build", "read_publication"]


def __getattr__(name: str) -> Any:
    if name == "BuildOptions":
        from vigil.options import BuildOptions

        return BuildOptions
    if name == "build":
        from vigil.pipeline import build

        return build
    if name == "read_publication":
        from vigil.read import read_publication

        return read_publication
    raise AttributeError(f"module 'vigil' has no attribute {name!r}")
