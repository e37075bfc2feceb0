"""The refactoring guard: every sample output's SHA-256, to compare before and after a change
that should not change what vigil writes.

Builds the samples as `make demo` does (screen, the Azerbaijani edition, print with imposition,
the personalised copies), the booklet laid out whole too, and the archive export, each with a
fresh cache in a scratch folder, through the `vigil` command of this checkout. Writes
``{file: sha256}`` as JSON; with ``--against FILE`` compares with an earlier run and exits 1
when a file differs, is missing or is new.

Usage: python scripts/regression_guard.py [--write FILE] [--against FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
BOOKLET = CONTENT / "eternal-return-2025"
PROGRAMME = CONTENT / "institute-programme-2025"


def vigil(*args: str | Path) -> None:
    command = [str(Path(sys.executable).with_name("vigil")), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def digests() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as scratch:
        out, cache = Path(scratch) / "output", Path(scratch) / "cache"
        common = ("-q", "--cache-dir", cache, "-o")
        vigil("build", *common, out, BOOKLET, PROGRAMME)
        vigil("build", *common, out, "--language", "az", PROGRAMME)
        vigil("build", *common, out, "--profile", "print", "--impose", BOOKLET, PROGRAMME)
        vigil("build", *common, Path(scratch) / "whole", "--whole", BOOKLET)
        vigil("build", *common, Path(scratch) / "jobs1", "-j", "1", BOOKLET)
        vigil("export", "-q", "--cache-dir", cache, "--to", Path(scratch) / "bag",
              "--date", "2025-12-31", BOOKLET, PROGRAMME)
        found = {}
        for path in sorted(Path(scratch).rglob("*")):
            if path.is_file() and cache not in path.parents:
                name = str(path.relative_to(scratch))
                found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", type=Path, help="write the digests here (JSON)")
    parser.add_argument("--against", type=Path, help="compare with digests written before")
    args = parser.parse_args()
    found = digests()
    if args.write:
        args.write.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    if args.against is None:
        print(f"{len(found)} files")
        return 0
    before = json.loads(args.against.read_text())
    changed = sorted(name for name in found.keys() & before.keys()
                     if found[name] != before[name])
    missing = sorted(before.keys() - found.keys())
    new = sorted(found.keys() - before.keys())
    for label, names in (("differs", changed), ("missing", missing), ("new", new)):
        for name in names:
            print(f"{label}: {name}")
    same = len(found.keys() & before.keys()) - len(changed)
    print(f"{same} of {len(before)} files byte-identical")
    return 1 if changed or missing or new else 0


if __name__ == "__main__":
    sys.exit(main())
