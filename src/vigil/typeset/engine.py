"""WeasyPrint's import, without its slow search for its C libraries.

Takes nothing; :func:`load` imports WeasyPrint in this process (once) and gives the module.

WeasyPrint opens each C library it needs (GObject, Pango, PangoFT2, HarfBuzz, fontconfig)
by trying several names in turn, one per platform. cffi hands every name it cannot open at
once to ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` and then ``gcc`` and
``ld`` where they are installed: 22 lookups, 0.3 s of every process that lays out (a third of
WeasyPrint's import). Each of WeasyPrint's lists of names also holds the library's Linux file
name (``libpango-1.0.so.0``), which the dynamic loader opens directly, so on Linux the lookup
is switched off while WeasyPrint is imported (:func:`vigil.pdf._compat.library_search_off`):
the same library files are loaded. Should that
import fail (a system where only the lookup finds a library), WeasyPrint is imported again
with the lookup.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def load() -> ModuleType:
    """The ``weasyprint`` module, imported (quickly on Linux) if it was not yet."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        return importlib.import_module("weasyprint")
    from vigil.pdf._compat import library_search_off

    try:
        with library_search_off():
            return importlib.import_module("weasyprint")
    except OSError:  # a library found only by the search: imported again, with it
        for name in [name for name in sys.modules if name.startswith("weasyprint")]:
            del sys.modules[name]
        return importlib.import_module("weasyprint")
