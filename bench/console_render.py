"""The console's speed: a big journey's canvas in headless Chromium, and the live counts
behind it from the API, each beside a baseline measured in the same run.

    .venv/bin/python -m bench.console_render [--nodes 200] [--visits 100000] [--rounds 5]

Starts the embedded stack (PostgreSQL, Temporal dev server, `wayline api` serving the built
console: run `source scripts/_console.sh; console_build` first), publishes a journey of
`--nodes` nodes (conditions, messages and waits in a chain with skips) and a 3-node one, and
writes `--visits` step-ledger rows for the big journey, as the workflows would have.

- canvas: from navigating to the journey's page until every node is drawn, then until a
  click on the start node has opened its panel (interactive), in Chromium at 1280x800;
  median over the rounds, beside the same for the 3-node journey;
- counts: `GET /v1/journeys/{id}/report` (the ledger queries and one visibility count per
  node), median over the rounds, beside a bare `count(*)` of the same step rows.

The last lines are `ratio_canvas=<big / small>` and `ratio_counts=<report / count(*)>`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Page, async_playwright

from bench.stack import ROOT, Stack, launch, run_in_stack, wait_api

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TEMPLATE = "bench-canvas"
BIG, SMALL = "bench-canvas-big", "bench-canvas-small"
START_BIG, START_SMALL = "n0 condition", "n0 message"  # the start nodes' accessible names


def big_journey(n: int) -> dict[str, Any]:
    """`n` nodes: a chain of conditions (each may skip one), messages and waits, then end."""
    last = n - 1
    nodes: dict[str, Any] = {}
    for i in range(last):
        after = f"n{i + 1}" if i + 1 < last else "done"
        kind = i % 3
        if kind == 0:
            skip = f"n{i + 2}" if i + 2 < last else "done"
            nodes[f"n{i}"] = {
                "type": "condition",
                "branches": [{"when": f"event.properties.total > {i}", "next": after}],
                "otherwise": skip,
            }
        elif kind == 1:
            nodes[f"n{i}"] = {
                "type": "message",
                "channel": "log",
                "template": TEMPLATE,
                "next": after,
            }
        else:
            nodes[f"n{i}"] = {"type": "wait", "duration": "PT1M", "next": after}
    nodes["done"] = {"type": "end"}
    return {
        "id": BIG,
        "name": "Canvas benchmark",
        "entry": {"event": "bench.canvas"},
        "start": "n0",
        "nodes": nodes,
    }


SMALL_JOURNEY = {
    "id": SMALL,
    "name": "Canvas baseline",
    "entry": {"event": "bench.canvas.small"},
    "start": "n0",
    "nodes": {
        "n0": {"type": "message", "channel": "log", "template": TEMPLATE, "next": "n1"},
        "n1": {"type": "wait", "duration": "PT1M", "next": "done"},
        "done": {"type": "end"},
    },
}


async def publish(http: httpx.AsyncClient, definition: dict[str, Any]) -> None:
    jid = definition["id"]
    (await http.put(f"/v1/journeys/{jid}", json=definition)).raise_for_status()
    (await http.post(f"/v1/journeys/{jid}/publish")).raise_for_status()


async def seed_visits(pool: asyncpg.Pool, definition: dict[str, Any], visits: int) -> None:
    """Every profile visits every node once: `visits` step rows of version 1."""
    names = list(definition["nodes"])
    types = [definition["nodes"][n]["type"] for n in names]
    profiles = max(1, visits // len(names))
    await pool.execute(
        "INSERT INTO journey_steps (run_id, node_id, visit, workflow_id, journey_id, version,"
        " profile_id, node_type, entered_at, seq, left_at, outcome, detail)"
        " SELECT 'r' || p, n.name, 1, 'w' || p, $1, 1, 'p' || p, n.type,"
        "  now() - interval '1 hour', n.i, now(), 'exited', 'elapsed'"
        " FROM generate_series(1, $2) p,"
        "      unnest($3::text[], $4::text[]) WITH ORDINALITY AS n(name, type, i)",
        definition["id"],
        profiles,
        names,
        types,
    )
    await pool.execute("ANALYZE journey_steps")


async def time_counts(
    http: httpx.AsyncClient, pool: asyncpg.Pool, rounds: int
) -> tuple[float, float]:
    report, bare = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        (await http.get(f"/v1/journeys/{BIG}/report")).raise_for_status()
        report.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await pool.fetchval(
            "SELECT count(*) FROM journey_steps WHERE journey_id = $1 AND version = 1", BIG
        )
        bare.append(time.perf_counter() - t0)
    return statistics.median(report), statistics.median(bare)


async def sign_in(page: Page, url: str, key: str) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Journeys").wait_for()


async def open_canvas(
    page: Page, url: str, jid: str, nodes: int, start: str
) -> tuple[float, float]:
    """Seconds until every node is drawn, and until the start node's panel is open."""
    t0 = time.perf_counter()
    await page.goto(f"{url}/console/journeys/{jid}")
    await page.wait_for_function(
        f"document.querySelectorAll('.react-flow__node').length >= {nodes}", timeout=60_000
    )
    drawn = time.perf_counter() - t0
    # By the keyboard, as the canvas allows: at the zoom that fits 200 nodes, the start node
    # may lie outside the viewport, where a pointer cannot reach it.
    await page.get_by_role("button", name=start, exact=True).focus()
    await page.keyboard.press("Enter")
    await page.locator(f'aside[aria-label="Node {start.split()[0]}"]').wait_for()
    return drawn, time.perf_counter() - t0


