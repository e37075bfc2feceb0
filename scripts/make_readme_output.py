"""Write the README's example output (the first lines ``make demo`` prints) from a real run.

Usage:  .venv/bin/python scripts/make_readme_output.py

Runs the builds of ``make demo`` in the checkout, into output/, with an empty cache (as the
first ``make demo`` on a machine: every section laid out, every picture reduced), and puts what
they print into README.md's block after "## Two commands", up to the print booklet's notes,
then "...". tests/test_docs.py checks that block's file names, page counts and notes against
the samples; sizes and times are this machine's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COMMANDS = (  # as in the Makefile's demo target
    ["build", "--force"],
    ["build", "--force", "--language", "az", "content/institute-programme-2025"],
    ["build", "--force", "--profile", "print", "--impose"],
)
LAST = "output/eternal-return-2025-print-imposed.pdf"  # the block stops before this line


def demo_lines() -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vigil-readme-") as cache:
        env = {**os.environ, "VIGIL_CACHE_DIR": cache}
        for command in COMMANDS:
            done = subprocess.run([sys.executable, "-m", "vigil", *command], cwd=ROOT,
                                  env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"vigil {' '.join(command)} failed:\n{done.stderr}")
            lines += done.stdout.splitlines()
    end = next((n for n, line in enumerate(lines) if line.startswith(LAST)), len(lines))
    return [*lines[:end], "..."]


def main() -> int:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"^```\n(output/.*?)^```", text, re.S | re.M)
    if block is None:
        raise SystemExit("README.md has no block of example output (```, then output/...)")
    new = "\n".join(demo_lines()) + "\n"
    README.write_text(text[:block.start(1)] + new + text[block.end(1):], encoding="utf-8")
    print(new, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
