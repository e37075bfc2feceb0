"""Strict YAML: no aliases or anchors, no duplicate keys, no custom tags, no implicit typing.

Takes YAML text and the file it came from; gives plain Python data (dicts, lists, strings and
``None``) plus a map from each value's path (a tuple of keys and indexes) to its
:class:`~vigil.errors.Location`. Every scalar stays the string the author wrote (``NO``,
``1.10`` and ``12:30`` are not turned into a boolean, a float or a number of seconds); the schema
converts a value only where a field asks for a number, a date or a flag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias, cast

import yaml
from yaml.composer import Composer
from yaml.error import Mark
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from vigil.errors import ContentError, Location

Path_ = tuple[str | int, ...]
Positions = dict[Path_, Location]
# What strict YAML gives: every scalar a string (or None for an empty or null one).
YAML: TypeAlias = dict[str, "YAML"] | list["YAML"] | str | None

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class _PlainResolver(BaseResolver):
    """Resolves nothing implicitly: every plain scalar is a string."""


# Lists and mappings nested deeper than this are refused (a publication needs a handful of
# levels; thousands would exhaust Python's stack).
MAX_DEPTH = 100


class _AliasFreeComposer(Composer):
    """Composes nodes from parser events, refusing anchors and aliases."""

    peek_event: Callable[[], Event]  # the parser's (a mixin beside this one)

    # ``index``: PyYAML passes None (a document's root), an int (an item of a sequence) or the
    # key's Node (a value of a mapping); its stubs say int.
    def compose_node(self, parent: Node | None, index: int | Node | None) -> Node | None:
        event = self.peek_event()
        # libyaml's events carry its own Mark (the same fields), which the stubs do not accept
        mark = cast("Mark | None", event.start_mark)
        if isinstance(event, AliasEvent):
            raise yaml.MarkedYAMLError(
                None, None, f"aliases (*{event.anchor}) are not allowed", mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.MarkedYAMLError(
                None, None, f"anchors (&{anchor}) are not allowed", mark
            )
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                None, None, f"the values are nested more than {MAX_DEPTH} levels deep",
                mark,
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth = depth


class _PureStrictLoader(Reader, Scanner, Parser, _AliasFreeComposer, _PlainResolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _AliasFreeComposer.__init__(self)
        _PlainResolver.__init__(self)


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    # libyaml parses the events (several times faster); composition stays in Python, above.
    class _FastStrictLoader(_AliasFreeComposer, CParser, _PlainResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _AliasFreeComposer.__init__(self)
            _PlainResolver.__init__(self)

    _StrictLoader: type = _FastStrictLoader
else:  # pragma: no cover - PyYAML without libyaml
    _StrictLoader = _PureStrictLoader


def load_yaml(text: str, file: Path, line_offset: int = 0) -> tuple[YAML, Positions]:
    """Parse ``text`` strictly; ``line_offset`` shifts lines (for front matter inside Markdown)."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        location = (
            Location(file, mark.line + 1 + line_offset, mark.column + 1)
            if mark
            else Location(file)
        )
        hint = _yaml_hint(problem)
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            hint = "YAML does not allow tabs for indentation; indent with spaces"
        raise ContentError(f"invalid YAML: {problem}", location=location, hint=hint) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML: {exc}", location=Location(file)) from None
    finally:
        loader.dispose()
    positions: Positions = {}
    if node is None:
        return None, positions
    return _to_python(node, (), file, line_offset, positions), positions


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


def _yaml_hint(problem: str) -> str | None:
    if "alias" in problem or "anchor" in problem:
        return ("Write the value out in full where it is needed; if this is text that starts "
                "with '*' or '&' (Markdown emphasis, say), put the whole value in quotes")
    if "but found another document" in problem:
        return "Keep one YAML document per file (remove the extra '---')"
    if "mapping values are not allowed" in problem:
        return ("Check the indentation of this line and the one before it, and put quotes "
                "around a value that contains ': '")
    return None


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _location(node: Node, file: Path, line_offset: int) -> Location:
    return Location(file, node.start_mark.line + 1 + line_offset, node.start_mark.column + 1)


def _to_python(
    node: Node, path: Path_, file: Path, line_offset: int, positions: Positions
) -> YAML:
    positions[path] = _location(node, file, line_offset)
    if node.tag not in _STANDARD_TAGS:
        raise ContentError(
            f"the tag {_short(node.tag)} is not allowed", location=positions[path],
            hint="Remove the tag; vigil reads plain YAML only",
        )
    if isinstance(node, ScalarNode):
        value: str = node.value
        if not node.style and value in ("", "~", "null", "Null", "NULL"):
            return None
        return value
    if isinstance(node, SequenceNode):
        return [
            _to_python(item, (*path, index), file, line_offset, positions)
            for index, item in enumerate(node.value)
        ]
    assert isinstance(node, MappingNode)
    result: dict[str, YAML] = {}
    for key_node, value_node in node.value:
        key_location = _location(key_node, file, line_offset)
        if not isinstance(key_node, ScalarNode):
            raise ContentError("a key must be a plain word", location=key_location)
        if key_node.tag not in _STANDARD_TAGS:
            raise ContentError(
                f"the tag {_short(key_node.tag)} is not allowed", location=key_location
            )
        key = key_node.value
        if key in result:
            first = positions[(*path, key)]
            raise ContentError(
                f"duplicate key '{key}' (first given on line {first.line})",
                location=key_location, hint="Keep one of the two",
            )
        result[key] = _to_python(value_node, (*path, key), file, line_offset, positions)
        positions[(*path, key)] = key_location
    return result