async def time_canvas(url: str, key: str, n: int, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        "big drawn": [],
        "big interactive": [],
        "small drawn": [],
        "small interactive": [],
    }
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await sign_in(page, url, key)
        await open_canvas(page, url, BIG, n, START_BIG)  # warm: the bundle is cached from now on
        for _ in range(rounds):
            for label, jid, count, start in (
                ("big", BIG, n, START_BIG),
                ("small", SMALL, 3, START_SMALL),
            ):
                drawn, ready = await open_canvas(page, url, jid, count, start)
                out[f"{label} drawn"].append(drawn)
                out[f"{label} interactive"].append(ready)
        await browser.close()
    return out


async def run(args: argparse.Namespace, stack: Stack) -> None:
    if not (ROOT / "console" / "dist" / "index.html").is_file():
        raise SystemExit("build the console first: source scripts/_console.sh; console_build")
    up = await launch(stack)
    async with (
        httpx.AsyncClient(
            base_url=up.api_url, timeout=120, headers={"Authorization": f"Bearer {up.key}"}
        ) as http,
        asyncpg.create_pool(up.settings.database_url, min_size=1, max_size=2) as pool,
    ):
        await wait_api(http, stack)
        body = {"channel": "log", "body": "hello"}
        (await http.put(f"/v1/templates/{TEMPLATE}", json=body)).raise_for_status()
        big = big_journey(args.nodes)
        for definition in (big, SMALL_JOURNEY):
            await publish(http, definition)
        await seed_visits(pool, big, args.visits)
        report, bare = await time_counts(http, pool, args.rounds)
        canvas = await time_canvas(up.api_url, up.key, args.nodes, args.rounds)
    print(f"console: a {args.nodes}-node journey, {args.visits} visits, {args.rounds} rounds")
    for label, values in canvas.items():
        print(f"  canvas {label:<18} {1000 * statistics.median(values):8.0f} ms")
    print(f"  GET report ({args.visits} visits)  {1000 * report:8.1f} ms")
    print(f"  bare count(*)                {1000 * bare:8.1f} ms")
    big_ready = statistics.median(canvas["big interactive"])
    small_ready = statistics.median(canvas["small interactive"])
    print(f"ratio_canvas={big_ready / small_ready:.2f}")
    print(f"ratio_counts={report / bare:.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=200)
    p.add_argument("--visits", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the data folder and the logs")
    args = p.parse_args(argv)
    return run_in_stack("wayline-bench-console-", args.keep, lambda stack: run(args, stack))


if __name__ == "__main__":
    raise SystemExit(main())
