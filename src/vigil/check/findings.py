"""What a check finds, and the report that lists it.

A :class:`Finding` is one problem: its severity (``error`` fails a build and makes ``vigil
check`` exit 1; ``warning`` is listed), the 1-based page when it belongs to one, a stable code
(``font-not-embedded``, ``image-resolution``...) and a sentence. A :class:`Report` holds the
findings with what was measured (pages, page size, fonts, bookmarks) and renders as text (one
line per finding, then a summary) or as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


class FindingDict(TypedDict):
    """A finding in the JSON of a report."""

    severity: Severity
    page: int | None
    code: str
    message: str
    file: str | None
    line: int | None


class ReportDict(TypedDict):
    """A report as JSON (``vigil check --json``)."""

    file: str | None
    profile: str
    pages: int
    page_size_mm: list[float]
    bytes: int
    seconds: float
    ok: bool
    errors: int
    warnings: int
    fonts: dict[str, bool]
    bookmarks: list[str]
    findings: list[FindingDict]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    page: int | None
    code: str
    message: str
    file: Path | None = None
    line: int | None = None

    def where(self) -> str:
        """``p. 3`` for a page, ``foreword.md:12`` for a source line, else ``-``."""
        if self.page is not None:
            return f"p. {self.page}"
        if self.file is not None:
            return f"{self.file.name}:{self.line}" if self.line else self.file.name
        return "-"

    def as_dict(self) -> FindingDict:
        return {
            "severity": self.severity, "page": self.page, "code": self.code,
            "message": self.message, "file": str(self.file) if self.file else None,
            "line": self.line,
        }


@dataclass
class Report:
    pages: int
    page_size_mm: tuple[float, float]
    fonts: dict[str, bool] = field(default_factory=dict)
    bookmarks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    profile: str = "screen"
    file: str | None = None
    bytes: int = 0
    seconds: float = 0.0

    def add(self, severity: Severity, code: str, message: str, page: int | None = None,
            file: Path | None = None, line: int | None = None) -> None:
        self.findings.append(Finding(severity, page, code, message, file, line))

    @property
    def errors(self) -> list[str]:
        """The error messages (what fails a build), each with its page when it has one."""
        return [_short(f) for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[str]:
        return [_short(f) for f in self.findings if f.severity == WARNING]

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def sorted_findings(self) -> list[Finding]:
        rank = {ERROR: 0, WARNING: 1}
        return sorted(self.findings, key=lambda f: (rank[f.severity], f.page or 0))

    def summary(self) -> str:
        errors = sum(f.severity == ERROR for f in self.findings)
        warnings = len(self.findings) - errors
        width, height = self.page_size_mm
        verdict = "ready" if not errors else "not ready"
        return (
            f"{self.file or 'PDF'}: {self.pages} page{'s' if self.pages != 1 else ''}, "
            f"{width:g}×{height:g} mm, {_size(self.bytes)}, profile {self.profile}: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''} — {verdict}"
        )

    def text(self) -> str:
        """One line per finding (severity, page, code, message), then the summary."""
        lines = [
            f"{f.severity:<7}  {f.where():<7}  {f.code:<22}  {f.message}"
            for f in self.sorted_findings()
        ]
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self) -> ReportDict:
        return {
            "file": self.file, "profile": self.profile, "pages": self.pages,
            "page_size_mm": list(self.page_size_mm), "bytes": self.bytes,
            "seconds": round(self.seconds, 4), "ok": self.ok,
            "errors": sum(f.severity == ERROR for f in self.findings),
            "warnings": sum(f.severity == WARNING for f in self.findings),
            "fonts": self.fonts, "bookmarks": self.bookmarks,
            "findings": [f.as_dict() for f in self.sorted_findings()],
        }

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def _short(finding: Finding) -> str:
    if finding.page is not None:
        return f"page {finding.page}: {finding.message}"
    if finding.file is not None:
        from vigil.errors import Location

        return f"{Location(finding.file, finding.line)}: {finding.message}"
    return finding.message


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KiB"
    return f"{count / 2**20:.1f} MiB"
