"""Previews and proofs of a template, rendered by the worker's channels (services/previews.py)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import JourneysWriter, JsonBody, PoolDep, Reader, SettingsDep, TemporalDep
from api.schemas.common import ERRORS, TemplateNamePath
from api.schemas.previews import PreviewCreate, ProofCreate, ProofMessage, ProofsPublic
from core.content_contracts import PreviewResult
from journeys.model import Profile
from services import previews
from services.previews import Sample

router = APIRouter(
    prefix="/templates", tags=["templates"], dependencies=[JsonBody], responses=ERRORS
)


def _sample(body: PreviewCreate) -> Sample:
    inline = body.profile
    return Sample(
        profile_id=body.profile_id,
        profile=Profile(**inline.model_dump()) if inline is not None else None,
        event_name=body.event.name,
        properties=body.event.properties,
        vars=body.vars,
        campaign=body.campaign,
    )


@router.post("/{name}/preview")
async def preview_template(
    name: TemplateNamePath,
    body: PreviewCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: Reader,
) -> PreviewResult:
    """Every part of the message as its channel would send it to this profile: subject, text,
    HTML with the layout and tracked links, SMS segments, push and webhook payloads."""
    return await previews.preview(pool, temporal, settings.task_queue, name, _sample(body))


@router.post("/{name}/proofs", status_code=202)
async def send_template_proofs(
    name: TemplateNamePath,
    body: ProofCreate,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    _: JourneysWriter,
) -> ProofsPublic:
    """Send the message this profile would get to each test address; the ledger marks them
    `proof`: no consent or caps apply, caps never count them, reports never show them."""
    sent = await previews.send_proofs(
        pool, temporal, settings.task_queue, name, _sample(body), body.to
    )
    messages = [ProofMessage(message_id=m, to=to) for m, to in sent.messages]
    return ProofsPublic(proof_id=sent.proof_id, messages=messages)
