"""The journey language of Wayline, pure: no clock, no randomness, no I/O.

- `model`: the journey definition; `fields`: the field types its parts share;
  `records`: the `Event`/`Profile` runtime data definitions read.
- `nodes`: one module per node type (model, checks, behaviour) and the table `NODE_KINDS`.
- `durations`: ISO 8601 durations, calendar-aware.
- `clock`: local wall-clock times (weekday waits, quiet hours) in IANA timezones.
- `loader`: YAML/JSON text to a mapping (API and CLI only; imports PyYAML).
- `validate`: every problem of a definition at once, with paths.
- `expressions` (over `sandbox`): Jinja2 expressions and templates with resource limits.
- `runtime` / `interpreter`: the state machine the Temporal workflow drives.
- `routing`: what the event router asks of a definition.
- `schema`: the JSON Schema (`python -m journeys.schema`).

Safe to import inside the Temporal workflow sandbox (stdlib incl. hashlib and zoneinfo,
pydantic, jinja2, isodate).
"""
