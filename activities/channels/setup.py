"""What a channel is built from: the worker's settings and its shared connections."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import httpx

from activities.channels.links import Links
from core.settings import Settings, public_url, secret


@dataclass(frozen=True)
class Setup:
    settings: Settings
    pool: asyncpg.Pool
    http: httpx.AsyncClient

    @property
    def links(self) -> Links:
        return Links(secret(self.settings.signing_secret), public_url(self.settings))
