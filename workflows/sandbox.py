"""The workflow runner shared by workers and the replay tests, so both see the same code."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# Pure, deterministic modules are shared with the sandbox instead of re-imported per run:
# the Jinja2 environment and compiled expressions are then built once per process.
PASSTHROUGH = (
    "journeys",
    "core",
    "jinja2",
    "markupsafe",
    "pydantic",
    "pydantic_core",
    "isodate",
    "yaml",
    # The tracing interceptor's spans are made outside the sandbox; passing OpenTelemetry
    # through keeps one context module and one tracer provider per process.
    "opentelemetry",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )
