"""What the fork server of the worker processes (:mod:`vigil.workers`) imports once,
before it forks them: WeasyPrint (quickly, see :mod:`vigil.typeset.engine`) and the modules
that lay out a chunk; then it rehearses a layout (:func:`vigil.typeset.layout.rehearse`) and
freezes what it holds. Importing this module is its whole purpose."""

import gc
import os
import signal
import sys
from types import FrameType

_SERVER = os.getpid()


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (vigil.workers stops a fork server that is still starting): the fork server
    exits as it does when its build ends, through its exit handlers, which remove the font
    files of its fonts configuration; a worker forked from it ends as SIGTERM ends it."""
    if os.getpid() == _SERVER:
        sys.exit(0)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


signal.signal(signal.SIGTERM, _terminated)

from vigil.typeset.engine import load  # noqa: E402

load()

from vigil.typeset.layout import rehearse  # noqa: E402

# What every worker needs is loaded here once (fonts, hyphenation, WeasyPrint's caches), then
# kept out of the cyclic collector's way: a worker's full collections look only at what its
# own layouts make, not at every object imported here.
rehearse()
gc.freeze()
