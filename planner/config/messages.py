"""Turn pydantic's validation errors into lines a person can act on: file, key, what to fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from planner.config.fields import PROBLEM
from planner.config.models import Config

_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text in quotes",
    "path_type": "a file path in quotes",
    "list_type": 'a list such as ["a", "b"]',
    "tuple_type": 'a list such as ["a", "b"]',
    "model_type": "a table ([section] or { key = value })",
    "model_attributes_type": "a table ([section] or { key = value })",
    "dict_type": "a table ([section] or { key = value })",
}

_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def describe(error: ValidationError, *, source: str, raw: Mapping[str, Any]) -> str:
    """One line per problem: `<file>: <dotted key>: <what is wrong>`."""
    details = error.errors(include_url=False)
    lines: list[str] = []
    for detail in details:
        if detail["type"] == "too_short" and _has_item_errors(details, detail["loc"]):
            continue  # pydantic counts only the items that validated; the items' errors say more
        where = _where(detail, raw)
        what = _what(detail, _raw_value(raw, detail["loc"], detail["input"]))
        line = f"{source}: {where}: {what}" if where else f"{source}: {what}"
        if line not in lines:
            lines.append(line)
    return "\n".join([*lines, "(config.example.toml lists every key with its default)"])


def _has_item_errors(details: Sequence[ErrorDetails], loc: tuple[str | int, ...]) -> bool:
    return any(len(d["loc"]) > len(loc) and d["loc"][: len(loc)] == loc for d in details)


def _where(detail: ErrorDetails, raw: Mapping[str, Any]) -> str:
    loc: list[str | int] = list(detail["loc"])
    key = detail.get("ctx", {}).get("key") if detail["type"] == PROBLEM else None
    if key:
        loc.append(key)
    text = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{_item_label(raw, loc[:position], part)}]"
        else:
            text += f".{part}" if text else part
    return text


def _raw_value(raw: Mapping[str, Any], loc: Sequence[str | int], default: Any) -> Any:
    """The value as written in the file (validators may have normalised the error's input)."""
    node: Any = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def _item_label(raw: Mapping[str, Any], loc: Sequence[str | int], index: int) -> str:
    """A list item by its name when it has one (connections), else by position from 1."""
    node = _raw_value(raw, [*loc, index], None)
    name = node.get("name") if isinstance(node, dict) else None
    return name if isinstance(name, str) and name else f"#{index + 1}"


def _what(detail: ErrorDetails, written: Any) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx", {})
    got = _show(written)
    if kind == PROBLEM:
        return str(ctx["text"])
    if kind == "extra_forbidden":
        # No value echoed: a misnamed key may hold a secret.
        return "unknown key" + _suggestion(detail["loc"])
    if kind == "missing":
        return "missing: this key is required"
    if kind in ("literal_error", "enum"):
        return f"expected {ctx['expected']}, got {got}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"must be {words} {ctx[name]}, got {got}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} entry"
    if kind == "string_pattern_mismatch":
        return f"use letters, digits, '.', '_' or '-' (no spaces), got {got}"
    if kind == "value_error":
        return str(ctx["error"])
    return str(detail["msg"])


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggestion(loc: tuple[str | int, ...]) -> str:
    """The closest valid key here, or where a key of this name belongs."""
    key = str(loc[-1])
    model = _model_at(Config, loc[:-1])
    valid = _keys(model) if model is not None else []
    close = difflib.get_close_matches(key.lower(), valid, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    homes = [table for table, keys in _tables(Config, ()) if key.lower() in keys]
    if homes:
        return f" (it belongs in {homes[0]})"
    return f" (valid keys here: {', '.join(valid)})" if valid else ""


def _keys(model: type[BaseModel]) -> list[str]:
    injected: Mapping[str, str] = getattr(model, "injected", {})
    return [name for name in model.model_fields if name not in injected]


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        current = _nested_model(field.annotation) if field is not None else None
    return current


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _tables(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[tuple[str, list[str]]]:
    """Every TOML table under model as ('[header]', its keys), e.g. ('[[amazon.connections]]')."""
    for name in _keys(model):
        field = model.model_fields[name]
        nested = _nested_model(field.annotation)
        if nested is None:
            continue
        dotted = ".".join((*path, name))
        is_list = nested is not field.annotation
        yield (f"[[{dotted}]]" if is_list else f"[{dotted}]"), _keys(nested)
        yield from _tables(nested, (*path, name))
