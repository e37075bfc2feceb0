"""What a build is asked for: one frozen :class:`BuildOptions`, shared by the API and the CLI.

Takes the options of a build (``vigil build``, ``watch``, ``serve``, ``export``, or
``vigil.build()``); gives a validated, immutable value that every part of vigil passes on as it
is, and that says which of its fields change the bytes written (:meth:`BuildOptions.cache_key`,
the options part of the build cache's key, :mod:`vigil.cache`).

What is *not* an option of what is built, and so not a field: the publication folder, the
output folder (both name the build, and are the build cache's key beside the options), and the
``progress`` callback (told how far the layout is; a function, not a value).

A shared utility: it imports nothing heavy (the lists of profiles and languages when it
validates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar

from vigil.errors import VigilError

__all__ = ["BuildOptions"]


@dataclass(frozen=True)
class BuildOptions:
    """The options of one build (see :func:`vigil.pipeline.build`).

    ``profile``: ``screen``, ``print`` or ``archive`` (:mod:`vigil.profiles`). ``impose``: with
    ``print``, also the sheets for saddle stitching. ``strict``: what would be a warning (a
    picture without alternative text, a dropped link...) fails the build. ``language``: the
    translated edition in that language (a code vigil has words for), None for the original.
    ``whole``: lay the document out in one piece instead of section by section.
    ``force``: build even if the build cache has the result. ``jobs``: processes laying out
    sections (None: one per core). ``cache_dir``: vigil's cache folder (None: see
    :mod:`vigil.usercache`). ``cached``: use the build cache and the section cache at all.
    ``timeout``: seconds after which the build is stopped (None or 0: no limit).
    """

    profile: str = "screen"
    impose: bool = False
    strict: bool = False
    language: str | None = None
    whole: bool = False
    force: bool = False
    jobs: int | None = None
    cache_dir: Path | None = None
    cached: bool = True
    timeout: float | None = None

    #: The fields that change what is built, so the build cache's key: a new field is one of
    #: them unless it is listed in SPEED_FIELDS (``jobs`` changes how fast, never what: the
    #: same bytes come out; ``whole`` is kept in the key, as it always was, although both
    #: layouts give the same pages).
    SPEED_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"force", "jobs", "cache_dir", "cached", "timeout"})

    def __post_init__(self) -> None:
        from vigil.profiles import PROFILES

        for name in ("impose", "strict", "whole", "force", "cached"):
            if not isinstance(getattr(self, name), bool):
                raise VigilError(f"the build option {name} must be True or False, "
                                 f"not {getattr(self, name)!r}")
        if self.profile not in PROFILES:
            raise VigilError(f"unknown profile '{self.profile}' "
                             f"(available: {', '.join(PROFILES)})")
        if self.impose and not PROFILES[self.profile].for_print:
            raise VigilError("imposition needs the print profile", hint="Add --profile print")
        if self.language is not None:
            self._check_language(self.language)
        if self.jobs is not None and (isinstance(self.jobs, bool)
                                      or not isinstance(self.jobs, int) or self.jobs < 1):
            raise VigilError(f"the number of jobs must be a whole number of at least 1, "
                             f"not {self.jobs!r}", hint="Give --jobs 1 or more")
        if self.timeout is not None:
            if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                    or not math.isfinite(self.timeout) or self.timeout < 0:
                raise VigilError(f"the timeout must be a finite number of seconds, 0 or more, "
                                 f"not {self.timeout!r}",
                                 hint="Give --timeout SECONDS (0 for no limit)")
            object.__setattr__(self, "timeout", float(self.timeout))
        if self.cache_dir is not None:
            if not isinstance(self.cache_dir, (str, Path)):
                raise VigilError(f"the cache folder must be a path, not {self.cache_dir!r}")
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    @staticmethod
    def _check_language(language: str) -> None:
        from vigil.i18n import available_languages

        accepted = available_languages()
        if not isinstance(language, str) or language.split("-")[0].lower() not in accepted:
            raise VigilError(f"unsupported language '{language}' "
                             f"(accepted: {', '.join(accepted)})",
                             hint="Give --language one of the accepted codes")

    @classmethod
    def output_fields(cls) -> tuple[str, ...]:
        """The names of the fields that change the bytes written, in order."""
        return tuple(f.name for f in fields(cls) if f.name not in cls.SPEED_FIELDS)

    def cache_key(self) -> dict[str, str]:
        """The options part of the build cache's key: each field of :meth:`output_fields` and
        its ``repr``, sorted by name."""
        return {name: repr(getattr(self, name)) for name in sorted(self.output_fields())}

    @property
    def time_limit(self) -> float | None:
        """The timeout in seconds, None when there is none (0 is none too)."""
        return self.timeout or None
