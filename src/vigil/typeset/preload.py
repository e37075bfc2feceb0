"""What the fork server of the worker processes (:mod:`vigil.workers`) imports once,
before it forks them: WeasyPrint (quickly, see :mod:`vigil.typeset.engine`) and the modules
that lay out a chunk. Importing this module is its whole purpose."""

from vigil.typeset.engine import load

load()

import vigil.hyphenation  # noqa: E402
import vigil.typeset.fetcher  # noqa: E402
import vigil.typeset.layout  # noqa: E402, F401
