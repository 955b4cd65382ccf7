"""The one configuration class every Wayline process reads (environment first)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    api_workers: int = Field(
        1,
        ge=1,
        le=64,
        alias="WAYLINE_API_WORKERS",
        description="API processes sharing the port (`wayline api --workers`); one per core",
    )
    temporal_port: int = Field(7233, alias="WAYLINE_TEMPORAL_PORT")
    temporal_ui_port: int = Field(8233, alias="WAYLINE_TEMPORAL_UI_PORT")
    temporal_ui_url: str | None = Field(
        None,
        alias="WAYLINE_TEMPORAL_UI_URL",
        description="The Temporal Web UI as the console's viewers reach it; set by wayline dev",
    )
    postgres_port: int = Field(55432, alias="WAYLINE_POSTGRES_PORT")
    dev_mail_port: int = Field(
        1025, alias="WAYLINE_DEV_MAIL_PORT", description="wayline dev's mail catcher (SMTP)"
    )
    dev_mail_dir: Path | None = Field(
        None,
        alias="WAYLINE_DEV_MAIL_DIR",
        description="Maildir of caught mail, read by GET /v1/dev/mail; set by wayline dev",
    )

    console_dir: Path | None = Field(None, alias="WAYLINE_CONSOLE_DIR")

    api_url: str = Field("http://127.0.0.1:8000", alias="WAYLINE_API_URL")
    api_key: str | None = Field(None, alias="WAYLINE_API_KEY")
    bootstrap_key: str | None = Field(None, alias="WAYLINE_BOOTSTRAP_KEY")
    task_queue: str = Field("wayline", alias="WAYLINE_TASK_QUEUE")

    max_body_bytes: int = Field(1_048_576, alias="WAYLINE_MAX_BODY_BYTES")
    max_batch_events: int = Field(1000, alias="WAYLINE_MAX_BATCH_EVENTS")
    backpressure_backlog: int | None = Field(
        100_000,
        ge=1,
        alias="WAYLINE_BACKPRESSURE_BACKLOG",
        description="Bulk ingest answers 429 while more events than this wait to be routed",
    )
    backpressure_lag_seconds: float | None = Field(
        None,
        gt=0,
        alias="WAYLINE_BACKPRESSURE_LAG_SECONDS",
        description="Bulk ingest answers 429 while the oldest unrouted event is this old",
    )
    backpressure_retry_after: int = Field(
        10, ge=1, alias="WAYLINE_BACKPRESSURE_RETRY_AFTER", description="Retry-After of a 429"
    )

    dispatch_batch: int = Field(200, alias="WAYLINE_DISPATCH_BATCH")
    dispatch_concurrency: int = Field(64, alias="WAYLINE_DISPATCH_CONCURRENCY")
    dispatch_lease_seconds: float = Field(60.0, alias="WAYLINE_DISPATCH_LEASE_SECONDS")
    dispatch_sweep_seconds: float = Field(5.0, alias="WAYLINE_DISPATCH_SWEEP_SECONDS")
    audience_refresh_seconds: float = Field(
        3600.0,
        alias="WAYLINE_AUDIENCE_REFRESH_SECONDS",
        description="How often time-relative audiences are re-evaluated in full",
    )

    send_timeout_seconds: float = Field(30.0, alias="WAYLINE_SEND_TIMEOUT_SECONDS")
    webhook_timeout_seconds: float = Field(10.0, alias="WAYLINE_WEBHOOK_TIMEOUT_SECONDS")
    webhook_url: str | None = Field(None, alias="WAYLINE_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(
        None,
        alias="WAYLINE_WEBHOOK_SECRET",
        description="Signs webhook bodies: `Wayline-Signature: t=<unix>,v1=<hex HMAC-SHA256>`",
    )

    signing_secret: SecretStr | None = Field(
        None,
        alias="WAYLINE_SIGNING_SECRET",
        description="Signs unsubscribe links; without it emails carry no unsubscribe link",
    )
    public_url: str | None = Field(
        None,
        alias="WAYLINE_PUBLIC_URL",
        description="Base URL of the API as recipients reach it (links); default api_url",
    )

    smtp_host: str = Field("127.0.0.1", alias="WAYLINE_SMTP_HOST")
    smtp_port: int = Field(25, alias="WAYLINE_SMTP_PORT")
    smtp_username: str | None = Field(None, alias="WAYLINE_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, alias="WAYLINE_SMTP_PASSWORD")
    smtp_starttls: bool = Field(False, alias="WAYLINE_SMTP_STARTTLS")
    smtp_tls: bool = Field(False, alias="WAYLINE_SMTP_TLS", description="Implicit TLS (465)")
    smtp_pool_size: int = Field(4, alias="WAYLINE_SMTP_POOL_SIZE")
    smtp_timeout_seconds: float = Field(30.0, alias="WAYLINE_SMTP_TIMEOUT_SECONDS")
    email_from: str = Field("Wayline <noreply@localhost>", alias="WAYLINE_EMAIL_FROM")
    email_layout: str | None = Field(
        "layout",
        alias="WAYLINE_EMAIL_LAYOUT",
        description="Name of an email template wrapping every email ({{ content }}), if it exists",
    )
    inbox_token_ttl_seconds: int = Field(86_400, alias="WAYLINE_INBOX_TOKEN_TTL_SECONDS")

    sms_base_url: str = Field("https://api.twilio.com", alias="WAYLINE_SMS_BASE_URL")
    sms_account_sid: str | None = Field(None, alias="WAYLINE_SMS_ACCOUNT_SID")
    sms_auth_token: SecretStr | None = Field(None, alias="WAYLINE_SMS_AUTH_TOKEN")
    sms_from: str | None = Field(None, alias="WAYLINE_SMS_FROM")

    fcm_service_account: SecretStr | None = Field(
        None,
        alias="WAYLINE_FCM_SERVICE_ACCOUNT",
        description="Path of the Google service-account JSON key, or the JSON itself",
    )
    fcm_base_url: str = Field("https://fcm.googleapis.com", alias="WAYLINE_FCM_BASE_URL")

    email_tracking: bool = Field(
        True,
        alias="WAYLINE_EMAIL_TRACKING",
        description="Open pixel and click redirects in HTML email (needs the signing secret)",
    )
    email_unsubscribe_mailto: str | None = Field(
        None, alias="WAYLINE_EMAIL_UNSUBSCRIBE_MAILTO", description="mailto List-Unsubscribe"
    )

    export_dir: Path | None = Field(
        None,
        alias="WAYLINE_EXPORT_DIR",
        description="Local file destinations write under this directory (none: refused)",
    )
    action_allowed_hosts: str = Field(
        "",
        alias="WAYLINE_ACTION_ALLOWED_HOSTS",
        description="Comma-separated hosts that actions may call even if not globally routable",
    )

    worker_max_concurrent_activities: int = Field(200, alias="WAYLINE_WORKER_ACTIVITIES")
    worker_max_concurrent_workflow_tasks: int = Field(100, alias="WAYLINE_WORKER_WORKFLOW_TASKS")
    worker_max_cached_workflows: int = Field(10_000, alias="WAYLINE_WORKER_CACHED_WORKFLOWS")
    worker_workflow_pollers: int = Field(16, alias="WAYLINE_WORKER_WORKFLOW_POLLERS")
    worker_activity_pollers: int = Field(16, alias="WAYLINE_WORKER_ACTIVITY_POLLERS")

    otlp_endpoint: str | None = Field(
        None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP collector (e.g. http://otel-collector:4318); no traces when unset",
    )
    otel_service_name: str | None = Field(
        None, alias="OTEL_SERVICE_NAME", description="default wayline-api / wayline-worker"
    )
    log_format: Literal["text", "json"] = Field("text", alias="WAYLINE_LOG_FORMAT")
    log_level: str = Field("INFO", alias="WAYLINE_LOG_LEVEL")
    metrics_token: SecretStr | None = Field(
        None,
        alias="WAYLINE_METRICS_TOKEN",
        description="Bearer token for GET /metrics (besides API keys with the read scope)",
    )
    worker_metrics_host: str = Field("127.0.0.1", alias="WAYLINE_WORKER_METRICS_HOST")
    worker_metrics_port: int = Field(
        9464, alias="WAYLINE_WORKER_METRICS_PORT", description="worker /metrics; 0 turns it off"
    )
    worker_health_host: str = Field("127.0.0.1", alias="WAYLINE_WORKER_HEALTH_HOST")
    worker_health_port: int = Field(
        9465, alias="WAYLINE_WORKER_HEALTH_PORT", description="worker GET /health; 0 turns it off"
    )
    worker_stuck_seconds: float = Field(
        60.0,
        alias="WAYLINE_WORKER_STUCK_SECONDS",
        gt=0,
        description="A loop without a successful tick for its interval plus this is stuck",
    )
    fanout_concurrency: int = Field(
        32,
        alias="WAYLINE_FANOUT_CONCURRENCY",
        description="Signal-with-starts in flight per page of a read-audience run",
    )
    import_max_bytes: int = Field(
        10 * 1024**3,
        alias="WAYLINE_IMPORT_MAX_BYTES",
        description="Largest profile import upload, counted after gunzip (streamed, not held)",
    )
    alert_threshold: float = Field(
        0.2, alias="WAYLINE_ALERT_THRESHOLD", ge=0, le=1, description="Error rate that alerts"
    )
    alert_window_seconds: int = Field(300, alias="WAYLINE_ALERT_WINDOW_SECONDS", ge=1)
    alert_min_samples: int = Field(
        20, alias="WAYLINE_ALERT_MIN_SAMPLES", ge=1, description="Outcomes needed to open one"
    )
    alert_interval_seconds: float = Field(
        30.0, alias="WAYLINE_ALERT_INTERVAL_SECONDS", description="Evaluation period; 0 disables"
    )
    reconcile_seconds: float = Field(
        60.0,
        alias="WAYLINE_RECONCILE_SECONDS",
        description="How often ledgers of journey runs ended outside Wayline are closed; 0 off",
    )
    alert_webhook_url: str | None = Field(None, alias="WAYLINE_ALERT_WEBHOOK_URL")
    alert_webhook_secret: SecretStr | None = Field(
        None, alias="WAYLINE_ALERT_WEBHOOK_SECRET", description="Default: WAYLINE_WEBHOOK_SECRET"
    )


@lru_cache
def get_settings() -> Settings:
    """Settings are read once per process; tests build their own instances."""
    return Settings()


def public_url(settings: Settings) -> str:
    return (settings.public_url or settings.api_url).rstrip("/")


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def allowed_hosts(settings: Settings) -> frozenset[str]:
    return frozenset(
        h.strip().lower() for h in settings.action_allowed_hosts.split(",") if h.strip()
    )
