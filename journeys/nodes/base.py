"""What a node type is: its model, what the validator checks of it, what it does in a run.

Every node type is one module of this package with one `NodeType` subclass, registered in
the table of `journeys.nodes`. The validator hands the methods of the first group the raw
node (a mapping, whatever else is wrong with it), so that graph problems are still
reported when the model rejects the node; the interpreter hands the others the parsed
model and the step's context. Each method's default suits a node that does not do that
thing, so a module implements only what its node does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args

from journeys.durations import duration_upper_bound
from journeys.fields import DefinitionModel
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.records import Event
from journeys.runtime import Command, Input, JourneyState

Raw = Mapping[str, Any]
"""A node as written in the definition: a mapping of which any field may be malformed."""
Expression = tuple[FieldPath, object, frozenset[str]]
"""(field, source, names it may read) of an expression of a node."""
Finding = tuple[FieldPath, str]
"""(field, message) of a problem of a node."""


class NodeModel(DefinitionModel):
    """Base of the node models; each declares `type` as the literal that names it."""

    if TYPE_CHECKING:
        type: str


N = TypeVar("N", bound=NodeModel)


@dataclass(frozen=True)
class Graph:
    """What a node's cross-references are checked against: the nodes and the journey."""

    journey_id: object
    ids: set[str]
    nodes: Mapping[str, Raw]


@dataclass(frozen=True)
class Catalogs:
    """Names that exist, by kind (channels, templates, actions, sources, journeys, decisions);
    None where the caller did not give that kind, so it is not checked."""

    channels: set[str] | None = None
    templates: set[str] | None = None
    actions: set[str] | None = None
    sources: set[str] | None = None
    journeys: set[str] | None = None
    decisions: set[str] | None = None


@dataclass(frozen=True)
class Resource:
    """A field naming a published resource: its catalog and how a problem names it."""

    field: str
    catalog: str  # a field of Catalogs
    label: str


class NodeType(Generic[N]):
    """One node type: its model plus the hooks the validator and the interpreter call."""

    model: ClassVar[type[NodeModel]]
    resource: ClassVar[Resource | None] = None
    resumes: ClassVar[bool] = False
    """Whether the node acts again when a fresh profile arrives while it rests there."""

    @property
    def name(self) -> str:
        """The `type` of the node in a definition, from the model's literal."""
        annotation = self.model.model_fields["type"].annotation
        return str(get_args(annotation)[0])

    # --- validation, on the raw node ---------------------------------------------------

    def edges(self, raw: Raw) -> list[FieldPath]:
        """The fields that may name a node to go to (the validator reads their targets)."""
        return []

    def blocks(self, raw: Raw) -> bool:
        """Whether entering the node makes the journey wait, so a cycle through it is fine."""
        return False

    def expressions(self, raw: Raw) -> Iterator[Expression]:
        """The Jinja2 expressions of the node, with the names each may read."""
        return iter(())

    def templates(self, raw: Raw) -> Iterator[tuple[FieldPath, str]]:
        """The Jinja2 templates of the node."""
        return iter(())

    def waits(self, raw: Raw) -> Iterator[tuple[str, object]]:
        """(field, duration) of the waits of the node, none longer than the journey timeout."""
        return iter(())

    def references(self, raw: Raw, graph: Graph) -> Iterator[Finding]:
        """Problems with what the node names besides its targets (other nodes, journeys)."""
        return iter(())

    def catalog_problems(self, raw: Raw, catalogs: Catalogs) -> Iterator[Finding]:
        """Channels or templates the node names that do not exist."""
        return iter(())

    def resource_problems(self, raw: Raw, catalogs: Catalogs) -> Iterator[Finding]:
        """The published resource the node names (`resource`), if it does not exist."""
        spec = self.resource
        known = getattr(catalogs, spec.catalog) if spec is not None else None
        value = raw.get(spec.field) if spec is not None else None
        if spec is not None and known is not None and isinstance(value, str) and value not in known:
            yield (spec.field,), f"unknown {spec.label} {value!r}"

    # --- running -----------------------------------------------------------------------

    def enter(self, node: N, ctx: StepContext) -> str | None:
        """The journey arrives at the node: by default, what `act` does."""
        return self.act(node, ctx)

    def act(self, node: N, ctx: StepContext) -> str | None:
        """Do what the node does; return the node to go to at once, or None if it blocks."""
        return None

    def command(self, node: N, state: JourneyState) -> Command | None:
        """What the driver must do while the journey rests at the node (no wait pending)."""
        return None

    def on_timer(self, node: N, ctx: StepContext) -> str | None:
        """The node's wait is over (the interpreter has cleared it); the node to go to."""
        return None

    def on_result(self, node: N, ctx: StepContext, inp: Input) -> str | None:
        """The result of the node's command; the node to go to. Other inputs: no change."""
        return None

    def awaits(self, node: N, state: JourneyState, event: Event) -> bool:
        """Whether the node, waiting, awaits this event (it then wins over `exit_on`)."""
        return False

    def reads_profile(self, node: N, ctx: StepContext) -> bool:
        """Whether deciding on an awaited event needs a fresh profile first."""
        return False

    def receive(self, node: N, ctx: StepContext, event: Event) -> str | None:
        """An awaited event arrived: the node to go to if the node takes it, else None."""
        return None


def position(state: JourneyState) -> tuple[str, int]:
    """(node id, visit number) of the node the journey is at: what names its command."""
    node_id = state.node or ""
    return node_id, state.visits.get(node_id, 1)


def count(raw: Raw, field: str) -> int:
    """How many items the list `field` of a raw node has (0 if it is not a list)."""
    items = raw.get(field)
    return len(items) if isinstance(items, list) else 0


def waits_a_while(duration: object) -> bool:
    """Whether a (raw) duration is longer than zero; a malformed one counts as waiting,
    since it is reported as malformed, not as a cycle."""
    try:
        return duration_upper_bound(duration).total_seconds() > 0  # type: ignore[arg-type]
    except ValueError:
        return True
