"""vigil installs like a real package: ``python -m build`` makes a wheel and an sdist; the
wheel, installed into a fresh virtual environment, runs from another folder with no checkout
on the path and no vigil variables: ``vigil new``, ``build``, ``check``, ``export``, ``verify``
and ``clean`` work on what it finds with importlib.resources (themes, fonts, locales,
hyphenation, starters). Also the budgets: ``vigil --help`` answers in 0.15 s from the
installed wheel, and the wheel weighs at most 25 MB.

The wheel is built once per session; its dependencies come from PyPI (or pip's cache).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT

pytestmark = pytest.mark.slow

HELP_BUDGET = 0.15  # seconds, the median of several runs
WHEEL_BUDGET = 25 * 1000 * 1000  # bytes
# What the package must carry, relative to vigil/ inside the wheel.
PACKAGE_DATA = (
    "themes/memorial/style.css", "themes/memorial/blocks/names.html", "fonts/OFL.txt",
    "fonts/NotoSerif-Regular.ttf", "fonts/NotoNaskhArabic-Regular.ttf", "locales/az.yaml",
    "hyphenation/hyph_az_AZ.dic", "scaffold/booklet/publication.yaml",
    "scaffold/programme/publication.yaml", "py.typed",
)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    cwd: Path  # a folder far from the checkout
    env: dict[str, str]

    def vigil(self, *args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "vigil"), *map(str, args)],
                              cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", code], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=60,
                              check=False)


def _without_vigil(environ: dict[str, str]) -> dict[str, str]:
    """The environment with nothing that would find the checkout or steer vigil."""
    return {name: value for name, value in environ.items()
            if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
            and not name.startswith("VIGIL_")}


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    dist = tmp_path_factory.mktemp("dist")
    made = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                          capture_output=True, text=True, timeout=600, check=False,
                          env=_without_vigil(dict(os.environ)))
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    warnings = [line for line in (made.stdout + made.stderr).splitlines()
                if "deprecat" in line.lower() or "SetuptoolsWarning" in line]
    assert not warnings, "\n".join(warnings)
    (wheel,) = dist.glob("vigil-*.whl")
    (sdist,) = dist.glob("vigil-*.tar.gz")
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          str(wheel)], capture_output=True, text=True, timeout=900,
                         check=False, env=_without_vigil(dict(os.environ)))
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    home = tmp_path_factory.mktemp("home")
    cwd = tmp_path_factory.mktemp("elsewhere")
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8",
           "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}
    env = {name: value for name, value in env.items() if value}
    return Installed(wheel, sdist, venv, cwd, env)


def test_the_wheel_carries_vigils_data_and_licences(installed: Installed) -> None:
    assert installed.wheel.stat().st_size <= WHEEL_BUDGET, installed.wheel.stat().st_size
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert {f"vigil/{name}" for name in PACKAGE_DATA} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    metadata = zipfile.ZipFile(installed.wheel).read(
        next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata and "OFL.txt" in metadata
    from vigil import __version__

    assert f"\nVersion: {__version__}\n" in metadata
    with tarfile.open(installed.sdist) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"src/vigil/{name}" for name in PACKAGE_DATA} <= members
    assert "LICENSE" in members


def test_the_installed_vigil_is_not_the_checkout(installed: Installed) -> None:
    done = installed.python("import vigil, vigil.resources as r; "
                            "print(vigil.__file__); print(r.themes_dir())")
    assert done.returncode == 0, done.stderr
    module, themes = done.stdout.split("\n")[:2]
    assert Path(module).is_relative_to(installed.venv)
    assert Path(themes).is_relative_to(installed.venv) and Path(themes, "memorial").is_dir()
    assert not Path(module).is_relative_to(ROOT)


def test_new_build_check_export_verify_clean(installed: Installed) -> None:
    done = installed.vigil("new", "booklet", "x")
    assert done.returncode == 0, done.stderr
    done = installed.vigil("build", "x")
    assert done.returncode == 0, done.stderr
    pdf = installed.cwd / "output" / "x.pdf"
    assert done.stdout.startswith("output/x.pdf")
    # Nothing but the PDF in the output folder, nothing of vigil's in the publication.
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["x.pdf"]
    assert not [p for p in (installed.cwd / "x").rglob("*") if "cache" in p.name]
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 8
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "A Booklet of Remembrance" in text and "The Organising Committee" in text
    fonts = {str(font.get("/BaseFont")) for page in reader.pages
             for font in (page.get("/Resources", {}).get("/Font") or {}).values()}
    assert any(name.endswith("+Vigil-Serif") for name in fonts), fonts  # the bundled fonts
    cache = Path(installed.env["XDG_CACHE_HOME"]) / "vigil"
    assert (cache / "publications").is_dir()

    again = installed.vigil("build", "x")
    assert again.returncode == 0 and "(unchanged)" in again.stdout, again.stderr

    done = installed.vigil("check", "output/x.pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout

    done = installed.vigil("export", "--to", "arch", "x", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    (archived,) = (installed.cwd / "arch").rglob("x-archive.pdf")
    assert len(PdfReader(archived).pages) == len(reader.pages)
    embedded = PdfReader(archived).attachments
    assert "publication.yaml" in embedded
    assert any(name.startswith("theme/memorial/") for name in embedded), sorted(embedded)
    done = installed.vigil("verify", "arch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified" in done.stdout

    done = installed.vigil("clean", "x")
    assert done.returncode == 0, done.stderr
    assert "removed" in done.stdout and not list((cache / "publications").iterdir())
    assert pdf.is_file()  # clean never touches a PDF


def test_build_with_no_argument_builds_the_content_folder_here(installed: Installed) -> None:
    work = installed.cwd / "work"
    work.mkdir()
    done = subprocess.run([str(installed.venv / "bin" / "vigil"), "build"], cwd=work,
                          env=installed.env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode != 0
    assert "no folder 'content'" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([str(installed.venv / "bin" / "vigil"), "new", "programme",
                           "content/prog"], cwd=work, env=installed.env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(installed.venv / "bin" / "vigil"), "build", "--cache-dir",
                           "../c"], cwd=work, env=installed.env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert len(PdfReader(work / "output" / "prog.pdf").pages) == 4
    assert (installed.cwd / "c" / "publications").is_dir()  # the folder given, not the default


def test_help_is_fast_from_the_installed_wheel(installed: Installed) -> None:
    vigil = str(installed.venv / "bin" / "vigil")
    seconds = []
    for _ in range(7):
        started = time.perf_counter()
        done = subprocess.run([vigil, "--help"], cwd=installed.cwd, env=installed.env,
                              capture_output=True, text=True, timeout=60, check=False)
        seconds.append(time.perf_counter() - started)
        assert done.returncode == 0 and "vigil new booklet" in done.stdout
    assert statistics.median(seconds[1:]) <= HELP_BUDGET, seconds
