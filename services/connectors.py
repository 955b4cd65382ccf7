"""Saving custom actions and data sources: a spec whose secret would reach a host the
secret is not bound to is refused here, before any journey can call it."""

from __future__ import annotations

from typing import Any

import asyncpg

from core.connectors import HttpSpec, secret_refusal, url_host
from services import definitions
from services.errors import FieldProblem, Invalid


def check_secret_host(spec: HttpSpec) -> None:
    """Invalid naming `auth.secret` when the URL's host is not among the secret's hosts."""
    if spec.auth is None:
        return
    refusal = secret_refusal(spec.auth.secret, url_host(spec.url))
    if refusal is not None:
        raise Invalid([FieldProblem("auth.secret", refusal)], refusal)


async def save(
    pool: asyncpg.Pool, kind: definitions.Kind, name: str, spec: HttpSpec
) -> tuple[dict[str, Any], bool]:
    """Create or replace an action or data source once its secret may go to its host."""
    check_secret_host(spec)
    return await definitions.put(pool, kind, name, spec.model_dump(mode="json"))
