"""The SP-API operations as the packaged JSON models define them: paths, parameters, usage plans.

Read by the connector (each operation's rate and burst) and by the sandbox (to route requests and
validate them). Nothing is read until first asked for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

MODEL_FILES = (
    "reports_2021-06-30.json",
    "fbaInventory.json",
    "fulfillmentInboundV0.json",
    "fulfillmentInbound_2024-03-20.json",
    "sellers.json",
)
_METHODS = ("get", "post", "put", "patch", "delete")
# "| Rate (requests per second) | Burst |" followed by "| 2 | 15 |" in each operation's description.
_USAGE_PLAN = re.compile(r"\|\s*([0-9]*\.?[0-9]+)\s*\|\s*([0-9]+)\s*\|")
# Operations without a documented plan get a cautious one.
DEFAULT_RATE, DEFAULT_BURST = 1.0, 1


@dataclass(frozen=True, slots=True)
class Parameter:
    """One Swagger 2.0 parameter, its JSON schema built from the parameter's own keywords."""

    name: str
    location: str  # query, path, header, body
    required: bool
    schema: dict[str, Any]
    collection_format: str | None = None


@dataclass(frozen=True, slots=True)
class StaticExample:
    """An `x-amzn-api-sandbox` static example: these parameters get this response."""

    status: int
    parameters: dict[str, Any]
    response: Any


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    model: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    rate: float
    burst: int
    responses: dict[int, dict[str, Any] | None]  # status -> response body schema
    definitions: dict[str, Any] = field(repr=False)
    static_examples: tuple[StaticExample, ...] = field(default=(), repr=False)
    pattern: re.Pattern[str] = field(default=re.compile(""), repr=False)

    @property
    def literal_length(self) -> int:
        """How much of the path is fixed text (more specific templates win)."""
        return len(re.sub(r"\{[^}]+\}", "", self.path))

    def parameter(self, location: str) -> list[Parameter]:
        return [p for p in self.parameters if p.location == location]


_PARAM_KEYWORDS = (
    "type",
    "format",
    "enum",
    "items",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "default",
)


def _parameter(raw: dict[str, Any], shared: dict[str, Any]) -> Parameter:
    if "$ref" in raw:
        raw = shared[raw["$ref"].rsplit("/", 1)[-1]]
    location = raw["in"]
    if location == "body":
        schema = dict(raw.get("schema") or {})
    else:
        schema = {k: v for k, v in raw.items() if k in _PARAM_KEYWORDS}
    return Parameter(
        name=raw["name"],
        location=location,
        required=bool(raw.get("required")),
        schema=schema,
        collection_format=raw.get("collectionFormat"),
    )


def _usage_plan(description: str) -> tuple[float, int]:
    found = _USAGE_PLAN.search(description or "")
    if found is None:
        return DEFAULT_RATE, DEFAULT_BURST
    return float(found.group(1)), int(found.group(2))


def _examples(responses: dict[str, Any]) -> tuple[StaticExample, ...]:
    out = []
    for code, response in responses.items():
        if not code.isdigit() or not isinstance(response, dict):
            continue
        sandbox = response.get("x-amzn-api-sandbox") or {}
        for example in sandbox.get("static") or ():
            params = (example.get("request") or {}).get("parameters") or {}
            values = {name: spec.get("value") for name, spec in params.items()}
            out.append(StaticExample(int(code), values, example.get("response")))
    return tuple(out)


def _template_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts if p
    )
    return re.compile(f"^{regex}$")


def _load(name: str) -> list[Operation]:
    text = resources.files(__package__).joinpath("models", name).read_text("utf-8")
    model = json.loads(text)
    definitions = model.get("definitions") or {}
    shared = model.get("parameters") or {}
    out = []
    for path, item in model["paths"].items():
        if not isinstance(item, dict):
            continue
        common = [_parameter(p, shared) for p in item.get("parameters") or ()]
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            own = [_parameter(p, shared) for p in op.get("parameters") or ()]
            names = {(p.name, p.location) for p in own}
            params = [p for p in common if (p.name, p.location) not in names] + own
            rate, burst = _usage_plan(op.get("description", ""))
            responses = {
                int(code): (r.get("schema") if isinstance(r, dict) else None)
                for code, r in (op.get("responses") or {}).items()
                if code.isdigit()
            }
            out.append(
                Operation(
                    operation_id=op["operationId"],
                    model=name.removesuffix(".json"),
                    method=method.upper(),
                    path=path,
                    parameters=tuple(params),
                    rate=rate,
                    burst=burst,
                    responses=responses,
                    definitions=definitions,
                    static_examples=_examples(op.get("responses") or {}),
                    pattern=_template_pattern(path),
                )
            )
    return out


@cache
def operations() -> dict[str, Operation]:
    """Every operation of the packaged models by operationId (model-qualified if ambiguous)."""
    every = [op for name in MODEL_FILES for op in _load(name)]
    counts: dict[str, int] = {}
    for op in every:
        counts[op.operation_id] = counts.get(op.operation_id, 0) + 1
    return {
        (op.operation_id if counts[op.operation_id] == 1 else f"{op.model}.{op.operation_id}"): op
        for op in every
    }


def operation(name: str) -> Operation:
    return operations()[name]


def route(method: str, path: str) -> tuple[str, Operation, dict[str, str]] | None:
    """The operation a request is for, and its path parameters (most specific template wins)."""
    best: tuple[str, Operation, dict[str, str]] | None = None
    for name, op in operations().items():
        if op.method != method:
            continue
        found = op.pattern.match(path)
        if found and (best is None or op.literal_length > best[1].literal_length):
            best = (name, op, found.groupdict())
    return best


def path_exists(path: str) -> bool:
    """Whether any operation (of any method) has this path."""
    return any(op.pattern.match(path) for op in operations().values())
