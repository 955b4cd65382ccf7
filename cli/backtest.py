"""`wayline backtest FILE --since P30D --assert EXPR`: a guard rail for a CI pipeline.

The file (or a stored journey with `--journey`) is replayed by the API against the events it
stored; the command prints the predicted counts and exits 1 naming every assertion that
does not hold, so a pipeline can refuse a journey that would spam. Assertions are journey
expressions over the answer's names: `entered`, `max_messages_per_profile`,
`nodes.<id>.entered`, `nodes.<id>.messages.sent`, `finished.completed`, ...
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import httpx

from core.settings import Settings
from journeys.backtest import AssertionProblem, failed_assertions
from journeys.loader import DefinitionSyntaxError, load_text


def add_parser(sub: Any) -> None:
    b = sub.add_parser("backtest", help="replay a journey against the stored events")
    b.add_argument("file", type=Path, nargs="?", help="a journey definition (YAML or JSON)")
    b.add_argument("--journey", help="backtest a stored journey instead of a file")
    b.add_argument("--use", choices=["draft", "live"], help="with --journey: which definition")
    b.add_argument("--version", type=int, help="with --journey: a published version")
    b.add_argument("--since", default="P30D", help="window length before --end (ISO 8601)")
    b.add_argument("--start", help="window start (ISO 8601 date-time), instead of --since")
    b.add_argument("--end", help="window end (ISO 8601 date-time; default now)")
    b.add_argument("--responses", type=Path, help="JSON file: canned answers by action name")
    b.add_argument("--assert", dest="assertions", action="append", default=[], metavar="EXPR")
    b.add_argument("--json", action="store_true", help="print the whole answer as JSON")


class Usage(Exception):
    """A command line that cannot be run, said to the user as is."""


def run(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # stderr is for failed assertions
    try:
        journey_id, body = _request(args)
        answer = _post(settings, journey_id, body)
        failed = failed_assertions(answer, args.assertions)
    except (Usage, AssertionProblem) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2) if args.json else _report(answer))
    for src in failed:
        print(f"assertion failed: {src}", file=sys.stderr)
    return 1 if failed else 0


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"since": args.since}
    body |= {k: v for k in ("start", "end") if (v := getattr(args, k))}
    if args.responses:
        body["action_responses"] = _json_file(args.responses)
    if args.file is not None:
        if args.journey or args.use or args.version:
            raise Usage("give a FILE or --journey, not both")
        definition = _definition(args.file)
        return str(definition.get("id", "")), body | {"definition": definition}
    if not args.journey:
        raise Usage("give a journey FILE or --journey ID")
    body |= {k: v for k in ("use", "version") if (v := getattr(args, k))}
    return args.journey, body


def _definition(path: Path) -> dict[str, Any]:
    kind = "application/json" if path.suffix == ".json" else "application/yaml"
    try:
        data = load_text(path.read_text(), kind)
    except (OSError, DefinitionSyntaxError) as exc:
        raise Usage(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or not data.get("id"):
        raise Usage(f"{path}: the definition has no `id`")
    return data


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise Usage(f"{path}: {exc}") from exc


def _post(settings: Settings, journey_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not settings.api_key:
        raise Usage("set WAYLINE_API_KEY (and WAYLINE_API_URL if not local)")
    headers = {"Authorization": f"Bearer {settings.api_key}"}
    url = f"/v1/journeys/{journey_id}/backtest"
    try:
        with httpx.Client(base_url=settings.api_url, timeout=600) as http:
            resp = http.post(url, json=body, headers=headers)
    except httpx.TransportError as exc:
        raise Usage(f"{settings.api_url}: {exc} (WAYLINE_API_URL sets the address)") from exc
    if resp.status_code >= 300:
        raise Usage(f"the API answered {resp.status_code}: {resp.text}")
    answer: dict[str, Any] = resp.json()
    return answer


def _report(answer: dict[str, Any]) -> str:
    lines = [
        f"{answer['journey_id']} ({answer['source']}) from {answer['start']} to {answer['end']}",
        f"profiles {answer['profiles']}, entered {answer['entered']}, messages "
        f"{answer['messages']} (at most {answer['max_messages_per_profile']} per profile)",
        f"{'node':<24}{'entered':>9}{'exited':>8}{'waiting':>9}{'unknown':>9}  messages",
    ]
    for node, c in answer["nodes"].items():
        sent = ", ".join(f"{k} {v}" for k, v in (c.get("messages") or {}).items())
        lines.append(
            f"{node:<24}{c['entered']:>9}{c['exited']:>8}{c['waiting']:>9}{c['unknown']:>9}  {sent}"
        )
    return "\n".join(lines)
