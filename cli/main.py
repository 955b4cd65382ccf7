"""The `wayline` command: dev stack, single components, migrations, validate and publish."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from cli import backtest, devfile, imports, keys
from core.logs import configure_logging
from core.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wayline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run the embedded stack: Postgres, Temporal, API, worker")
    a = sub.add_parser("api", help="run the HTTP API against TEMPORAL_ADDRESS and DATABASE_URL")
    a.add_argument(
        "--workers", type=int, help="processes sharing the port (default WAYLINE_API_WORKERS, 1)"
    )
    w = sub.add_parser("worker", help="run the Temporal workers and the event dispatcher")
    w.add_argument("--no-dispatcher", action="store_true", help="workers only")
    m = sub.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    m.add_argument("--create", action="store_true", help="create the database if missing")
    v = sub.add_parser("validate", help="check a journey definition file (YAML or JSON)")
    v.add_argument("file", type=Path)
    v.add_argument(
        "--server",
        action="store_true",
        help="check with the API as publish does: templates, entity types (WAYLINE_API_URL)",
    )
    p = sub.add_parser("publish", help="upload a journey file as draft and publish it")
    p.add_argument("file", type=Path)
    t = sub.add_parser("temporal", help="operate the Temporal cluster Wayline runs on")
    t_sub = t.add_subparsers(dest="temporal_command", required=True)
    t_sub.add_parser(
        "setup", help="register Wayline's search attributes in TEMPORAL_NAMESPACE (idempotent)"
    )
    sub.add_parser("mail-catcher", help="run wayline dev's SMTP mail catcher (keeps all mail)")
    imports.add_parser(sub)
    backtest.add_parser(sub)
    keys.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    configure_logging(settings)
    handlers = {
        "dev": _dev,
        "api": _api,
        "worker": _worker,
        "migrate": _migrate,
        "validate": _validate,
        "publish": _publish,
        "temporal": _temporal,
        "import": imports.run,
        "backtest": backtest.run,
        "mail-catcher": _mail_catcher,
        "keys": keys.run,
    }
    if args.command in FINDS_DEV_STACK:
        settings = devfile.apply(settings)
    try:
        return handlers[args.command](settings, args)
    except OSError as exc:  # a server that is not there: say where, never a traceback
        print(f"wayline {args.command}: {exc}", file=sys.stderr)
        return 1


# Commands that find a running `wayline dev` by its file when their variables are unset.
FINDS_DEV_STACK = ("validate", "publish", "import", "backtest")


def _mail_catcher(settings: Settings, args: argparse.Namespace) -> int:
    from cli.mail_catcher import run

    return run(settings)


def _dev(settings: Settings, args: argparse.Namespace) -> int:
    from cli.devstack import run_dev

    return run_dev(settings)


def _api(settings: Settings, args: argparse.Namespace) -> int:
    from api.keys import announce_bootstrap_key
    from cli import api_process

    workers = settings.api_workers if args.workers is None else args.workers
    if workers < 1:
        print("wayline api: --workers must be at least 1", file=sys.stderr)
        return 2
    asyncio.run(announce_bootstrap_key(settings))
    if workers == 1:
        app, telemetry = api_process.build(settings)
        _serve(app, settings)
        telemetry.shutdown()
    else:  # each process is spawned afresh and builds its own app from the environment
        _serve(api_process.FACTORY, settings, factory=True, workers=workers)
    return 0


def _serve(app: Any, settings: Settings, **more: Any) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        access_log=False,
        log_config=None,  # uvicorn's loggers go through ours (WAYLINE_LOG_FORMAT)
        **more,
    )


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    # The sandbox re-imports workflow modules for every run; without .pyc files each journey
    # recompiles them (14% of worker time under PYTHONDONTWRITEBYTECODE, bench/README.md).
    sys.dont_write_bytecode = False
    from core.telemetry import configure
    from workers.worker import serve

    telemetry = configure(settings, "wayline-worker")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop, dispatch=not args.no_dispatcher)

    asyncio.run(run())
    telemetry.shutdown()
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import migrate_url

    applied = asyncio.run(migrate_url(settings.database_url, create=args.create))
    print(f"applied migrations: {applied}" if applied else "database is up to date")
    return 0


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    """Offline, the language's own checks; with `--server`, the API's, which also know the
    templates and entity types a definition names (what publish would refuse)."""
    from journeys.loader import DefinitionSyntaxError, load_text

    try:
        text = args.file.read_text()
        data = load_text(text, _content_type(args.file))
    except (OSError, DefinitionSyntaxError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if args.server and not settings.api_key:
        return _no_key()
    problems = _server_problems(settings, args.file, text) if args.server else _problems(data)
    if problems is None:
        return 1
    for path, message in problems:
        print(f"{args.file}: {path}: {message}", file=sys.stderr)
    if not problems:
        print(f"{args.file}: valid")
    return 1 if problems else 0


def _problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    from core.names import KNOWN_CHANNELS
    from journeys.validate import parse_definition

    _, problems = parse_definition(data, known_channels=set(KNOWN_CHANNELS))
    return [(p.path, p.message) for p in problems]


def _server_problems(settings: Settings, path: Path, text: str) -> list[tuple[str, str]] | None:
    """(path, message) of every problem the API finds, or None when it cannot be asked."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.api_key}", "Content-Type": _content_type(path)}
    try:
        with httpx.Client(base_url=settings.api_url, timeout=30) as http:
            resp = http.post(
                "/v1/journeys/validate",
                params={"check_templates": "true"},
                content=text.encode(),
                headers=headers,
            )
    except httpx.TransportError as exc:
        _unreachable(settings, exc)
        return None
    if resp.status_code >= 300:
        print(f"{path}: the API answered {resp.status_code}: {resp.text}", file=sys.stderr)
        return None
    return [(p["path"], p["message"]) for p in resp.json()["problems"]]


