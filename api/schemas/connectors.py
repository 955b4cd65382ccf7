"""Schemas of custom actions and data sources: the body is the spec itself."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.connectors import ActionSpec, DataSourceSpec


class ActionPublic(BaseModel):
    name: str
    spec: ActionSpec
    created_at: datetime
    updated_at: datetime


class DataSourcePublic(BaseModel):
    name: str
    spec: DataSourceSpec
    created_at: datetime
    updated_at: datetime
