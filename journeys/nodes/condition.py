"""`condition`: branch on expressions, the first true one wins; never blocks (but may first
reload a stale profile its branches read, or always with `refresh`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import Field

from journeys.expressions import CONTEXT_NAMES
from journeys.fields import DefinitionModel, ExpressionStr, NodeRef
from journeys.nodes.base import Expression, NodeModel, NodeType, Raw, count
from journeys.nodes.context import StepContext
from journeys.nodes.errors import FieldPath
from journeys.nodes.values import shown
from journeys.runtime import Check, Command, JourneyState, LoadProfile


class Branch(DefinitionModel):
    """One arm of a condition: taken when `when` is true."""

    when: ExpressionStr = Field(description="Jinja2 expression, e.g. \"profile.plan == 'pro'\".")
    next: NodeRef = Field(description="Node to go to when `when` is true.")


class ConditionNode(NodeModel):
    """Branch on expressions, first true wins; never blocks."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1, description="Evaluated in order.")
    otherwise: NodeRef = Field(description="Node to go to when no branch is true.")
    refresh: bool = Field(
        default=False,
        description="Reload the profile before evaluating, even if it was loaded recently "
        "(by default it is reloaded only after a wait, and only if a branch reads it).",
    )


class ConditionType(NodeType[ConditionNode]):
    model = ConditionNode
    resumes = True  # it rests here while the profile its branches read is reloaded

    def edges(self, raw: Raw) -> list[FieldPath]:
        return [*(("branches", i, "next") for i in range(count(raw, "branches"))), ("otherwise",)]

    def expressions(self, raw: Raw) -> Iterator[Expression]:
        branches = raw.get("branches")
        for index, branch in enumerate(branches if isinstance(branches, list) else []):
            if isinstance(branch, Mapping) and branch.get("when") is not None:
                yield ("branches", index, "when"), branch.get("when"), CONTEXT_NAMES

    def enter(self, node: ConditionNode, ctx: StepContext) -> str | None:
        if node.refresh:
            ctx.state.profile_stale = True  # reloaded before the branches are evaluated
        return self.act(node, ctx)

    def act(self, node: ConditionNode, ctx: StepContext) -> str | None:
        stale = node.refresh and ctx.state.profile_stale
        if stale or ctx.needs_profile([branch.when for branch in node.branches]):
            return None  # LoadProfile first
        return self._choose(node, ctx)

    def _choose(self, node: ConditionNode, ctx: StepContext) -> str:
        """First branch whose `when` is true, else `otherwise`."""
        checks: list[Check] = []
        for index, branch in enumerate(node.branches):
            value = ctx.evaluate(branch.when, ("branches", index, "when"))
            checks.append(Check(expression=branch.when, value=shown(value)))
            if value:
                ctx.leave(f"branch {index}", checks=checks)
                return branch.next
        ctx.leave("otherwise", checks=checks)
        return node.otherwise

    def command(self, node: ConditionNode, state: JourneyState) -> Command | None:
        return LoadProfile()  # it rests here only while waiting for a fresh profile
