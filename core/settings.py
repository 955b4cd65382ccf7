"""The one configuration class every Wayline process reads (environment first)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Wayline's configuration; external servers are chosen by these values alone."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    temporal_address: str = Field("localhost:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE")
    database_url: str = Field("postgresql://postgres@127.0.0.1:55432/wayline", alias="DATABASE_URL")

    data_dir: Path = Field(Path(".wayline"), alias="WAYLINE_DATA_DIR")
    api_host: str = Field("127.0.0.1", alias="WAYLINE_API_HOST")
    api_port: int = Field(8000, alias="WAYLINE_API_PORT")
    temporal_port: int = Field(7233, alias="WAYLINE_TEMPORAL_PORT")
    temporal_ui_port: int = Field(8233, alias="WAYLINE_TEMPORAL_UI_PORT")
    postgres_port: int = Field(55432, alias="WAYLINE_POSTGRES_PORT")

    api_url: str = Field("http://127.0.0.1:8000", alias="WAYLINE_API_URL")
    api_key: str | None = Field(None, alias="WAYLINE_API_KEY")
    bootstrap_key: str | None = Field(None, alias="WAYLINE_BOOTSTRAP_KEY")
    task_queue: str = Field("wayline", alias="WAYLINE_TASK_QUEUE")

    max_body_bytes: int = Field(1_048_576, alias="WAYLINE_MAX_BODY_BYTES")
    max_batch_events: int = Field(1000, alias="WAYLINE_MAX_BATCH_EVENTS")

    dispatch_batch: int = Field(200, alias="WAYLINE_DISPATCH_BATCH")
    dispatch_concurrency: int = Field(64, alias="WAYLINE_DISPATCH_CONCURRENCY")
    dispatch_lease_seconds: float = Field(60.0, alias="WAYLINE_DISPATCH_LEASE_SECONDS")
    dispatch_sweep_seconds: float = Field(5.0, alias="WAYLINE_DISPATCH_SWEEP_SECONDS")

    send_timeout_seconds: float = Field(30.0, alias="WAYLINE_SEND_TIMEOUT_SECONDS")
    webhook_timeout_seconds: float = Field(10.0, alias="WAYLINE_WEBHOOK_TIMEOUT_SECONDS")
    webhook_url: str | None = Field(None, alias="WAYLINE_WEBHOOK_URL")

    action_allowed_hosts: str = Field(
        "",
        alias="WAYLINE_ACTION_ALLOWED_HOSTS",
        description="Comma-separated hosts that actions may call even if internal",
    )

    worker_max_concurrent_activities: int = Field(200, alias="WAYLINE_WORKER_ACTIVITIES")
    worker_max_concurrent_workflow_tasks: int = Field(100, alias="WAYLINE_WORKER_WORKFLOW_TASKS")
    worker_max_cached_workflows: int = Field(10_000, alias="WAYLINE_WORKER_CACHED_WORKFLOWS")
    worker_workflow_pollers: int = Field(8, alias="WAYLINE_WORKER_WORKFLOW_POLLERS")
    worker_activity_pollers: int = Field(8, alias="WAYLINE_WORKER_ACTIVITY_POLLERS")


@lru_cache
def get_settings() -> Settings:
    """Settings are read once per process; tests build their own instances."""
    return Settings()


def allowed_hosts(settings: Settings) -> frozenset[str]:
    return frozenset(
        h.strip().lower() for h in settings.action_allowed_hosts.split(",") if h.strip()
    )
