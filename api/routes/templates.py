"""Message templates: Jinja2 text per channel, compiled when saved."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import JourneysWriter, JsonBody, PoolDep
from api.errors import FieldError, field, invalid
from api.routes.named import Docs, add_read_routes, saved
from api.schemas.common import ERRORS, TemplateNamePath
from api.schemas.templates import TemplatePublic, TemplateUpdate
from journeys.expressions import ExpressionError, compile_template
from services import definitions
from services.definitions import TEMPLATE

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
    row, created = await definitions.put(
        pool,
        TEMPLATE,
        name,
        body.channel,
        body.subject,
        body.body,
        body.html,
        body.topic,
        body.transactional,
    )
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
