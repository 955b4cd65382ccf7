"""`wayline temporal setup`: registers Wayline's search attributes on an existing cluster.

The dev server gets them on its command line; a production cluster (self-hosted or Cloud)
needs them added once per namespace before the first journey starts, or every
signal-with-start carrying them fails. Running it again is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from core.names import SEARCH_ATTRIBUTES
from core.settings import Settings

# The names Wayline uses in core/names.py, as the operator service spells the types.
_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}
_NAMES = {v: k for k, v in _TYPES.items()}


class SearchAttributeConflict(Exception):
    """A search attribute Wayline needs exists with another type; it cannot be changed."""


@dataclass
class SetupResult:
    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


async def ensure_search_attributes(
    client: Client, namespace: str, wanted: dict[str, str] | None = None
) -> SetupResult:
    """Adds the missing ones; refuses (before adding any) if one exists with another type."""
    wanted = SEARCH_ATTRIBUTES if wanted is None else wanted
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    present = {**dict(listed.system_attributes), **dict(listed.custom_attributes)}
    result = SetupResult()
    conflicts = []
    for name, kind in wanted.items():
        if name not in present:
            result.added.append(name)
        elif present[name] == _TYPES[kind]:
            result.existing.append(name)
        else:
            have = _NAMES.get(present[name], str(present[name]))
            conflicts.append(f"{name} exists as {have}, Wayline needs {kind}")
    if conflicts:
        raise SearchAttributeConflict(
            f"namespace {namespace!r}: "
            + "; ".join(conflicts)
            + " (a search attribute's type cannot be changed: use another namespace)"
        )
    if result.added:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={name: _TYPES[wanted[name]] for name in result.added},
            )
        )
    return result


async def setup_cluster(settings: Settings) -> SetupResult:
    """What `wayline temporal setup` does, against TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE."""
    return await ensure_search_attributes_at(settings.temporal_address, settings.temporal_namespace)


async def ensure_search_attributes_at(address: str, namespace: str) -> SetupResult:
    client = await Client.connect(address, namespace=namespace)
    return await ensure_search_attributes(client, namespace)
