"""Feed third-party PDFs to vigil as inserts and to ``vigil check``; report how each was taken.

Takes PDF files or folders (default: every PDF under ``../shared/corpus/`` beside the checkout);
for each file, in a temporary folder, builds a one-section publication that inserts it (``vigil
build --jobs 1``) and runs ``vigil check`` on it, each in its own process with a time limit.
Prints one line per file and run:

- ``used``: the build wrote a PDF, or the check gave a report (exit 0 or 1);
- ``refused``: vigil said clearly why not (a one-paragraph ``vigil: ...`` message, exit 1 or 2);
- ``FAILED``: a traceback, a crash, an unexpected exit code, no answer within the limit, or
  (for inserts) a message that shows a Python error's name instead of the file's problem.

Exits 1 when any run FAILED, else 0.

Usage: python scripts/corpus_check.py [--seconds 30] [--jobs 2] [PDF or FOLDER ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
MANIFEST = """\
kind: booklet
title: Corpus insert
date: 2025-02-25
page: {size: A5}
sections:
  - intro.md
  - insert: inserts/insert.pdf
    title: Insert
"""


@dataclass(frozen=True)
class Outcome:
    file: Path
    run: str  # "insert" or "check"
    verdict: str  # "used", "refused" or "FAILED"
    seconds: float
    detail: str


def pdfs(paths: Iterable[Path]) -> list[Path]:
    """The PDF files among ``paths`` and in the folders among them, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf")
        else:
            found.append(path)
    return found


def _vigil(args: list[str], cwd: Path, seconds: float) -> tuple[int | None, str, float]:
    """Run ``python -m vigil ARGS``: exit code (None when it did not end in time), stderr."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT / "src")}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "vigil", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        return None, "", time.monotonic() - started
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


_RAW = re.compile(r"\b(TypeError|AssertionError|AttributeError|KeyError|IndexError|"
                  r"NameError|UnboundLocalError|ZeroDivisionError)\b")


def judge(code: int | None, output: str, used: tuple[int, ...],
          raw_names: bool = False) -> tuple[str, str]:
    """The verdict on one run. With ``raw_names``, a message that shows a Python error's name
    (``TypeError``...) instead of saying what is wrong with the file is FAILED too."""
    if code is None:
        return "FAILED", "no answer within the time limit"
    if "Traceback (most recent call last)" in output:
        return "FAILED", "traceback: " + output.strip().splitlines()[-1][:120]
    message = next((line for line in output.splitlines() if line.startswith("vigil: ")), "")
    if raw_names and _RAW.search(message):
        return "FAILED", "a Python error in the message: " + message[:140]
    if code in used and not message:
        return "used", ""
    if code in (1, 2) and message:
        return "refused", message[:160]
    if code in used:
        return "used", ""
    return "FAILED", f"exit {code}: {output.strip()[-160:]}"


def try_insert(pdf: Path, seconds: float) -> Outcome:
    """Build a publication that inserts ``pdf``."""
    with tempfile.TemporaryDirectory(prefix="vigil-corpus-") as temp:
        folder = Path(temp) / "publication"
        (folder / "inserts").mkdir(parents=True)
        (folder / "publication.yaml").write_text(MANIFEST, encoding="utf-8")
        (folder / "intro.md").write_text("# Introduction\n\nA page before the insert.\n",
                                         encoding="utf-8")
        (folder / "inserts" / "insert.pdf").write_bytes(pdf.read_bytes())
        code, output, took = _vigil(["build", "--jobs", "1", "--quiet", "-o", "out", "publication"],
                                    Path(temp), seconds)
        verdict, detail = judge(code, output, (0,), raw_names=True)
        if verdict == "used" and not (Path(temp) / "out" / "publication.pdf").is_file():
            verdict, detail = "FAILED", "exit 0 but no PDF written"
    return Outcome(pdf, "insert", verdict, took, detail)


def try_check(pdf: Path, seconds: float) -> Outcome:
    """``vigil check`` ``pdf`` (exit 0 or 1 with a report, or 2 with a message)."""
    with tempfile.TemporaryDirectory(prefix="vigil-corpus-") as temp:
        code, output, took = _vigil(["check", str(pdf.resolve())], Path(temp), seconds)
    verdict, detail = judge(code, output, (0, 1), raw_names=True)
    return Outcome(pdf, "check", verdict, took, detail)


def run(files: list[Path], seconds: float, jobs: int) -> list[Outcome]:
    tasks = [(kind, pdf) for pdf in files for kind in (try_insert, try_check)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda task: task[0](task[1], seconds), tasks))


def table(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        try:
            name = str(o.file.relative_to(CORPUS))
        except ValueError:
            name = str(o.file)
        lines.append(f"{o.verdict:8} {o.run:6} {o.seconds:5.1f} s  {name}"
                     + (f"  {o.detail}" if o.detail else ""))
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("used", "refused", "FAILED")}
    slowest = max((o.seconds for o in outcomes), default=0.0)
    lines.append(f"{len(outcomes)} runs: {counts['used']} used, {counts['refused']} refused, "
                 f"{counts['FAILED']} failed; slowest {slowest:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[CORPUS])
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="time limit of each run (default 30)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    options = parser.parse_args(argv)
    files = pdfs(options.paths)
    if not files:
        print(f"no PDF found in {', '.join(map(str, options.paths))}", file=sys.stderr)
        return 1
    outcomes = run(files, options.seconds, options.jobs)
    print(table(outcomes))
    return 1 if any(o.verdict == "FAILED" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
