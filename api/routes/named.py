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

    page: Any = Page[public]  # type: ignore[valid-type]

    async def list_all(pool: PoolDep, _: Reader) -> Any:
        rows = await definitions.list_all(pool, kind)
        return page(items=[public.model_validate(dict(r)) for r in rows], count=len(rows))

    async def read(name: TemplateNamePath, pool: PoolDep, _: Reader) -> Any:
        return public.model_validate(dict(await definitions.read(pool, kind, name)))

    async def delete(name: TemplateNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
        await definitions.delete(pool, kind, name)
        return Response(status_code=204)

    routes: list[tuple[str, Any, str, str, str, dict[str, Any]]] = [
        ("", list_all, "GET", f"list_{docs.plural}", docs.list, {"response_model": page}),
        ("/{name}", read, "GET", f"get_{docs.singular}", docs.read, {"response_model": public}),
        ("/{name}", delete, "DELETE", f"delete_{docs.singular}", docs.delete, {"status_code": 204}),
    ]
    for path, endpoint, method, name, description, extra in routes:
        router.add_api_route(
            path, endpoint, methods=[method], name=name, description=description, **extra
        )


def saved(response: Response, created: bool) -> None:
    """A PUT answers 201 when it created the definition, 200 when it replaced it."""
    response.status_code = 201 if created else 200
