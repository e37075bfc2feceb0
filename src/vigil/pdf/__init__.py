"""vigil's PDF layer: what vigil needs of pypdf, in vigil's own terms (growing).

:mod:`vigil.pdf._compat` holds every use of another library's private attributes (pypdf,
WeasyPrint, Pyphen, ctypes, CPython), each with the public API that should replace it;
:mod:`vigil.pdf.write` serializes pypdf objects to PDF bytes without patching pypdf.
"""
