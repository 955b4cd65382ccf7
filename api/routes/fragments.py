"""Fragments: reusable blocks of Jinja2 text that templates and fragments include."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.routes.named import saved
from api.schemas.common import ERRORS, FragmentNamePath, Page
from api.schemas.fragments import (
    FragmentPublic,
    FragmentUpdate,
    FragmentUsage,
    FragmentVersionPublic,
)
from services import fragments

router = APIRouter(
    prefix="/fragments", tags=["fragments"], dependencies=[JsonBody], responses=ERRORS
)


@router.put("/{name}", responses={201: {"model": FragmentPublic}})
async def put_fragment(
    name: FragmentNamePath,
    body: FragmentUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> FragmentPublic:
    """Create or replace a fragment (a new version); refused if it does not compile, includes
    an unknown fragment or closes an include cycle. Every template including it renders the
    new text from its next message on."""
    row, created = await fragments.save(pool, name, body.description, body.body, body.locales)
    saved(response, created)
    return FragmentPublic.model_validate(row)


@router.get("")
async def list_fragments(pool: PoolDep, _: Reader) -> Page[FragmentPublic]:
    """List fragments by name."""
    rows = await fragments.list_all(pool)
    return Page(items=[FragmentPublic.model_validate(dict(r)) for r in rows], count=len(rows))


@router.get("/{name}")
async def get_fragment(name: FragmentNamePath, pool: PoolDep, _: Reader) -> FragmentPublic:
    """Read a fragment."""
    return FragmentPublic.model_validate(dict(await fragments.read(pool, name)))


@router.get("/{name}/versions")
async def list_fragment_versions(
    name: FragmentNamePath, pool: PoolDep, _: Reader
) -> Page[FragmentVersionPublic]:
    """Every saved version of a fragment, newest first."""
    rows = await fragments.versions(pool, name)
    items = [FragmentVersionPublic.model_validate(dict(r)) for r in rows]
    return Page(items=items, count=len(items))


@router.get("/{name}/usage")
async def get_fragment_usage(name: FragmentNamePath, pool: PoolDep, _: Reader) -> FragmentUsage:
    """The templates and fragments that include this fragment."""
    using = await fragments.users(pool, name)
    return FragmentUsage(templates=using[fragments.TEMPLATE], fragments=using[fragments.FRAGMENT])


@router.delete("/{name}", status_code=204)
async def delete_fragment(name: FragmentNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Delete a fragment nothing includes (409 names the templates and fragments that do)."""
    await fragments.delete(pool, name)
    return Response(status_code=204)
