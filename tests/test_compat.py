"""vigil.pdf._compat: each use of another library's private attributes, pinned on real objects.

Every function of ``_compat`` is checked here for the attribute it reads (present, of the kind
expected) and for its effect on a real pypdf writer, WeasyPrint document or Pyphen dictionary,
so that a release of pypdf, WeasyPrint or Pyphen that renames or changes one fails here rather
than in vigil's PDFs. The last tests keep it that way: no other module of vigil reaches into
another library's underscore names, or assigns to another library's classes or modules.
"""

from __future__ import annotations

import ast
import ctypes.util
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyphen
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from vigil.assemble.compact import compact
from vigil.pdf import _compat
from vigil.pdf.write import Serializer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "vigil"


def _two_pages(link: bool = False) -> PdfReader:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_blank_page(200, 200)
    if link:
        writer.add_annotation(0, Link(rect=(10, 10, 50, 50), target_page_index=1))
    data = io.BytesIO()
    writer.write(data)
    return PdfReader(io.BytesIO(data.getvalue()))


# ------------------------------------------------------------------------------ pypdf


def test_add_object_numbers_an_object_of_the_writer() -> None:
    writer = PdfWriter()
    assert hasattr(writer, "_add_object") and hasattr(writer, "_objects")
    before = len(_compat.objects(writer))
    obj = DictionaryObject({NameObject("/Vigil"): NumberObject(7)})
    reference = _compat.add_object(writer, obj)
    assert isinstance(reference, IndirectObject)
    assert reference.idnum == before + 1 and reference.pdf is writer
    assert writer.get_object(reference.idnum) is obj
    assert _compat.objects(writer)[reference.idnum - 1] is obj
    assert _compat.add_object(writer, obj) == reference  # already one of its objects


def test_a_freed_object_is_written_as_a_free_entry() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    number = _compat.add_object(writer, DictionaryObject(
        {NameObject("/Vigil"): TextStringObject("dropped")})).idnum
    _compat.free_object(writer, number)
    assert _compat.objects(writer)[number - 1] is None
    data = compact(writer)
    assert b"dropped" not in zlib.decompress(data.split(b"stream\n")[1].split(b"\nendstream")[0])
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1
    with pytest.raises(PdfReadError):
        reader.get_object(number)  # a free entry: no object of that number


def test_resolve_links_points_copied_links_at_the_copied_pages() -> None:
    reader = _two_pages(link=True)
    writer = PdfWriter()
    assert hasattr(writer, "_resolve_links")
    for page in reader.pages:
        writer.add_page(page)
    result = PdfReader(io.BytesIO(compact(writer)), strict=True)  # compact resolves them
    annotation = result.pages[0]["/Annots"][0].get_object()
    target = annotation["/Dest"][0]
    assert target.idnum == result.pages[1].indirect_reference.idnum


def test_info_object_is_the_trailers_info() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    assert _compat.info_object(writer) is not None  # pypdf writes /Producer
    writer.add_metadata({"/Title": "In memoriam"})
    info = _compat.info_object(writer)
    assert info["/Title"] == "In memoriam"
    assert isinstance(info.indirect_reference, IndirectObject)
    reader = PdfReader(io.BytesIO(compact(writer)))
    assert reader.metadata is not None and reader.metadata.title == "In memoriam"


def test_file_identifier_is_set_and_written() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    assert hasattr(writer, "_ID")
    identifier = ArrayObject([ByteStringObject(b"\x01" * 16), ByteStringObject(b"\x01" * 16)])
    _compat.set_file_identifier(writer, identifier)
    assert _compat.file_identifier(writer) is identifier
    for data in (compact(writer), _written(writer)):
        first = PdfReader(io.BytesIO(data)).trailer["/ID"][0]
        assert first.original_bytes == b"\x01" * 16


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_writer_encrypted_follows_encrypt() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    assert hasattr(writer, "_encryption")
    assert not _compat.writer_encrypted(writer)
    writer.encrypt("vigil", algorithm="RC4-128")
    assert _compat.writer_encrypted(writer)
    assert PdfReader(io.BytesIO(compact(writer))).is_encrypted  # left to pypdf


