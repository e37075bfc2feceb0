"""Which Python package a failure needs: pypdf opens AES-encrypted files only with the package
``cryptography`` (a dependency of vigil, so missing only from an incomplete installation).

Takes an exception (and the ones it was raised from); gives the sentence that tells what to
install, or None when the failure is not a missing package.
"""

from __future__ import annotations

import re

_REQUIRED = re.compile(r"\bis required for\b")  # pypdf's words, also when quoted in a message
_PACKAGE = re.compile(r"\b([A-Za-z][\w.-]*)\s*(?:[<>=]=?[\d.]+\s*)?is required")


def missing_package(error: BaseException | None) -> str | None:
    """The advice for ``error`` or an exception it was raised from or during, when that is
    pypdf's ``DependencyError`` or an ImportError of a package."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error).__name__ == "DependencyError" or isinstance(error, ImportError) \
                or _REQUIRED.search(str(error)):
            match = _PACKAGE.search(str(error))
            name = match.group(1) if match else getattr(error, "name", None) or "cryptography"
            name = name.split(".")[0]
            return (f"reading it needs the Python package '{name}', which is not installed "
                    f"here: install it with `pip install {name}` in vigil's environment "
                    f"(installing vigil with pip, `pip install vigil`, brings it); the file "
                    f"itself is not at fault")
        error = error.__cause__ or error.__context__
    return None
