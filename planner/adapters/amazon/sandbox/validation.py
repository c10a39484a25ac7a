"""Requests checked against the SP-API models, the way Amazon's front door checks them.

Swagger 2.0 parameters become JSON schemas (Draft 4): query values are converted from text by
their declared type (csv arrays, integers, booleans), then validated. The sandbox is stricter than
Amazon where that catches client bugs: a query parameter the model does not define, or a body
field an object schema does not list, is refused.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from planner.adapters.amazon.specs import Operation, Parameter, operations

# Swagger's `date-time` is RFC 3339's date-time: seconds and an offset are required
# (`2026-12-07T08:56Z` is not one; Stoplight Prism serving Amazon's models refuses it).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# Requests are checked strictly, as Amazon's models say; answers the sandbox gives leniently
# (Amazon itself answers times without seconds or offset at times, see expire_offers).
_formats = FormatChecker(())
_answers = FormatChecker(())


@_formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not _RFC3339.match(value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time (with seconds and offset)")
        datetime.fromisoformat(value[:10] + "T" + value[11:19])
    return True


@_answers.checks("date-time", raises=ValueError)
def _lenient_date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@_formats.checks("date", raises=ValueError)
@_answers.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        datetime.strptime(value, "%Y-%m-%d")
    return True


class Rejected(Exception):
    """The request does not conform to the model."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _strict(node: Any) -> Any:
    """Object schemas that list properties refuse others (unknown body fields)."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def _definitions(model: str, strict: bool) -> dict[str, Any]:
    for op in operations().values():
        if op.model == model:
            defs = copy.deepcopy(op.definitions)
            return _strict(defs) if strict else defs
    return {}


@cache
def _validator(op_name: str, location: str, name: str) -> Draft4Validator:
    op = operations()[op_name]
    param = next(p for p in op.parameters if p.location == location and p.name == name)
    strict = location == "body"
    schema = _strict(param.schema) if strict else param.schema
    root = {**schema, "definitions": _definitions(op.model, strict)}
    return Draft4Validator(root, format_checker=_formats)


@cache
def _response_validator(op_name: str, status: int) -> Draft4Validator | None:
    op = operations()[op_name]
    schema = op.responses.get(status)
    if not schema:
        return None
    return Draft4Validator(
        {**schema, "definitions": _definitions(op.model, False)}, format_checker=_answers
    )


def _first_error(validator: Draft4Validator, value: Any) -> ValidationError | None:
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    return errors[0] if errors else None


def _convert(param: Parameter, values: list[str]) -> Any:
    kind = param.schema.get("type")
    if kind == "array":
        if param.collection_format == "multi":
            parts = values
        else:
            sep = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(param.collection_format or "csv", ",")
            parts = [p for v in values for p in v.split(sep)]
        item = dict(param.schema.get("items") or {})
        return [_scalar(item.get("type"), p, param.name) for p in parts]
    if len(values) > 1:
        raise Rejected(f"Parameter {param.name} is given {len(values)} times.")
    return _scalar(kind, values[0], param.name)


def _scalar(kind: Any, text: str, name: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        raise Rejected(f"Parameter {name} must be a {kind}, got {text!r}.") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise Rejected(f"Parameter {name} must be true or false, got {text!r}.")
        return text.lower() == "true"
    return text


def validate_request(
    op_name: str,
    path_params: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[dict[str, Any], Any]:
    """The request's parameters (typed) and JSON body, or Rejected with Amazon-style text."""
    op: Operation = operations()[op_name]
    raw = parse_qs(query, keep_blank_values=True)
    declared = {p.name for p in op.parameter("query")}
    unknown = sorted(set(raw) - declared)
    if unknown:
        raise Rejected(f"Unknown query parameter(s) for {op_name}: {', '.join(unknown)}.")
    params: dict[str, Any] = {}
    lowered = {k.lower(): v for k, v in headers.items()}
    for param in op.parameters:
        if param.location == "path":
            value: Any = path_params.get(param.name)
        elif param.location == "query":
            value = _convert(param, raw[param.name]) if param.name in raw else None
        elif param.location == "header":
            value = lowered.get(param.name.lower())
        else:
            continue
        if value is None:
            if param.required:
                raise Rejected(f"Missing required parameter {param.name}.")
            continue
        error = _first_error(_validator(op_name, param.location, param.name), value)
        if error is not None:
            raise Rejected(f"Invalid {param.location} parameter {param.name}: {error.message}")
        params[param.name] = value
    return params, _body(op_name, op, body)


def _body(op_name: str, op: Operation, body: bytes) -> Any:
    bodies = op.parameter("body")
    if not bodies:
        return None
    param = bodies[0]
    if not body.strip():
        if param.required:
            raise Rejected("The request body is missing.")
        return None
    try:
        value = json.loads(body)
    except ValueError:
        raise Rejected("The request body is not valid JSON.") from None
    error = _first_error(_validator(op_name, "body", param.name), value)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise Rejected(f"Invalid request body at {where}: {error.message}")
    return value


def response_problem(op_name: str, status: int, body: Any) -> str | None:
    """Why a response the sandbox is about to send does not match the model (None if it does)."""
    validator = _response_validator(op_name, status)
    if validator is None:
        return None
    error = _first_error(validator, body)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "body"
    return f"{op_name} {status} response at {where}: {error.message}"
