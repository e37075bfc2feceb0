# vigil: two commands do everything on a fresh Debian 12 machine.
#   make demo   set up (system libraries, .venv, vigil) and build every sample into output/
#   make test   set up the same way (plus poppler-utils, chromium, and mupdf-tools, ghostscript and
#               qpdf, which must open every sample) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo libopenjp2-7 libffi8
TEST_PACKAGES   := poppler-utils chromium mupdf-tools ghostscript qpdf

.PHONY: demo test setup system-deps test-deps lint bench dist clean help

help:
	@echo "make demo   build the sample publications into output/"
	@echo "make test   run the test suite"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run the benchmarks in benchmarks/"
	@echo "make dist   the wheel and the sdist, in dist/"

demo: setup
	$(BIN)/vigil build
	$(BIN)/vigil build --language az content/institute-programme-2025
	$(BIN)/vigil build --profile print --impose
	@echo "PDFs are in $(CURDIR)/output/ (NAME.pdf for screens, NAME-print.pdf and"
	@echo "NAME-print-imposed.pdf for a print shop, NAME.az.pdf the Azerbaijani edition)"

test: setup test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

# Each benchmark prints its budget and exits 1 when it is not met; all of them run (the "-").
bench: setup
	-$(BIN)/python benchmarks/cli_startup.py
	-$(BIN)/python benchmarks/build_overhead.py
	-$(BIN)/python benchmarks/rebuild_speed.py
	-$(BIN)/python benchmarks/section_speed.py
	-$(BIN)/python benchmarks/cold_build.py
	-$(BIN)/python benchmarks/screen_images.py
	-$(BIN)/python benchmarks/check_speed.py
	-$(BIN)/python benchmarks/print_assembly.py
	-$(BIN)/python benchmarks/copies_speed.py
	-$(BIN)/python benchmarks/export_speed.py
	-$(BIN)/python benchmarks/typography_cost.py
	-$(BIN)/python benchmarks/print_quality.py --base-commit 3835ca7

# vigil's own byte code is written here, not left to Python: where PYTHONDONTWRITEBYTECODE is set
# (as on this kind of machine), every vigil process would compile every module it imports again.
setup: system-deps $(STAMP)
	@$(BIN)/python -m compileall -q src/vigil

# Install Debian packages only when one is missing (needs root or sudo, as on this kind of machine).
system-deps:
	@scripts/ensure-debian-packages $(SYSTEM_PACKAGES)

test-deps:
	@scripts/ensure-debian-packages $(TEST_PACKAGES)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The wheel and the sdist, in dist/ (tests/test_wheel.py installs the wheel in a fresh venv).
dist: setup
	$(BIN)/python -m build --outdir dist

# The PDFs of make demo and the samples' caches (vigil clean; its cache is in ~/.cache/vigil).
clean:
	rm -rf output dist
	test ! -x $(BIN)/vigil || $(BIN)/vigil clean $(wildcard content/*/)