def _no_key() -> int:
    print(
        "no API key: start `wayline dev` (found by itself) or set WAYLINE_API_KEY "
        "(and WAYLINE_API_URL if not local)",
        file=sys.stderr,
    )
    return 2


def _unreachable(settings: Settings, exc: Exception) -> None:
    print(
        f"cannot reach the API at {settings.api_url} ({exc}); is it running? "
        "WAYLINE_API_URL sets the address (a running `wayline dev` is found by itself)",
        file=sys.stderr,
    )


def _publish(settings: Settings, args: argparse.Namespace) -> int:
    import httpx

    from journeys.loader import DefinitionSyntaxError, load_text

    if not settings.api_key:
        return _no_key()
    text = args.file.read_text()
    try:
        journey_id = load_text(text, _content_type(args.file)).get("id")
    except DefinitionSyntaxError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if not journey_id:
        print(f"{args.file}: the definition has no `id`", file=sys.stderr)
        return 1
    headers = {
        "Authorization": f"Bearer {settings.api_key}",
        "Content-Type": _content_type(args.file),
    }
    try:
        with httpx.Client(base_url=settings.api_url, timeout=30) as http:
            resp = http.put(f"/v1/journeys/{journey_id}", content=text.encode(), headers=headers)
            if resp.status_code < 300:
                resp = http.post(f"/v1/journeys/{journey_id}/publish", headers=headers)
    except httpx.TransportError as exc:
        _unreachable(settings, exc)
        return 1
    if resp.status_code >= 300:
        print(json.dumps(resp.json(), indent=2), file=sys.stderr)
        return 1
    print(f"published {journey_id} version {resp.json()['version']}")
    return 0


def _temporal(settings: Settings, args: argparse.Namespace) -> int:
    from workers.temporal_setup import SearchAttributeConflict, setup_cluster

    try:
        result = asyncio.run(setup_cluster(settings))
    except SearchAttributeConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the client could not connect
        print(f"error: {settings.temporal_address}: {exc}", file=sys.stderr)
        return 1
    ns = settings.temporal_namespace
    for name in result.added:
        print(f"added search attribute {name} to namespace {ns}")
    if result.existing:
        print(f"already registered in namespace {ns}: {', '.join(result.existing)}")
    return 0


def _content_type(path: Path) -> str:
    return "application/json" if path.suffix == ".json" else "application/yaml"


if __name__ == "__main__":
    sys.exit(main())
