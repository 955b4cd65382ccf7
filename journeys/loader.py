"""Reading definition files: YAML or JSON text into a plain mapping.

Only for the API and the CLI (the workflow receives already parsed definitions), so this
is the one module of the package that imports PyYAML. The YAML loader is the safe one,
narrowed further: anchors and aliases are refused (they make "billion laughs" documents
possible), duplicate keys are errors instead of silently keeping the last one, and
timestamps stay strings (every field of a definition is a string, not a date).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_SOURCE = 1_000_000  # characters of a definition file
MAX_NESTING = 64  # levels of mappings and lists: far beyond any journey, far below recursion
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class DefinitionSyntaxError(ValueError):
    """The text is not a YAML/JSON mapping; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, without duplicate keys, without timestamps."""

    yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            raise DefinitionSyntaxError("YAML aliases (*name) are not supported", line)
        if self.depth >= MAX_NESTING:
            raise DefinitionSyntaxError(f"nested deeper than {MAX_NESTING} levels", line)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise DefinitionSyntaxError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def is_json(content_type: str | None) -> bool:
    """`application/json`, `text/json`, `application/vnd.x+json` (parameters ignored)."""
    if not content_type:
        return False
    media = content_type.split(";")[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


def load_text(text: str, content_type: str | None = None) -> dict[str, Any]:
    """Parse a definition as JSON (JSON content type) or YAML (anything else)."""
    if len(text) > MAX_SOURCE:
        raise DefinitionSyntaxError(f"definition too large (limit {MAX_SOURCE:,} characters)")
    data = _load_json(text) if is_json(content_type) else _load_yaml(text)
    if not isinstance(data, dict):
        raise DefinitionSyntaxError(f"a definition must be a mapping, got {_describe(data)}", 1)
    return data


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DefinitionSyntaxError(f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise DefinitionSyntaxError(f"invalid YAML: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise DefinitionSyntaxError(f"invalid JSON: {name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DefinitionSyntaxError(f"duplicate key {key!r}")
        data[key] = value
    return data


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DefinitionSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise DefinitionSyntaxError(f"nested deeper than {MAX_NESTING} levels") from None


def _describe(value: Any) -> str:
    if value is None:
        return "an empty document"
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)
