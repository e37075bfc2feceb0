"""JSON data as Python reads it (``json.loads``), before it is checked.

``JSON`` is any JSON value; ``JSONObject`` a JSON object. A value of this type is narrowed with
``isinstance`` (or validated into a model) before it is used as anything more particular.
"""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
JSONObject: TypeAlias = dict[str, JSON]
