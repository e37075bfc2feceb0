"""The cost of print quality: a cold print build of the sample booklet, before and after.

Builds content/eternal-return-2025 with ``vigil build --profile print --impose --force`` into a
fresh output folder each time (no build cache, no section cache: cold), alternately with this
checkout and with a base checkout (``--base DIR``, or ``--base-commit REV``: that commit of this
repository, unpacked with ``git archive`` into a temporary folder), as separate processes, and
prints the median of each and their ratio.
Budget (issue #14): the page-quality work (insert bleed, the bleed check, memorial padding,
imposition with marks and slug) must not slow a cold build by more than 10 %.

It also times, in this process, the pieces that the work added: the bleed check of the print PDF
(``vigil.check.bleed``), the imposition with marks and slug (``vigil.assemble.impose``), and
says what the build did (its notes).

Usage: python benchmarks/print_quality.py --base-commit 3835ca7 [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content" / "eternal-return-2025"


def cold_build(tree: Path, out: Path, whole: bool = False) -> tuple[float, float, str]:
    """One cold print build with imposition by the vigil in ``tree``: wall-clock seconds, CPU
    seconds (user and system, of the process and the workers it waited for) and its output.
    With ``whole``, laid out in the one process (``--whole``), so that the CPU time is all the
    build's work."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "VIGIL_CACHE_DIR": str(out / "cache"),
           "XDG_CACHE_HOME": str(out / "xdg")}
    env.pop("VIGIL_HOME", None)
    if (tree / "templates").is_dir():  # before the themes and fonts were package data
        env["VIGIL_HOME"] = str(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "vigil", "build", "--profile", "print", "--impose", "--force",
         str(SAMPLE), "-o", str(out), *(["--whole"] if whole else [])], env=env,
        capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"the build with {tree} failed:\n{done.stderr}")
    return seconds, cpu, done.stdout


def pieces(pdf: Path) -> dict[str, float]:
    """Seconds of the bleed check and of the imposition, on the built print PDF."""
    from pypdf import PdfReader

    from vigil.assemble.impose import impose
    from vigil.check.bleed import check_bleed
    from vigil.check.findings import Report

    data = pdf.read_bytes()
    times: dict[str, list[float]] = {"bleed check": [], "impose (marks, slug)": []}
    for _ in range(3):
        reader = PdfReader(pdf)
        started = time.perf_counter()
        check_bleed(reader, Report(len(reader.pages), (0.0, 0.0)))
        times["bleed check"].append(time.perf_counter() - started)
        started = time.perf_counter()
        impose(data)
        times["impose (marks, slug)"].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--base", type=Path,
                       help="a checkout of vigil before the change (with src/)")
    which.add_argument("--base-commit", help="a commit of this repository to compare with")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"base": [], "this": []}
    cpu: dict[str, list[float]] = {"base": [], "this": [], "base whole": [], "this whole": []}
    output = ""
    with tempfile.TemporaryDirectory(prefix="vigil-print-quality-") as tmp:
        base = args.base.resolve() if args.base else Path(tmp) / "base-tree"
        if args.base_commit:
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base_commit],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(base / "src")],
                           capture_output=True, check=False)
        for run in range(args.runs):
            for name, tree in (("base", base), ("this", ROOT)):
                out = Path(tmp) / f"{name}-{run}"
                seconds, used, text = cold_build(tree, out)
                times[name].append(seconds)
                cpu[name].append(used)
                if name == "this":
                    output = text
                print(f"run {run + 1} {name}: {seconds:.2f} s, CPU {used:.2f} s", flush=True)
                _, used, _ = cold_build(tree, Path(tmp) / f"{name}-whole-{run}", whole=True)
                cpu[f"{name} whole"].append(used)
                print(f"run {run + 1} {name} --whole: CPU {used:.2f} s", flush=True)
        measured = pieces(Path(tmp) / "this-0" / "eternal-return-2025-print.pdf")
    before, this = (statistics.median(times[k]) for k in ("base", "this"))
    ratio = this / before
    print(f"\ncold print build of the sample booklet (--profile print --impose --force, fresh "
          f"output folder), median of {args.runs}, interleaved:")
    print(f"  base {before:.2f} s   this {this:.2f} s   ratio {ratio:.3f} "
          f"(budget: at most 1.10: {'met' if ratio <= 1.10 else 'NOT met'})")
    cpu_before, cpu_this = (statistics.median(cpu[k]) for k in ("base", "this"))
    print(f"  CPU of the main process (the layout is in worker processes): base "
          f"{cpu_before:.2f} s   this {cpu_this:.2f} s   ratio {cpu_this / cpu_before:.3f}")
    whole_before, whole_this = (statistics.median(cpu[k]) for k in ("base whole", "this whole"))
    print(f"  CPU of the whole build laid out in one process (--whole; all its work, and "
          f"hardly disturbed by other work on the machine): base {whole_before:.2f} s   this "
          f"{whole_this:.2f} s   ratio {whole_this / whole_before:.3f} (budget: at most 1.10: "
          f"{'met' if whole_this / whole_before <= 1.10 else 'NOT met'})")
    for name, seconds in measured.items():
        print(f"  {name}: {seconds * 1000:.0f} ms")
    print("\nwhat the build said:\n" + output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