def test_stream_bytes_are_the_encoded_bytes() -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    stream = StreamObject()
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    encoded = zlib.compress(b"0 0 m 10 10 l S", 6)
    stream.set_data(encoded)  # a plain StreamObject keeps the bytes as they are given
    assert _compat.stream_bytes(stream) == encoded
    writer.pages[0][NameObject("/Contents")] = _compat.add_object(writer, stream)
    read = PdfReader(io.BytesIO(compact(writer))).pages[0]["/Contents"].get_object()
    assert isinstance(read, EncodedStreamObject)
    assert _compat.stream_bytes(read) == encoded
    assert read.get_data() == b"0 0 m 10 10 l S"  # the public getter decodes


def test_clone_table_maps_a_readers_objects_to_the_writers() -> None:
    reader = _two_pages()
    writer = PdfWriter()
    assert hasattr(writer, "_id_translated")
    assert _compat.clone_table(writer, reader) == {}
    added = writer.add_page(reader.pages[1])
    table = _compat.clone_table(writer, reader)
    assert table[reader.pages[1].indirect_reference.idnum] == added.indirect_reference.idnum


# ------------------------------------------------------------------------------ WeasyPrint


def test_page_box_gives_the_margins_and_the_page_name() -> None:
    from vigil.typeset.engine import load

    weasyprint = load()
    html = ("<style>@page { size: 100mm 150mm; margin: 10mm 12mm }"
            "@page memorial { margin-left: 20mm } .m { page: memorial }</style>"
            "<p>first</p><p class=m>second</p>")
    pages = weasyprint.HTML(string=html).render().pages
    assert all(hasattr(page, "_page_box") for page in pages)
    first, second = (_compat.page_box(page) for page in pages)
    px = 96 / 25.4
    assert first.page_type.name in (None, "") and second.page_type.name == "memorial"
    assert first.margin_left == pytest.approx(12 * px)
    assert second.margin_left == pytest.approx(20 * px)
    assert first.width == pytest.approx((100 - 24) * px)


def test_font_files_folder_is_where_font_faces_are_kept(tmp_path: Path) -> None:
    import shutil

    from vigil.resources import data_dir
    from vigil.typeset.engine import load

    weasyprint = load()
    font = next(data_dir("fonts").rglob("*.ttf"))
    copied = tmp_path / font.name
    shutil.copy(font, copied)
    config = weasyprint.text.fonts.FontConfiguration()
    assert hasattr(config, "_folder")
    assert _compat.font_files_folder(config) is None
    css = weasyprint.CSS(string=f"@font-face {{ font-family: Kept; src: url({copied.as_uri()}) }}",
                         font_config=config)
    weasyprint.HTML(string="<p style='font-family: Kept'>x</p>").render(
        font_config=config, stylesheets=[css])
    folder = _compat.font_files_folder(config)
    assert folder is not None and folder.is_dir() and any(folder.iterdir())
    _compat.forget_font_files_folder(config)
    assert _compat.font_files_folder(config) is None
    del config  # collected: it no longer removes the folder...
    assert folder.is_dir()
    shutil.rmtree(folder)  # ...vigil does


def test_library_search_off_is_what_cffi_asks_and_is_put_back() -> None:
    import cffi

    search = ctypes.util.find_library
    assert search("m") is not None  # found by the search
    ffi = cffi.FFI()
    ffi.dlopen("m")  # cffi hands a bare name to ctypes.util.find_library...
    with _compat.library_search_off():
        assert ctypes.util.find_library("m") is None
        with pytest.raises(OSError):
            ffi.dlopen("m")  # ...so with the search off it finds nothing
        ffi.dlopen("libm.so.6")  # a file name is opened by the loader itself
    assert ctypes.util.find_library is search
    with pytest.raises(RuntimeError), _compat.library_search_off():
        raise RuntimeError
    assert ctypes.util.find_library is search


# That WeasyPrint imported with the search off loads the same library files as without it is
# tested in test_typeset.py (test_weasyprint_imported_quickly_loads_the_same_libraries).


