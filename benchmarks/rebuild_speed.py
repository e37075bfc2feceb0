"""How fast vigil answers when little or nothing changed, against a cold build, in one run.

- cold: `vigil build --force` of the publication in a new process (imports, fonts, layout);
- no-op: `vigil build` again in a new process, nothing changed (the build cache reuses the PDF);
- watch: the warm `vigil watch` process building again after a sentence is added to the
  foreword (from the save to the result line, so including the time to notice the change).

Budget (issue "Fast feedback"): a no-op rebuild of the sample booklet under 0.5 s.
The publication is copied to a temporary folder first: the repository is not touched.
Usage: python benchmarks/rebuild_speed.py [PUBLICATION_DIR] [--runs 3] [--section foreword.md]
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = re.compile(r"^\S+\.pdf  \d+ pages  .*  (?P<seconds>\d+\.\d) s")


def vigil(*args: str | Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vigil", *map(str, args)], check=True,
                   capture_output=True)
    return time.perf_counter() - started


def watch_rebuilds(folder: Path, output: Path, section: str, runs: int) -> list[float]:
    """Seconds from saving ``section`` to the watcher's result line, ``runs`` times."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vigil", "watch", str(folder), "-o", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stream = process.stdout

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()

    def wait_for(pattern: re.Pattern[str], seconds: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            match = pattern.search(line)
            if match:
                return match

    times = []
    try:
        wait_for(re.compile(r"^Watching "))
        source = folder / section
        for run in range(runs):
            text = source.read_text(encoding="utf-8")
            started = time.perf_counter()
            source.write_text(text + f"\nOne more sentence ({run}).\n", encoding="utf-8")
            wait_for(RESULT)
            times.append(time.perf_counter() - started)
            time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("publication", nargs="?", type=Path,
                        default=ROOT / "content" / "eternal-return-2025")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--section", default="foreword.md",
                        help="The file edited for the watch measure.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / args.publication.resolve().name
        shutil.copytree(args.publication, folder)
        output = Path(temporary) / "output"
        vigil("build", folder, "-o", output)  # warm the disk cache
        cold, noop = [], []
        for _ in range(args.runs):
            cold.append(vigil("build", "--force", folder, "-o", output))
            noop.append(vigil("build", folder, "-o", output))
        # Into the same folder: the watcher's first build is the cache's answer, and the
        # first edit finds the process warmed up all the same.
        warm = watch_rebuilds(folder, output, args.section, args.runs)
    c, n, w = statistics.median(cold), statistics.median(noop), statistics.median(warm)
    print(f"publication: {args.publication.name}, {args.runs} runs each (new processes)")
    print(f"cold build (vigil build --force):        median {c:.3f} s")
    print(f"no-op rebuild (vigil build, unchanged):  median {n:.3f} s  "
          f"(ratio {n / c:.3f} of cold)")
    print(f"vigil watch, after editing {args.section}: median {w:.3f} s  "
          f"(ratio {w / c:.3f} of cold; from the save to the result)")
    print(f"budget: no-op under 0.5 s: {'met' if n < 0.5 else 'NOT met'}")
    return 0 if n < 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
