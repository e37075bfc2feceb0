"""Shared pieces of the content schemas: strict models and the conversion of their errors.

Takes pydantic validation errors and the positions recorded by :mod:`vigil.read.yamlfile`;
gives one :class:`~vigil.errors.ContentError` that names the file, line, key, what was expected
and, for a misspelt key, the closest accepted one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from vigil.errors import ContentError, Location
from vigil.read.yamlfile import Positions

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails


def suggest(word: str, choices: list[str]) -> str:
    """Return " — did you mean 'x'?" for the closest choice, or the list of choices."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f" — did you mean '{close[0]}'?"
    return " (accepted: " + ", ".join(sorted(choices)) + ")"


class StrictModel(BaseModel):
    """A model that refuses unknown keys with a suggestion, and never mutates."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: object) -> object:
        if isinstance(data, dict):
            accepted = list(cls.model_fields)
            for key in data:
                if key not in accepted:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{suggestion}",
                        {"key": key, "suggestion": suggest(str(key), accepted)},
                    )
        elif data is not None and not isinstance(data, BaseModel):
            raise PydanticCustomError(
                "expected_mapping",
                "expected a mapping of keys to values (key: value), found {found}",
                {"found": _describe(data)},
            )
        return data


def _describe(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return type(value).__name__


_MESSAGES = {
    "missing": "this key is required but missing",
    "string_type": "expected text",
    "int_parsing": "expected a whole number",
    "bool_parsing": "expected true or false",
    "date_from_datetime_parsing": "expected a date written as YYYY-MM-DD",
    "date_parsing": "expected a date written as YYYY-MM-DD",
    "list_type": "expected a list (lines starting with '- ')",
    "string_pattern_mismatch": "expected a plain name of letters, digits, '-' and '_'",
    "tuple_type": "expected a list (lines starting with '- ', or [a, b])",
    "model_type": "expected a mapping of keys to values",
}


def raise_validation_error(
    error: ValidationError, file: Path, positions: Positions, base: tuple[str | int, ...] = ()
) -> None:
    """Turn the first of pydantic's errors into a ContentError located in ``file``."""
    errors = error.errors(include_url=False)
    first = errors[0]
    loc = tuple(part for part in first["loc"] if not _is_internal(part))
    ctx = first.get("ctx") or {}
    key = ".".join(str(part) for part in loc) or None
    if first["type"] == "unknown_key":
        loc = (*loc, ctx["key"])
    path = (*base, *loc)
    location = _nearest(path, positions, file)
    message = _message(first)
    if len(errors) > 1:
        message += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} "
        message += "in this file; fix this one and build again to see the next)"
    raise ContentError(message, location=location, key=key) from None


def _is_internal(part: object) -> bool:
    """Pydantic adds union branch names to error locations (``ListEntry``, ``str``,
    ``constrained-str``, ``function-after[...]``); they mean nothing to a user."""
    return isinstance(part, str) and (
        part.startswith("function-") or "[" in part or part in ("str", "constrained-str")
        or (part[:1].isupper() and part.isalnum())
    )


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind in ("unknown_key", "expected_mapping") or kind not in _MESSAGES:
        text = str(err["msg"])
        text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    else:
        text = _MESSAGES[kind]
    if kind not in ("missing", "unknown_key") and "input" in err and err["input"] is not None:
        shown = err["input"]
        if isinstance(shown, str | int | float) and f"'{shown}'" not in text:
            text += f", found '{shown}'"
    return text


def _nearest(path: tuple[str | int, ...], positions: Positions, file: Path) -> Location:
    for cut in range(len(path), -1, -1):
        if path[:cut] in positions:
            return positions[path[:cut]]
    return Location(file)


_Model = TypeVar("_Model", bound=StrictModel)


def validate(
    model: type[_Model], data: object, file: Path, positions: Positions,
    base: tuple[str | int, ...] = (),
) -> _Model:
    """Validate ``data`` against ``model``; errors point into ``file``."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise_validation_error(error, file, positions, base)
        raise AssertionError("unreachable") from None


def check_translation_languages(value: Mapping[str, object], own: str | None = None) -> None:
    """Keys of a ``translations:`` mapping are bare language codes vigil has words for."""
    from vigil.i18n import available_languages

    accepted = available_languages()
    for code in value:
        if code not in accepted:
            hint = " (write the language code alone, such as 'az')" if "-" in str(code) else ""
            raise ValueError(
                f"unsupported language '{code}'{hint} "
                f"(accepted: {', '.join(accepted)})"
            )
        if own is not None and code == own.split("-")[0].lower():
            raise ValueError(
                f"'{code}' is the publication's own language; translations are "
                "for the other languages"
            )
