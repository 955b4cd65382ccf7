"""The JSON Schema of journey definitions, for editors and for `schemas/journey.schema.json`.

Generated from the pydantic models so that it cannot drift from what the validator
accepts; a unit test compares it with the committed file. Regenerate with
`python -m journeys.schema > schemas/journey.schema.json`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from journeys.model import JourneyDefinition

SCHEMA_ID = "https://wayline.dev/schemas/journey.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DESCRIPTION = (
    "A Wayline journey: the event that enters a profile, the graph of nodes it walks "
    "(message, wait, condition, wait_for_event, split, experiment, action, fetch, "
    "update_profile, jump, end) and the events that make it leave. "
    "Durations are ISO 8601 (PT1H, P1D, P1M); expressions are Jinja2."
)


def json_schema() -> dict[str, Any]:
    """The schema as a dict, `$schema` and `$id` first."""
    schema = JourneyDefinition.model_json_schema()
    schema.pop("description", None)
    schema["properties"]["nodes"]["additionalProperties"] = False  # ids must match the pattern
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema, "description": DESCRIPTION}


def render() -> str:
    """The schema as the text of the committed file."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
