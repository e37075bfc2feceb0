"""What a build gives: :class:`BuildResult`, the written PDF's path, pages, size, time and the
check report.

Takes nothing; a neutral module (no stage, nothing heavy) that the pipeline, the build cache
(:mod:`vigil.cache`), the console and ``vigil watch`` share, so that none of them imports
another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigil.check import Report

__all__ = ["BuildResult"]


@dataclass(frozen=True)
class BuildResult:
    """One publication built (or reused from the build cache: ``unchanged``)."""

    publication: str
    output: Path
    pages: int
    bytes: int
    seconds: float
    report: Report
    notes: tuple[str, ...] = ()
    imposed: Path | None = None
    unchanged: bool = False  # reused from the build cache: the inputs had not changed
