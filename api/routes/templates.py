"""Message templates: Jinja2 text per channel, compiled when saved."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep
from api.routes.named import Docs, add_read_routes, saved
from api.schemas.common import ERRORS, TemplateNamePath
from api.schemas.templates import TemplatePublic, TemplateUpdate
from services import templates
from services.definitions import TEMPLATE
from services.templates import Parts, TemplateSpec

router = APIRouter(
    prefix="/templates", tags=["templates"], dependencies=[JsonBody], responses=ERRORS
)


def _spec(body: TemplateUpdate) -> TemplateSpec:
    return TemplateSpec(
        channel=body.channel,
        parts=Parts(body.body, body.subject, body.html),
        topic=body.topic,
        transactional=body.transactional,
        locales={tag: Parts(v.body, v.subject, v.html) for tag, v in body.locales.items()},
    )


@router.put("/{name}", responses={201: {"model": TemplatePublic}})
async def put_template(
    name: TemplateNamePath,
    body: TemplateUpdate,
    pool: PoolDep,
    response: Response,
    _: JourneysWriter,
) -> TemplatePublic:
    """Create or replace a template; every part compiles, with the fragments it includes."""
    row, created = await templates.save(pool, name, _spec(body))
    saved(response, created)
    return TemplatePublic.model_validate(row)


add_read_routes(
    router,
    TEMPLATE,
    TemplatePublic,
    Docs(
        "template",
        "templates",
        list="List templates by name.",
        read="Read a template.",
        delete="Delete a template no live journey version uses.",
    ),
)
