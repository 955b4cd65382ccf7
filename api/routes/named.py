"""The list, read and delete routes every definition kept by name has (templates, actions,
data sources): one code, so their answers and errors cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import JourneysWriter, PoolDep, Reader
from api.schemas.common import Page, TemplateNamePath
from services import definitions
from services.definitions import Kind


@dataclass(frozen=True)
class Docs:
    """The operation names (`list_actions`, …) and descriptions of one kind's routes."""

    singular: str
    plural: str
    list: str
    read: str
    delete: str


def add_read_routes(router: APIRouter, kind: Kind, public: type[BaseModel], docs: Docs) -> None:
    """`GET ""`, `GET /{name}` and `DELETE /{name}` for `kind`, answered as `public`."""

    async def list_all(pool: PoolDep, _: Reader) -> Any:
        rows = await definitions.list_all(pool, kind)
        return Page[public](  # type: ignore[valid-type]
            items=[public.model_validate(dict(r)) for r in rows], count=len(rows)
        )

    async def read(name: TemplateNamePath, pool: PoolDep, _: Reader) -> Any:
        return public.model_validate(dict(await definitions.read(pool, kind, name)))

    async def delete(name: TemplateNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
        await definitions.delete(pool, kind, name)
        return Response(status_code=204)

    router.add_api_route(
        "",
        list_all,
        methods=["GET"],
        name=f"list_{docs.plural}",
        description=docs.list,
        response_model=Page[public],  # type: ignore[valid-type]
    )
    router.add_api_route(
        "/{name}",
        read,
        methods=["GET"],
        name=f"get_{docs.singular}",
        description=docs.read,
        response_model=public,
    )
    router.add_api_route(
        "/{name}",
        delete,
        methods=["DELETE"],
        name=f"delete_{docs.singular}",
        description=docs.delete,
        status_code=204,
    )


def saved(response: Response, created: bool) -> None:
    """A PUT answers 201 when it created the definition, 200 when it replaced it."""
    response.status_code = 201 if created else 200
