"""Section-level typesetting: lay out each chunk of a document on its own, in parallel, cached.

Takes a composed document, the profile, a cache folder and how many processes may lay out at
once; gives a :class:`~vigil.typeset.Layout` of the chunks that, joined by the assemble stage,
is the same document as a whole layout (same pages, text, bookmarks, links and tags), or
raises :class:`~vigil.typeset.WholeLayoutNeeded` with the reason it cannot (then the caller
lays the document out whole).

1. The document is cut into chunks (:mod:`vigil.typeset.chunks`): the cover, the contents,
   each section that starts on a new page, each insert, the padding, the back cover.
2. Each chunk is laid out from a right-hand page without page numbers (so its layout does not
   depend on where it lands), or taken from the cache: a chunk's PDF is kept under a hash of
   everything that affects it (its HTML, the stylesheet, fonts and theme files, the versions of
   vigil, WeasyPrint and the text libraries) and reused while the files it read are unchanged.
   Chunks not in the cache are laid out in worker processes, one per core.
3. From the chunks' page counts come the page numbers: the contents (whose links show their
   targets' page numbers) is laid out again if its numbers were not the right ones.
4. A *numbers document* with one empty page for each page of the result, of the same named
   page, draws the page numbers (and tells where the text area of each page lies); a chunk page
   that lands on the other side is moved by the difference of the margins.
5. Which chunk page each page of the result is, and how far it moves sideways (a chunk page
   that lands on the other side), goes with the chunks and the numbers document into the
   :class:`~vigil.typeset.Layout`; the assemble stage joins them (:mod:`vigil.assemble.join`).
   While the workers lay out, this process reads the chunks' PDFs (:func:`vigil.pdf.read.prepare`)
   so that the join only copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

from vigil import __version__, store, workers
from vigil.compose import Composed
from vigil.errors import VigilError
from vigil.profiles import Profile
from vigil.resources import fonts_dir
from vigil.typeset import Laid, Layout, PageBox, Placed, WholeLayoutNeeded, WriteOptions
from vigil.typeset.chunks import Plan, plan
from vigil.typeset.layout import WORKERS, Job, lay_out, lay_out_safely

FORMAT = 3
MAX_PASSES = 4
NUMBERS_PART = 16  # pages of the numbers document laid out at once
# Characters of HTML to lay out below which starting worker processes costs more than it saves
# (a four-page programme is laid out in this process).
PARALLEL_HTML = 30_000
# A document smaller than this (characters of HTML in its body) is laid out whole: one layout
# is quicker than several and a join (a four-page programme).
SMALL_HTML = 10_000
SMALL = "the document is small: laid out at once"


# Told how far the layout is: parts laid out, and parts to lay out (which may grow: the
# contents again, the page numbers).
Progress = Callable[[int, int], None]


def typeset_sections(composed: Composed, profile: Profile, cache_dir: Path | None,
                     jobs: int | None = None, name: str = "document",
                     progress: Progress | None = None) -> Layout:
    """Lay out ``composed`` chunk by chunk (see the module's description); raises
    :class:`~vigil.typeset.WholeLayoutNeeded` saying why it must be laid out whole instead.
    ``progress`` is told after each part laid out."""
    cut = plan(composed)
    if isinstance(cut, str):
        raise WholeLayoutNeeded(cut)
    if sum(len(chunk.body) for chunk in cut.chunks) < SMALL_HTML:
        raise WholeLayoutNeeded(SMALL, expected=True)
    runner = _Runner(composed, profile, cut, cache_dir, jobs or workers.default_jobs(), name)
    runner.progress = progress
    return runner.run()


def typeset_anywhere(composed: Composed, profile: Profile,
                     write_options: WriteOptions | None = None) -> Layout:
    """:func:`vigil.typeset.typeset` of the whole document, by a worker process when they are
    there and WeasyPrint is not imported here (it would take this process a second); here
    with ``write_options`` (the archive's, which need this process's state)."""
    from concurrent.futures.process import BrokenProcessPool

    from vigil.typeset import typeset

    pool = workers.running()
    if pool is not None and not workers.weasyprint_here() and write_options is None:
        try:
            return pool.submit(typeset, composed, profile).result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): here, then
            workers.drop()
    return typeset(composed, profile, write_options)


class _Runner:
    def __init__(self, composed: Composed, profile: Profile, cut: Plan, cache_dir: Path | None,
                 jobs: int, name: str) -> None:
        self.composed = composed
        self.profile = profile
        self.plan = cut
        self.jobs = jobs
        self.store = _store(cache_dir, name, profile.name) if cache_dir is not None else None
        self.environment = _environment(composed)
        self.laid: dict[str, Laid] = {}
        self.used: list[str] = []
        self.count_laid = 0  # chunks laid out (not from the cache), the numbers document too
        self.count_kept = 0  # of which done
        self.progress: Progress | None = None
        self.guessing = False  # the page numbers of the contents are not known: guessed

    # -- jobs ---------------------------------------------------------------------------------

    def _job(self, html: str, css: str, tagged: bool, variant: str | None) -> Job:
        normalised = html
        for index, root in enumerate(self.composed.roots):
            normalised = normalised.replace(root.resolve().as_uri(), f"root{index}:")
        key = hashlib.sha256("\0".join(
            (self.environment, css, normalised, str(tagged), variant or "")).encode()).hexdigest()
        return Job(key=key, html=html, css=css, base_url=self.composed.base_url,
                   mounts=self.composed.mounts, substitutes=self.composed.substitutes,
                   pdf_variant=variant, tagged=tagged)

    def _chunk_jobs(self, numbers: dict[str, int]) -> list[Job]:
        jobs, footnotes = [], 0
        for index, chunk in enumerate(self.plan.chunks):
            html = self.plan.html(index, footnotes, numbers)
            footnotes += chunk.footnotes
            jobs.append(self._job(html, self.plan.css, self.profile.tagged,
                                  self.composed.pdf_variant))
        return jobs

    def _lay_out(self, jobs: Iterable[Job], chunks: list[Job] | None = None) -> list[Laid]:
        """The chunks of ``jobs``, from the cache or laid out (in the worker processes when
        there are several to lay out and more than one process may run). While the workers
        lay out, this process reads the PDFs of the chunks it already has (for the join)."""
        jobs = list(jobs)
        missing: list[Job] = []
        for job in jobs:
            if not self._known(job) and job.key not in {m.key for m in missing}:
                missing.append(job)
        self.count_laid += len(missing)
        worth = sum(len(job.html) for job in missing) >= PARALLEL_HTML
        # Worker processes lay out when there is enough to share, or when they are there
        # already (warm: a build before in this process, or started at its beginning), or when
        # this process has not imported WeasyPrint (a worker imports it while this process
        # reads the chunks it has).
        use_pool = self.jobs > 1 and missing and (
            (len(missing) > 1 and worth) or workers.running() is not None
            or not workers.weasyprint_here())
        if use_pool:
            numbered = {job.key for job, chunk in zip(chunks or (), self.plan.chunks,
                                                      strict=False) if chunk.numbered_links}
            self._schedule(_order(missing, numbered), jobs, chunks)
        else:
            for job in missing:
                self._keep(job, lay_out(job))
        self.used += [job.key for job in jobs]
        return [self.laid[job.key] for job in jobs]

    def _schedule(self, order: list[Job], jobs: list[Job], chunks: list[Job] | None) -> None:
        """Lay out ``order`` in the worker processes and keep the results; the first error is
        raised. If a worker died (killed, out of memory), the pool is dropped and what is left
        is laid out here.

        One job more than there are processes is given to them at a time (a process that is
        done takes the next at once); the others wait here, so that what becomes possible
        meanwhile can go ahead of them. With ``chunks`` (the document's chunks, in order), that
        is the parts of the numbers document whose pages are known (every chunk before them
        laid out) and the contents of the next pass, with the page numbers found or, in a
        build with none from before, guessed (see _guessed) while the last chunks are laid
        out. Meanwhile this process reads the PDFs of the chunks laid out (for the join),
        first those of ``jobs`` it had already."""
        from concurrent.futures import FIRST_COMPLETED, Future, wait
        from concurrent.futures.process import BrokenProcessPool

        from vigil.pdf.read import prepare

        executor = workers.pool(self.jobs, WORKERS)
        waiting = list(order)
        running: dict[Future[Laid | VigilError], Job] = {}
        started = {job.key for job in order}
        keys = {job.key for job in chunks or ()}
        guessed = False

        def give() -> None:
            while waiting and len(running) <= self.jobs:
                job = waiting.pop(0)
                running[executor.submit(lay_out_safely, job)] = job

        try:
            give()
            read = [self.laid[job.key] for job in jobs if job.key in self.laid]
            while running:
                for laid in read:
                    prepare(laid.pdf)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                read = []
                for future in done:
                    job = running[future]
                    result = future.result()  # a worker died: the job stays to be laid out
                    del running[future]
                    if isinstance(result, VigilError):
                        for other in running:
                            other.cancel()
                        raise result
                    self._keep(job, result)
                    read.append(result)
                if chunks:
                    left = sum(job.key in keys for job in waiting)  # chunks not given yet
                    guess: list[Job] = []
                    if self.guessing and not guessed and left <= 1 and \
                            any(job.key not in self.laid for job in chunks):
                        guessed = True  # beside the last chunks, not after them
                        guess = self._new(self._guessed(chunks), started)
                    parts = self._new(self._numbers_known(chunks), started)
                    # The parts of the numbers document go ahead while many chunks are left
                    # (the processes are kept busy to the end), else after them: the last
                    # part waits for the last chunk, which is not to be held up.
                    if left >= 2 * self.jobs:
                        waiting[:0] = [*guess, *parts]
                    else:
                        waiting[:0] = guess
                        waiting += parts
                give()
            for laid in read:
                prepare(laid.pdf)
        except BrokenProcessPool:
            workers.drop()
            for job in [*running.values(), *waiting]:
                if job.key not in self.laid:
                    self._keep(job, lay_out(job))

    def _new(self, jobs: list[Job], started: set[str]) -> list[Job]:
        """Those of ``jobs`` not started yet and not known (the cache has them), marked as
        started."""
        new = [job for job in jobs if job.key not in started and not self._known(job)]
        started |= {job.key for job in new}
        self.count_laid += len(new)
        return new

    def _numbers_known(self, chunks: list[Job]) -> list[Job]:
        """The parts of the numbers document whose pages follow only chunks laid out; once
        every chunk is laid out, also the chunks of the next pass (the contents with the
        page numbers found, first) and the last part, started before this pass ends."""
        names: list[str] = []
        for job in chunks:
            if job.key not in self.laid:
                break
            names += [box.name for box in self.laid[job.key].pages]
        else:
            laid = [self.laid[job.key] for job in chunks]
            return self._chunk_jobs(self._page_numbers(laid)) + self._numbers_jobs(names)
        complete = len(names) - len(names) % NUMBERS_PART
        return self._numbers_jobs(names[:complete]) if complete else []

    def _guessed(self, chunks: list[Job]) -> list[Job]:
        """The chunks of the next pass (the contents) with the page numbers expected once the
        chunks still being laid out are: each as many pages for its cost (see _cost) as the
        chunks laid out that cost half to twice as much have together, its anchors on its
        first page. Started early, beside those chunks; if the guess was wrong, the next pass
        lays the contents out again."""
        laid = [(len(self.laid[job.key].pages), _cost(job)) for job in chunks
                if job.key in self.laid]
        if not laid:
            return []

        def ratio(cost: int) -> float:
            """Pages per cost of the chunks laid out that cost about as much (half to twice),
            else of all: a cover or a contents page is one page whatever its markup costs."""
            alike = [(p, c) for p, c in laid if cost <= 2 * c and c <= 2 * cost] or laid
            return sum(p for p, _ in alike) / max(1, sum(c for _, c in alike))

        numbers: dict[str, int] = {}
        page = 0
        for job, chunk in zip(chunks, self.plan.chunks, strict=True):
            done = self.laid.get(job.key)
            anchors = done.anchors if done else dict.fromkeys(chunk.ids, 0)
            numbers |= {name: page + first + 1 for name, first in anchors.items()
                        if name in self.plan.numbered}
            page += len(done.pages) if done else max(1, round(_cost(job) * ratio(_cost(job))))
        guess = {name: numbers.get(name, 0) for name in self.plan.numbered}
        return [job for job in self._chunk_jobs(guess) if job.key not in self.laid]

    def _page_numbers(self, laid: list[Laid]) -> dict[str, int]:
        """The page number of each target of the contents' links, in the chunks ``laid``."""
        starts = _starts(laid)
        found = {name: starts[part] + page + 1 for part, chunk in enumerate(laid)
                 for name, page in chunk.anchors.items() if name in self.plan.numbered}
        return {name: found.get(name, 0) for name in self.plan.numbered}

    def _known(self, job: Job) -> bool:
        """Whether ``job`` is laid out already, in this build or in the cache (then taken)."""
        if job.key in self.laid:
            return True
        cached = _laid(self.store.get(job.key)) if self.store else None
        if cached is not None:
            self.laid[job.key] = cached
        return cached is not None

    def _keep(self, job: Job, laid: Laid) -> None:
        self.count_kept += 1
        if self.progress is not None:
            self.progress(self.count_kept, max(self.count_kept, self.count_laid))
        self.laid[job.key] = laid
        if self.store:
            _put(self.store, job.key, laid)

    # -- the whole ----------------------------------------------------------------------------

    def run(self) -> Layout:
        targets = self.plan.numbered
        numbers = self.store.numbers() if self.store else {}
        numbers = {name: page for name, page in numbers.items() if name in targets}
        # Each pass lays out the chunks whose HTML is not known yet (the first: all of them;
        # then the contents, with the page numbers the pass before found) and the numbers
        # document for the pages the pass before found (beside the contents, in parallel).
        names: list[str] | None = None
        numbers_laid: list[Laid] | None = None
        # With no page numbers from a build before, they are guessed (see _guessed).
        self.guessing = bool(targets) and not numbers
        for _ in range(MAX_PASSES):
            self.used = []  # what the cache keeps: the chunks of the last pass
            jobs = self._chunk_jobs(numbers)
            extra = self._numbers_jobs(names) if names is not None else []
            every = self._lay_out(jobs + extra, jobs)
            laid = every[: len(jobs)]
            starts = _starts(laid)
            wanted = self._page_numbers(laid)
            found_names = [box.name for chunk in laid for box in chunk.pages]
            if wanted == {name: numbers.get(name, 0) for name in targets} and \
                    names == found_names:
                numbers_laid = every[len(jobs):]
                break
            numbers, names = wanted, found_names
        if numbers_laid is None:
            raise WholeLayoutNeeded("the page numbers of the contents did not settle")
        boxes = [box for chunk in laid for box in chunk.pages]
        final_boxes = [box for part in numbers_laid for box in part.pages]
        if len(final_boxes) != len(boxes):
            raise WholeLayoutNeeded("the numbers document does not have the document's pages")
        placed: list[Placed] = []
        for part, chunk in enumerate(laid):
            for page, box in enumerate(chunk.pages):
                final = final_boxes[len(placed)]
                if abs(final.width - box.width) > 0.01:
                    raise WholeLayoutNeeded("left and right pages of the theme have text areas "
                                            "of different widths")
                placed.append(Placed(part=part, page=page,
                                     shift=round(final.left - box.left, 4)))
        anchors = {name: starts[part] + page for part, chunk in enumerate(laid)
                   for name, page in chunk.anchors.items()}
        if self.store:
            self.store.finish(self.used, numbers)
        return Layout(parts=tuple(laid), placed=tuple(placed), anchors=anchors,
                      identifier=self.composed.fingerprint[:32].encode(),
                      numbers=tuple(part.pdf for part in numbers_laid),
                      laid_out=self.count_laid, chunks=len(laid))

    def _numbers_jobs(self, names: list[str]) -> list[Job]:
        """The numbers document, in parts of ``NUMBERS_PART`` pages (the last one shorter),
        laid out side by side, each as soon as its pages are known."""
        return [self._job(self.plan.numbers_html(names[start:start + NUMBERS_PART], start + 1),
                          self.plan.numbers_css, False, None)
                for start in range(0, len(names), NUMBERS_PART)]


def _order(missing: list[Job], numbered: set[str]) -> list[Job]:
    """The order in which to lay out ``missing`` (in document order): the contents first (the
    pages after it wait for its page count), then the chunks that take half as long again as
    the median one, longest first (started late, they would end last), then the others in
    document order, the small ones (a quarter of the median) first: so that the parts of the
    numbers document (which wait for every chunk before their pages) can start while the
    last chunks are laid out, and the last to start are sections, beside which the contents
    of the next pass is laid out (see _schedule)."""
    costs = sorted(_cost(job) for job in missing)
    median = costs[len(costs) // 2]
    position = {job.key: index for index, job in enumerate(missing)}

    def rank(job: Job) -> tuple[bool, bool, bool, float]:
        cost = _cost(job)
        return (job.key not in numbered, cost <= 1.5 * median, cost >= median / 4,
                -cost if cost > 1.5 * median else position[job.key])

    return sorted(missing, key=rank)


def _cost(job: Job) -> int:
    """About how long ``job`` takes to lay out, in characters of HTML: each element costs
    WeasyPrint about as much as 30 characters of text (a roll of names in two columns, 250
    short items, takes longer than a section of 5,400 characters in 23 elements)."""
    return len(job.html) + 30 * job.html.count("<")


def _starts(laid: list[Laid]) -> list[int]:
    starts, page = [], 0
    for chunk in laid:
        starts.append(page)
        page += len(chunk.pages)
    return starts


def _environment(composed: Composed) -> str:
    """What every chunk's layout depends on beyond its HTML and stylesheet (see
    :func:`vigil.store.environment`): vigil's hyphenation (its dictionary, and which dictionary
    a language takes), the fonts and the theme's files."""
    from vigil.hyphenation import AZ_DICTIONARY

    hyphenation = [path for path in sorted(AZ_DICTIONARY.parent.glob("*"))
                   if path.suffix in (".py", ".dic")]
    return store.environment([f"format {FORMAT}", f"vigil {__version__}"], hyphenation,
                             [fonts_dir(), *composed.theme_folders])


def _store(folder: Path, name: str, profile: str) -> store.DocumentStore:
    """Chunk PDFs kept between builds (entries of :class:`vigil.store.Store`):
    ``<cache>/chunks/<key>.pdf`` and ``<key>.json`` (its key, the PDF's SHA-256, pages,
    anchors, files read with their hashes); ``<cache>/sections/<name>.<profile>.json``, the
    document's index, lists the chunks of the last build (older ones are removed) and its page
    numbers. A record under another key than its own (a file copied or moved over another: the
    chunk is laid out again) is refused, as is a PDF whose hash is not the one recorded."""
    return store.DocumentStore(store.Store(folder / "chunks", (".pdf",)),
                               store.Store(folder / "sections"), f"{name}.{profile}", FORMAT)


def _put(chunks: store.DocumentStore, key: str, laid: Laid) -> None:
    """Keep ``laid`` under ``key``, with its pages, anchors and the files it read (hashed)."""
    try:
        fetched = [[str(path), store.file_digest(path)] for path in laid.fetched]
    except OSError:  # a file read is gone already: the chunk cannot be checked, not kept
        return
    chunks.put(key, laid.pdf, {"pages": [asdict(box) for box in laid.pages],
                               "anchors": laid.anchors, "fetched": fetched})


def _laid(entry: store.Entry | None) -> Laid | None:
    """The chunk of a store's entry, if the files it read are still those it read."""
    if entry is None:
        return None
    meta = entry.meta
    try:
        fetched, pages, anchors = meta["fetched"], meta["pages"], meta["anchors"]
        if not isinstance(fetched, list) or not isinstance(pages, list) \
                or not isinstance(anchors, dict):
            return None
        for path, digest in fetched:
            if store.file_digest(Path(path)) != digest:
                return None
        return Laid(pdf=entry.data, pages=tuple(PageBox(**box) for box in pages),
                    anchors={str(k): int(v) for k, v in anchors.items()},
                    fetched=tuple(Path(path) for path, _ in fetched))
    except (OSError, KeyError, TypeError, ValueError):
        return None
