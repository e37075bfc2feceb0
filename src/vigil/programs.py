"""Whether a file carried inside a PDF is a program: vigil passes no programs on, neither from
an insert into a publication nor in a file it says is ready for an archive.

Takes a file's name and its first bytes; gives True for a name of a program or script
(``.exe``, ``.sh``, ``.js``...) or the signature of an executable (Windows ``MZ``, Linux ELF,
Mach-O, a ``#!`` script), whatever the name says.
"""

from __future__ import annotations

import re

_NAMES = re.compile(
    r"\.(exe|com|bat|cmd|scr|msi|dll|ps1|vbs|js|jse|wsf|sh|app|jar|apk|elf|bin|run)$", re.I)
_SIGNATURES = (b"MZ", b"\x7fELF", b"#!", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe",
               b"\xca\xfe\xba\xbe")


def looks_like_program(name: str, head: bytes) -> bool:
    """True when ``name`` or the first bytes ``head`` say the file is a program."""
    return bool(_NAMES.search(name.strip())) or head.startswith(_SIGNATURES)
