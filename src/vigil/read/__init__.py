"""Stage 1, read: a publication folder becomes a validated :class:`Publication`.

Takes the folder holding ``publication.yaml`` and, for a translated edition, a language; gives
a :class:`Publication` with its metadata and sections in reading order, every referenced file
checked (inside the folder, present, and for images decodable). Any problem is a
:class:`~vigil.errors.ContentError` (or one of its relatives) naming the file, line and key;
nothing is rendered before all of it validates.

A translated edition (``language="ru"``) takes each section from the file of the same name with
the language code before its extension (``foreword.ru.md`` beside ``foreword.md``), and the text
of ``publication.yaml`` from its ``translations: ru:`` mapping; what has no translation stays in
the original language, keeps that language's ``lang``, and is named in a warning.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from vigil.errors import ContentError, Location, ResourceError, VigilError
from vigil.read.blocks import BLOCK_TYPES, Block, Catalogue, Names
from vigil.read.images import verify_image
from vigil.read.inserts import InsertOptions, inspect_insert
from vigil.read.model import (
    Publication,
    PublicationMeta,
    Section,
    SectionFile,
    SectionMeta,
    Variant,
    check_language,
)
from vigil.read.schema import suggest, validate
from vigil.read.sourcefile import read_text
from vigil.read.variants import read_variants
from vigil.read.yamlfile import YAML, Positions, load_yaml
from vigil.sandbox import resolve_inside

__all__ = ["Publication", "Section", "read_publication"]

MANIFEST = "publication.yaml"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)
_HEADING = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(\n|\Z)")


# A file name (one part of a path) of more bytes than this, or a path of more characters, is
# refused before the file system is asked (Linux allows 255 and 4096).
MAX_NAME_BYTES = 255
MAX_PATH_CHARS = 1024


def _shown(reference: str) -> str:
    """A reference as a message shows it: control characters escaped, at most 60 characters."""
    escaped = reference.encode("unicode_escape", "backslashreplace").decode("ascii") \
        if any(ord(c) < 32 or ord(c) == 127 for c in reference) else reference
    return escaped if len(escaped) <= 60 else escaped[:40] + f"...({len(reference):,} characters)"


def check_reference(reference: str, location: Location) -> None:
    """Refuse a file reference no file can have: a NUL byte or another control character, a
    name longer than a file system allows, a path of thousands of characters."""
    if any(ord(c) < 32 or ord(c) == 127 for c in reference):
        raise ResourceError(
            f"the file name '{_shown(reference)}' contains a control character (such as a NUL "
            "byte or a line break)", location=location,
            hint="Write the file's name as it is shown in the folder",
        )
    longest = max((len(part.encode("utf-8", "surrogatepass")) for part in re.split(r"[\\/]",
                                                                              reference)),
                  default=0)
    if longest > MAX_NAME_BYTES or len(reference) > MAX_PATH_CHARS:
        raise ResourceError(
            f"the file name '{_shown(reference)}' is too long (at most {MAX_NAME_BYTES} bytes a "
            f"name and {MAX_PATH_CHARS} characters a path)", location=location,
            hint="Rename the file with a shorter name",
        )


def read_publication(folder: Path | str, language: str | None = None) -> Publication:
    """Read and validate the publication in ``folder`` (or its ``publication.yaml``); with
    ``language`` (other than the publication's own), its translated edition in that language."""
    folder = Path(folder).resolve()
    if folder.name == MANIFEST and folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise ContentError(
            "no such publication folder", location=Location(folder),
            hint="Give the folder that holds publication.yaml, or run 'vigil new' to make one",
        )
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise ContentError(
            f"the folder has no {MANIFEST}", location=Location(folder),
            hint="Every publication folder needs one; 'vigil new booklet PATH' writes an example",
        )
    data, positions = load_yaml(read_text(manifest), manifest)
    meta: PublicationMeta = validate(PublicationMeta, data, manifest, positions)
    edition = _edition(language, meta)
    reader = _Reader(folder, meta, manifest, positions, edition and language)
    reader.check_cover()
    sections = tuple(
        reader.section(entry, index) for index, entry in enumerate(meta.sections)
    )
    variants = reader.variants()
    if edition is None or language is None:
        return Publication(folder, meta, sections, tuple(reader.sources), tuple(reader.warnings),
                           variants=variants)
    translated, untranslated = meta.translated(language)
    if untranslated:
        reader.warnings.insert(0, (
            f"{MANIFEST} has no {edition} translation of {', '.join(untranslated)}: "
            f"{'they are' if len(untranslated) > 1 else 'it is'} printed in "
            f"{_language_name(meta.language)} (add {'them' if len(untranslated) > 1 else 'it'} "
            f"under 'translations: {edition}:')"
        ))
    if reader.untranslated:
        files = ", ".join(f"{name} (no {twin})" for name, twin in reader.untranslated)
        reader.warnings.append(
            f"the {edition} edition has no translation of {len(reader.untranslated)} "
            f"section{'s' if len(reader.untranslated) > 1 else ''}, printed in "
            f"{_language_name(meta.language)}: {files}"
        )
    return Publication(
        folder, translated, sections, tuple(reader.sources), tuple(reader.warnings),
        edition=edition, original_language=meta.language, untranslated=untranslated,
        variants=variants,
    )


def _edition(language: str | None, meta: PublicationMeta) -> str | None:
    """The language code of the edition asked for, or None for the original."""
    if language is None:
        return None
    try:
        check_language(language)
    except ValueError as exc:
        raise VigilError(str(exc), hint="Give --language one of the accepted codes") from None
    code = language.split("-")[0].lower()
    return None if code == meta.language.split("-")[0].lower() else code


def _language_name(language: str) -> str:
    from babel import Locale

    try:
        return str(Locale.parse(language.split("-")[0].lower()).get_display_name("en"))
    except (ValueError, LookupError):
        return f"'{language}'"


def translation_of(path: Path, code: str) -> Path:
    """The translation of the section file ``path`` into ``code``: ``foreword.md`` →
    ``foreword.ru.md`` in the same folder."""
    return path.with_name(f"{path.stem}.{code}{path.suffix}")


class _Reader:
    def __init__(
        self, folder: Path, meta: PublicationMeta, manifest: Path, positions: Positions,
        edition: str | None = None,
    ) -> None:
        self.folder = folder
        self.meta = meta
        self.manifest = manifest
        self.positions = positions
        self.sources: list[Path] = [manifest]
        self.ids: set[str] = set()
        self.warnings: list[str] = []
        self.edition = edition  # the language tag of a translated edition
        self.code = edition.split("-")[0].lower() if edition else None
        self.untranslated: list[tuple[str, str]] = []  # (section file, its missing translation)

    def translated(self, path: Path) -> Path | None:
        """The edition's translation of ``path`` if it exists (checked like any file)."""
        if self.code is None:
            return None
        twin = translation_of(path, self.code)
        if not (twin.exists() or twin.is_symlink()):
            return None
        return self.resource(twin.name, path.parent, Location(twin))

    def missing(self, path: Path, language: str) -> None:
        """Record a section left in the original language, unless it is already written in
        the edition's language."""
        if self.code is None or language.split("-")[0].lower() == self.code:
            return
        shown = path.relative_to(self.folder).as_posix()
        twin = translation_of(path, self.code).relative_to(self.folder).as_posix()
        self.untranslated.append((shown, twin))

    def where(self, *path: str | int) -> Location:
        return self.positions.get(tuple(path), Location(self.manifest))

    def resource(self, reference: str, base: Path, location: Location) -> Path:
        check_reference(reference, location)
        try:
            path = resolve_inside(reference, base, (self.folder,), location)
        except (OSError, ValueError) as exc:  # a name the file system refuses
            raise ResourceError(
                f"'{_shown(reference)}' cannot be opened ({getattr(exc, 'strerror', None) or exc})",
                location=location,
            ) from None
        if path not in self.sources:
            self.sources.append(path)
        return path

    def image(self, reference: str, base: Path, location: Location) -> Path:
        path = self.resource(reference, base, location)
        verify_image(path, location)
        return path

    def check_cover(self) -> None:
        cover = self.meta.cover
        if cover.image:
            self.image(cover.image, self.folder, self.where("cover", "image"))
            if not cover.alt:
                raise ContentError(
                    "the cover image needs alternative text", location=self.where("cover"),
                    key="cover.alt",
                    hint="Add 'alt:' describing the picture for readers who cannot see it",
                )

    def section(self, entry: str | dict[str, object], index: int) -> Section:
        location = self.where("sections", index)
        base = ("sections", index)
        if isinstance(entry, dict) and "insert" in entry:
            return self.insert_section(entry, base, location)
        if isinstance(entry, dict):
            reference = validate(SectionFile, entry, self.manifest, self.positions, base).file
        else:
            reference = entry
        path = self.resource(reference, self.folder, location)
        suffix = path.suffix.lower()
        if suffix not in (".md", ".markdown", ".yaml", ".yml"):
            raise ContentError(
                f"'{reference}' is neither Markdown (.md) nor YAML (.yaml)", location=location,
                key="sections", hint="A section is a .md or .yaml file",
            )
        read = self.markdown_section if suffix in (".md", ".markdown") else self.yaml_section
        translation = self.translated(path)
        if translation is not None:
            assert self.edition is not None
            return read(translation, self.edition, path)
        section = read(path, self.meta.language, path)
        self.missing(path, section.language)
        return section

    def variants(self) -> tuple[Variant, ...]:
        settings = self.meta.variants
        if settings is None:
            return ()
        at = self.where("variants", "csv")
        path = self.resource(settings.csv, self.folder, at)
        return read_variants(settings, path, self.folder.name, self.where("variants"))

    def insert_section(
        self, entry: dict[str, object], base: tuple[str | int, ...], location: Location
    ) -> Section:
        options: InsertOptions = validate(
            InsertOptions, entry, self.manifest, self.positions, base
        )
        at = self.positions.get((*base, "insert"), location)
        original = self.resource(options.insert, self.folder, at)
        path = self.translated(original) or original
        language = self.meta.language
        title = options.title
        if self.code is not None:
            translation = options.translations.get(self.code)
            if path != original:
                language = self.edition or language
            else:
                self.missing(original, language)
            if translation is not None and translation.alt is not None:
                options = options.model_copy(update={"alt": translation.alt})
            if translation is not None and translation.title is not None:
                title = translation.title
            elif options.title and path != original:
                self.warnings.append(
                    f"{MANIFEST}: the insert {options.insert} has no {self.code} title "
                    f"(add 'translations: {{{self.code}: {{title: ...}}}}' to its entry): "
                    f"'{options.title}' is printed"
                )
        insert = inspect_insert(path, options, self.meta.page.millimetres, at)
        self.warnings.extend(insert.warnings)
        return Section(
            id=self.unique_id(original), title=title or "", language=language,
            source=path, toc=bool(title), insert=insert,
        )

    def unique_id(self, path: Path) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "section"
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def markdown_section(self, path: Path, language: str, original: Path) -> Section:
        """The Markdown section in ``path``; ``language`` unless it sets its own; its id from
        the name of ``original`` (the file it translates, or itself)."""
        text = read_text(path)
        meta = SectionMeta()
        body = text
        match = _FRONT_MATTER.match(text)
        if match:
            data, positions = load_yaml(match.group(1) or "", path, line_offset=1)
            meta = validate(SectionMeta, data, path, positions)
            body = text[match.end():]
        title = meta.title
        heading = _HEADING.match(body)
        if heading and (title is None or title == heading.group(1).strip()):
            title = heading.group(1).strip()
            body = body[heading.end():]
        first_line = text[: len(text) - len(body)].count("\n") + 1
        if not title:
            raise ContentError(
                "the section has no title", location=Location(path, 1),
                hint="Start the file with a '# Heading' line or give 'title:' in front matter",
            )
        return Section(
            id=self.unique_id(original), title=title, language=meta.language or language,
            source=path, new_page=meta.new_page, toc=meta.toc, markdown=body, intro=meta.intro,
            markdown_line=first_line,
        )

    def yaml_section(self, path: Path, language: str, original: Path) -> Section:
        data, positions = load_yaml(read_text(path), path)
        if not isinstance(data, dict):
            raise ContentError(
                "a YAML section must be a mapping with 'type:' (one block) or 'blocks:'",
                location=Location(path, 1),
            )
        section_keys = set(SectionMeta.model_fields)
        if "type" in data:
            block_data = {k: v for k, v in data.items() if k not in section_keys - {"title"}}
            meta_data = {k: v for k, v in data.items() if k in section_keys}
            block_data.pop("title", None)
            raw_blocks: list[tuple[YAML, tuple[str | int, ...]]] = [(block_data, ())]
        else:
            meta_data = {k: v for k, v in data.items() if k != "blocks"}
            blocks = data.get("blocks")
            if not isinstance(blocks, list) or not blocks:
                raise ContentError(
                    "expected 'type:' (a single block) or 'blocks:' (a list of blocks)",
                    location=Location(path, 1),
                    hint="Block types: " + ", ".join(sorted(BLOCK_TYPES)),
                )
            raw_blocks = [(item, ("blocks", i)) for i, item in enumerate(blocks)]
        meta: SectionMeta = validate(SectionMeta, meta_data, path, positions)
        parsed = tuple(self.block(item, base, path, positions) for item, base in raw_blocks)
        title = meta.title
        if not title:
            raise ContentError(
                "the section has no title", location=Location(path, 1), key="title",
                hint="Add 'title:' at the top of the file",
            )
        return Section(
            id=self.unique_id(original), title=title, language=meta.language or language,
            source=path, new_page=meta.new_page, toc=meta.toc, intro=meta.intro, blocks=parsed,
        )

    def block(
        self, data: YAML, base: tuple[str | int, ...], path: Path, positions: Positions
    ) -> Block:
        where = positions.get(base, Location(path))
        if not isinstance(data, dict):
            raise ContentError("a block must be a mapping with a 'type:'", location=where)
        kind = data.get("type")
        at = positions.get((*base, "type"), where)
        if isinstance(kind, (list, dict)):  # not a name (unhashable, too)
            shape = "list" if isinstance(kind, list) else "mapping"
            raise ContentError(
                f"a block's 'type:' is a name, not a {shape}", location=at, key="type",
                hint="Block types: " + ", ".join(sorted(BLOCK_TYPES)))
        if kind not in BLOCK_TYPES:
            raise ContentError(
                f"unknown block type '{kind}'" + suggest(str(kind), list(BLOCK_TYPES))
                if kind else "the block has no 'type:'" + suggest("", list(BLOCK_TYPES)),
                location=at, key="type",
            )
        block: Block = validate(BLOCK_TYPES[kind], data, path, positions, base)
        if isinstance(block, Catalogue):
            for i, work in enumerate(block.items):
                at = positions.get((*base, "items", i, "image"), where)
                if work.image:
                    self.image(work.image, path.parent, at)
                    if not work.alt:
                        raise ContentError(
                            f"the work '{work.title}' has an image but no alternative text",
                            location=positions.get((*base, "items", i), where), key="alt",
                            hint="Add 'alt:' describing the picture for readers who cannot see it",
                        )
        if isinstance(block, Names):
            block = self.names(block, base, path, positions, where)
        return block

    def names(
        self, block: Names, base: tuple[str | int, ...], path: Path, positions: Positions,
        where: Location,
    ) -> Names:
        if (block.names is None) == (block.csv is None):
            raise ContentError(
                "a names block needs either 'names:' (a list) or 'csv:' (a file), not both "
                "and not neither", location=where,
            )
        if block.csv is None:
            return block
        at = positions.get((*base, "csv"), where)
        csv_path = self.resource(block.csv, path.parent, at)
        reader = csv.DictReader(io.StringIO(read_text(csv_path)))
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise ContentError(
                "the CSV file has no 'name' column", location=Location(csv_path, 1),
                hint="The first line must be a header naming the columns, one of them 'name'",
            )
        names = []
        for row in reader:
            value = (row.get("name") or "").strip()
            if not value:
                raise ContentError(
                    "empty name", location=Location(csv_path, reader.line_num), key="name",
                )
            names.append(value)
        return block.model_copy(update={"names": names})
