"""The journey language of Wayline, pure: no clock, no randomness, no I/O.

- `model`: definition models (and the `Event`/`Profile` runtime data they read).
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
