"""The Channel protocol: all that the send activities know about a channel.

A channel says whom a profile's message goes to, whether its delivery is a local database
write (run as a local activity) or a provider call (on its own task queue), what it adds to
the rendered template, and how it delivers. Journey sends (`activities.messages`) and
campaign batches (`activities.campaign`) drive every channel through this protocol alone;
the rules, the ledger and the retries stay theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from activities.rules import Outgoing
from content.fragments import Fragment, sources_for
from content.locales import DEFAULT, choose
from core.contracts import SendInput
from journeys.expressions import Template as Compiled
from journeys.expressions import compile_template
from journeys.model import Profile

Template = Mapping[str, Any] | asyncpg.Record


@dataclass(frozen=True)
class Rendered:
    recipient: str | None
    subject: str | None
    body: str
    html: str | None = None
    unsubscribe_url: str | None = None
    locale: str = DEFAULT  # the template variant that went out (the ledger's `locale`)


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool, hard_bounce: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.hard_bounce = hard_bounce  # the address does not exist: suppress it


class AddressError(Exception):
    """A stored address the entry rules refuse (contacts/addresses.py), found while
    rendering: the message fails for good with this reason and nothing is sent."""


@dataclass(frozen=True)
class Delivery:
    """Who a provider call is for: what the channels need besides the rendered message."""

    message_id: str
    channel: str
    profile_id: str
    journey: dict[str, Any] = field(default_factory=dict)
    node_id: str | None = None
    campaign: dict[str, Any] | None = None

    @classmethod
    def of(cls, inp: SendInput) -> Delivery:
        return cls(inp.message_id, inp.channel, inp.profile_id, inp.journey, inp.node_id)


@dataclass(slots=True)
class Draft:
    """One message about to be rendered: its template, the names it may use, and for whom.

    `lookup` finds another template by name (the email layout), through the caller's cache.
    `fragments` are those the template (and the layout) may include, read for this render;
    the profile's `locale` attribute chooses the variant of each (content/locales.py).
    """

    name: str
    template: Template
    ctx: dict[str, Any]
    profile: Profile
    message_id: str
    journey_id: str | None
    lookup: Callable[[str], Awaitable[asyncpg.Record | None]]
    fragments: Mapping[str, Fragment] = field(default_factory=dict)

    @property
    def locale(self) -> str | None:
        return self.profile.locale

    def variant(self, template: Template | None = None) -> str:
        """The locale variant of `template` (default: the draft's) this profile gets."""
        t = self.template if template is None else template
        return choose(t.get("locales") or {}, self.locale) or DEFAULT

    def compile(self, source: str, html: bool = False) -> Compiled:
        """`source` compiled with the fragments it includes, in this profile's locale."""
        reached = sources_for([source], self.fragments, self.locale)
        return compile_template(source, html, reached)

    def text(self, template: Template | None = None) -> Template:
        """The `subject`, `body` and `html` sources of the profile's locale variant."""
        t = self.template if template is None else template
        key = self.variant(t)
        return t if key == DEFAULT else t["locales"][key]

    @staticmethod
    def sources(template: Template) -> list[str | None]:
        """Every Jinja source of a template, its locale variants' included."""
        texts = [template.get(k) for k in ("subject", "body", "html")]
        for variant in (template.get("locales") or {}).values():
            texts += [variant.get(k) for k in ("subject", "body", "html")]
        return texts

    def parts(self, template: Template | None = None) -> tuple[str | None, str, str | None]:
        """Subject, text body and HTML body of `template` (default: the draft's) in the
        profile's locale variant, rendered in `ctx`."""
        text = self.text(template)
        subject, html = text.get("subject"), text.get("html")
        return (
            self.compile(subject).render(self.ctx) if subject else None,
            self.compile(text["body"]).render(self.ctx),
            self.compile(html, True).render(self.ctx) if html else None,
        )


class Channel(Protocol):
    """What every channel module implements; `activities.channels` registers them by name."""

    name: str  # as journeys, templates and the ledger spell it; a key of core.names
    local: bool  # delivered by `write` in the ledger row's transaction, no provider call
    missing: str  # the skip reason of a profile without a recipient
    layout: str | None  # the template that wraps every message (email), if any

    def recipient(self, profile: Profile) -> str | None:
        """The address this channel sends to; None when the profile has none for it."""
        ...

    async def render(self, draft: Draft) -> Rendered:
        """The template's parts plus what this channel adds (email: links, layout)."""
        ...

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        """The provider call of one claimed message; ChannelError says retry or give up."""
        ...

    async def write(self, conn: Any, outs: Sequence[Outgoing]) -> None:
        """A local channel's delivery, in the transaction that claims these messages."""
        ...

    async def close(self) -> None:
        """Let go of the connections this channel keeps."""
        ...


class Defaults:
    """What most channels do: render the template as it is, keep no connections."""

    name: str
    layout: str | None = None

    def recipient(self, profile: Profile) -> str | None:
        return profile.email or profile.phone or profile.profile_id

    async def render(self, draft: Draft) -> Rendered:
        subject, body, html = draft.parts()
        return Rendered(self.recipient(draft.profile), subject, body, html)

    async def close(self) -> None:
        return None


class Remote(Defaults):
    """A channel delivered by a provider call, on the task queue of its name."""

    local = False
    missing = "no recipient"

    async def write(self, conn: Any, outs: Sequence[Outgoing]) -> None:
        return None  # nothing to write: the provider call delivers


class Local(Defaults):
    """A channel delivered by a database write with its ledger row; a retry finds the row."""

    local = True
    missing = "no recipient"

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        raise ChannelError(f"{self.name} is delivered with its ledger row", retryable=False)


class Unconfigured(Remote):
    """A channel this worker was not given: every send through it fails for good."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, delivery: Delivery, rendered: Rendered) -> None:
        raise ChannelError(f"channel {self.name!r} is not set up", retryable=False)
