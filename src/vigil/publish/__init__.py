"""Stage 6, publish: results reach ``output/`` atomically.

Takes bytes and a target path; gives the written path. The bytes go to a temporary file in the
same folder, are flushed to disk, and replace the target in one rename: a failed build never
leaves a half-written PDF and never overwrites a good one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from vigil.errors import Location, OutputError


def write_atomic(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` so that readers see the old file or the new, never a part."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise OutputError(
            f"cannot write to the folder ({exc.strerror})", location=Location(target.parent)
        ) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise OutputError(
                f"cannot write the file ({exc.strerror})", location=Location(target)
            ) from None
        raise
    return target
