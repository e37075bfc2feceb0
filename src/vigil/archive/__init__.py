"""The archive: PDF/A-3 files that carry their own sources, collected in a BagIt bag.

- :mod:`vigil.archive.embed` — the sources read back out of an archive PDF (its embedded files
  and the XMP facts a rebuild needs). What an ``archive`` build embeds while it writes its PDF
  (the publication's sources and its theme, as associated files with relationship ``Source``,
  and the XMP metadata: title, language, date, organiser, description, keywords, vigil's
  version, the digest of the sources) is :mod:`vigil.typeset.embed`'s: the pipeline, which the
  archive calls, does not import the archive.
- :mod:`vigil.archive.export` — ``vigil export``: every publication built as PDF/A-3u in
  parallel processes, incrementally (only those whose sources changed), into a bag written
  beside the old one and swapped in at the end, with ``catalogue.json`` and ``catalogue.csv``.
- :mod:`vigil.archive.verify` — ``vigil verify`` (the bag is complete and its checksums hold,
  every PDF passes the archive preflight and rebuilds from its embedded sources to the same
  bytes) and ``vigil rebuild`` (extract the sources of one PDF and build them).

Heavy libraries (WeasyPrint, pypdf, bagit) are imported inside the functions.
"""

from __future__ import annotations
