"""The error a node raises to end the journey `errored` at the node it is in."""

from __future__ import annotations

FieldPath = tuple[str | int, ...]
"""A field inside a node, e.g. `("branches", 0, "when")` for `branches[0].when`."""


class NodeError(Exception):
    """Ends the journey `errored`; raised deep in a node type, caught by the interpreter.

    The interpreter names the reason `nodes.<id>.<field>: <message>` (or
    `nodes.<id>: <message>` without a field), so node types need not format paths.
    """

    def __init__(self, field: FieldPath, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
