"""Every third-party PDF of ../shared/corpus, as an insert and through ``vigil check``
(scripts/corpus_check.py): used or refused with a clear message, never a traceback or a hang,
each within 30 s. The whole corpus (76 files, 152 runs) takes about a minute."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT, run_python

CORPUS = ROOT.parent / "shared" / "corpus"
SCRIPT = ROOT / "scripts" / "corpus_check.py"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no third-party corpus in ../shared/corpus")
def test_every_corpus_pdf_is_used_or_refused_cleanly() -> None:
    done = run_python(SCRIPT, "--seconds", "30", CORPUS)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    assert done.returncode == 0, "\n".join(
        line for line in lines if line.startswith("FAILED")) or done.stderr
    summary = lines[-1]
    assert " 0 failed" in summary, summary
    rows = [line.split() for line in lines[:-1]]
    files = sorted(CORPUS.rglob("*.pdf"))
    assert len(rows) == 2 * len(files)  # each file as an insert and through vigil check
    verdicts = {(row[1], row[4]): row[0] for row in rows}
    # The files that are fine must be used, not refused.
    for pdf in sorted((CORPUS / "ordinary").glob("*.pdf")):
        if "password" in pdf.name:
            continue
        name = str(pdf.relative_to(CORPUS))
        assert verdicts[("insert", name)] == "used", name
        assert verdicts[("check", name)] == "used", name


def test_the_runner_fails_on_a_traceback() -> None:
    """The runner can fail: a traceback, a hang or a crash is FAILED, a clear message is
    refused, a PDF written is used."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import corpus_check
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert corpus_check.judge(1, "Traceback (most recent call last):\n  x\nTypeError: y", (0,))[
        0] == "FAILED"
    assert corpus_check.judge(None, "", (0,))[0] == "FAILED"
    assert corpus_check.judge(1, "vigil: content error: a clear message.", (0,))[0] == "refused"
    assert corpus_check.judge(0, "output/p.pdf 5 pages", (0,))[0] == "used"
    assert corpus_check.judge(-9, "", (0,))[0] == "FAILED"
    raw = "vigil: content error: the insert 'a.pdf' could not be merged (TypeError: x)."
    assert corpus_check.judge(1, raw, (0,), raw_names=True)[0] == "FAILED"
