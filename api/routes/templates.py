"""Message templates: Jinja2 text per channel, compiled when saved."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader
from api.errors import ApiError, FieldError, field, invalid, not_found
from api.schemas.common import ERRORS, Page, TemplateNamePath
from api.schemas.templates import TemplatePublic, TemplateUpdate
from db.sql import q
from journeys.expressions import ExpressionError, compile_template

router = APIRouter(
    prefix="/templates", tags=["templates"], dependencies=[JsonBody], responses=ERRORS
)


def _compile_problems(body: TemplateUpdate) -> list[FieldError]:
    problems = []
    sources = (
        ("subject", body.subject, False),
        ("body", body.body, False),
        ("html", body.html, True),
    )
    for name, source, html in sources:
        if source is None:
            continue
        try:
            compile_template(source, html)
        except ExpressionError as exc:
            problems.append(field(name, str(exc)))
    return problems


@router.put("/{name}", responses={201: {"model": TemplatePublic}})
async def put_template(
    name: TemplateNamePath,
    body: TemplateUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> TemplatePublic:
    """Create or replace a template; subject and body must compile."""
    if problems := _compile_problems(body):
        raise invalid(problems, "the template does not compile")
    row = await pool.fetchrow(
        q("put_template"),
        name,
        body.channel,
        body.subject,
        body.body,
        body.html,
        body.topic,
        body.transactional,
    )
    assert row is not None
    response.status_code = 201 if row["created"] else 200
    return TemplatePublic(**{k: v for k, v in row.items() if k != "created"})


@router.get("")
async def list_templates(pool: PoolDep, _: Reader) -> Page[TemplatePublic]:
    """List templates by name."""
    rows = await pool.fetch(q("list_templates"))
    return Page(items=[TemplatePublic(**dict(r)) for r in rows], count=len(rows))


@router.get("/{name}")
async def get_template(name: TemplateNamePath, pool: PoolDep, _: Reader) -> TemplatePublic:
    """Read a template."""
    row = await pool.fetchrow(q("read_template"), name)
    if row is None:
        raise not_found(f"template {name!r}")
    return TemplatePublic(**dict(row))


@router.delete("/{name}", status_code=204)
async def delete_template(name: TemplateNamePath, pool: PoolDep, _: JourneysWriter) -> Response:
    """Delete a template no live journey version uses."""
    async with pool.acquire() as conn, conn.transaction():
        users = [r["journey_id"] for r in await conn.fetch(q("live_journeys_using_template"), name)]
        if users:
            raise ApiError(409, f"template {name!r} is used by live journeys: {', '.join(users)}")
        if await conn.fetchval(q("delete_template"), name) is None:
            raise not_found(f"template {name!r}")
    return Response(status_code=204)