# ------------------------------------------------------------------------------ Pyphen


def test_pyphen_takes_the_dictionary_put_in_its_cache(tmp_path: Path) -> None:
    assert _compat.dictionary_cache() is pyphen.hdcache
    path = tmp_path / "hyph_xx.dic"
    path.write_text("UTF-8\n1a1\n", encoding="utf-8")

    class Every:
        def positions(self, word: str) -> list[int]:
            return list(range(1, len(word)))

    _compat.dictionary_cache()[path] = Every()
    try:
        assert pyphen.Pyphen(filename=path, left=1, right=1).positions("abcd") == [1, 2, 3]
    finally:
        del _compat.dictionary_cache()[path]


def test_a_dictionary_from_patterns_hyphenates_as_the_parsed_one() -> None:
    path = Path(pyphen.LANGUAGES["en_GB"])
    parsed, patterns, maxlen = _compat.parse_dictionary(path)
    assert isinstance(parsed, pyphen.HyphDict)
    assert isinstance(patterns, dict) and patterns and isinstance(maxlen, int)
    again = _compat.dictionary_from_patterns(patterns, maxlen)
    for word in ("commemoration", "remembrance", "extraordinary"):
        assert again.positions(word) == parsed.positions(word)
        assert again.positions(word)


# ------------------------------------------------------------------------------ multiprocessing


