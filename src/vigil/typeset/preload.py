"""What the fork server of the worker processes (:mod:`vigil.workers`) imports once,
before it forks them: WeasyPrint (quickly, see :mod:`vigil.typeset.engine`) and the modules
that lay out a chunk. Importing this module is its whole purpose."""

import gc

from vigil.typeset.engine import load

load()

import vigil.hyphenation  # noqa: E402
import vigil.typeset.fetcher  # noqa: E402
import vigil.typeset.layout  # noqa: E402, F401

# Kept out of the cyclic collector's way: a worker's full collections look only at what its own
# layouts make, not at every object imported here (CPython's advice before forking).
gc.freeze()