def test_forkserver_pid_is_the_fork_server_this_process_started() -> None:
    """In a process of its own: none before the fork server starts, then the live child
    process that forks the workers (it is what vigil.workers.stop ends)."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from multiprocessing import forkserver\n"
        "from vigil.pdf._compat import forkserver_pid\n"
        "before = forkserver_pid()\n"
        "forkserver.ensure_running()\n"
        "pid = forkserver_pid()\n"
        "status = open(f'/proc/{pid}/status').read() if sys.platform == 'linux' else ''\n"
        "parent = [l.split()[1] for l in status.splitlines() if l.startswith('PPid:')]\n"
        "print(before, isinstance(pid, int), parent == [str(os.getpid())] or not status)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "True", "True"]


# ------------------------------------------------------------------------------ serializer


def test_the_serializer_writes_the_bytes_pypdf_writes() -> None:
    writer = PdfWriter(clone_from=_two_pages(link=True).stream)
    writer.add_metadata({"/Title": "Ağdam — 1993 (memorial)", "/Über": "#1"})
    serializer = Serializer()
    checked = 0
    for obj in _compat.objects(writer):
        if obj is None:
            continue
        ours = serializer.serialize(obj)  # first: pypdf's own drops a stream's /Length
        own = io.BytesIO()
        obj.write_to_stream(own)
        assert ours == own.getvalue()
        checked += 1
    assert checked > 5
    stream = StreamObject()
    stream.update({NameObject("/Type"): NameObject("/XObject"),
                   NameObject("/Length"): NumberObject(999),
                   NameObject("/Subtype"): NameObject("/Form")})
    stream.set_data(b"q 1 0 0 1 0 0 cm Q")
    ours = serializer.serialize(stream)
    assert b"/Length 18\n/Subtype" in ours and stream["/Length"] == 999  # in its place
    own = io.BytesIO()
    stream.write_to_stream(own)
    assert ours == own.getvalue()
    odd = DictionaryObject({NameObject("/A#B c"): ArrayObject([
        NameObject("/Ə"), TextStringObject("(x)\\"), ByteStringObject(b"\x00\xff"),
        NumberObject(-3), IndirectObject(4, 0, writer)])})
    plain = io.BytesIO()
    odd.write_to_stream(plain)
    assert serializer.serialize(odd) == plain.getvalue()
    assert serializer.serialize(odd) == plain.getvalue()  # names from its memory


# ------------------------------------------------------------------------------ the rest of vigil

# Other libraries' modules and classes that vigil must not assign to.
FOREIGN = {"pypdf", "weasyprint", "pyphen", "ctypes", "cffi", "multiprocessing", "pydyf",
           "fontTools", "NameObject", "PdfWriter", "PdfReader", "HyphDict", "Pyphen"}
ALLOWED = {
    # os._exit is os's public, documented API.
    ("workers.py", "os._exit"),
    # vigil's own attribute of its own YAML composer (a subclass), not the library's.
    ("read/yamlfile.py", "getattr(self, '_depth', 0)"),
}


def _private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def _private_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Each ``x._name`` (``x`` not ``self`` nor ``cls``) and ``getattr(x, "_name")`` in
    ``tree``, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            own = isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
            found = _private(node.attr) and not own
        elif isinstance(node, ast.Call):
            found = isinstance(node.func, ast.Name) and len(node.args) >= 2 \
                and node.func.id in {"getattr", "setattr", "hasattr", "delattr"} \
                and isinstance(node.args[1], ast.Constant) and _private(node.args[1].value)
        else:
            found = False
        if found:
            yield node.lineno, ast.unparse(node)


def _patches(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Each assignment to an attribute of another library's module or class in ``tree``."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if target is not root and isinstance(root, ast.Name) and root.id in FOREIGN:
                yield node.lineno, ast.unparse(target)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "setattr" and node.args \
                and isinstance(node.args[0], ast.Name | ast.Attribute):
            root = node.args[0]
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in FOREIGN:
                yield node.lineno, ast.unparse(node)


def _modules() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative != "pdf/_compat.py":
            yield relative, ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_only_compat_touches_other_libraries_private_names() -> None:
    found = [f"{relative}:{line}: {text}" for relative, tree in _modules()
             for line, text in _private_uses(tree) if (relative, text) not in ALLOWED]
    assert not found, "private names outside vigil/pdf/_compat.py:\n" + "\n".join(found)


def test_no_module_patches_another_library() -> None:
    found = [f"{relative}:{line}: {text}" for relative, tree in _modules()
             for line, text in _patches(tree)]
    assert not found, "\n".join(found)


def test_the_guard_finds_what_it_looks_for() -> None:
    """The checks above catch the kinds of use this module replaced, and only those."""
    def private(code: str) -> list[str]:
        return [text for _, text in _private_uses(ast.parse(code))]

    def patches(code: str) -> list[str]:
        return [text for _, text in _patches(ast.parse(code))]

    for code in ("writer._add_object(x)", "stream._data = obj._data",
                 "getattr(config, '_folder', None)", "self.writer._objects[0]",
                 "page._page_box", "reader._vigil_prepared = True"):
        assert private(code), code
    for code in ("self._cache = {}", "cls._truetype(data)", "os.replace(a, b)",
                 "from vigil.pdf._compat import add_object", "x.__class__"):
        assert not private(code), code
    for code in ("NameObject.write_to_stream = _write", "pyphen.HyphDict = Cached",
                 "ctypes.util.find_library = search", "setattr(pyphen, 'HyphDict', C)"):
        assert patches(code), code
    for code in ("writer.x = 1", "pyphen.LANGUAGES['az'] = path"):
        assert not patches(code), code


def test_classic_writes_what_pypdf_writes() -> None:
    """``classic`` gives ``PdfWriter.write``'s bytes (a cross-reference table), freed
    numbers and all."""
    from vigil.pdf.write import classic
    from vigil.typeset.engine import load

    poster = ROOT / "content" / "eternal-return-2025" / "inserts" / "poster.pdf"
    tagged = load().HTML(string="<h1>Ağdam</h1><p>In memory of those who lived there.</p>"
                         "<ul><li>one</li><li>two</li></ul>").write_pdf(pdf_tags=True)
    sources = [_two_pages(link=True).stream, io.BytesIO(poster.read_bytes()),
               io.BytesIO(tagged)]
    for source in sources:
        writers = [PdfWriter(clone_from=source) for _ in range(2)]
        for writer in writers:
            number = _compat.add_object(writer, DictionaryObject()).idnum
            _compat.free_object(writer, number)
            _compat.set_file_identifier(writer, ArrayObject([ByteStringObject(b"v" * 16)] * 2))
        assert classic(writers[0]) == _written(writers[1])
