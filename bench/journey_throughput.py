"""Journey throughput of the whole stack, against bare Temporal on the same server.

    .venv/bin/python bench/journey_throughput.py [--profiles 2000] [--concurrency 32] [--keep]

Starts its own embedded PostgreSQL and Temporal dev server in a temporary folder, the API
(`python -m cli.main api`) and the worker (`python -m cli.main worker`, Temporal
workers and dispatcher) as subprocesses, and is itself the load generator. In order:

1. bare baseline: the same number of signal-with-starts (fresh id each) of a workflow
   running 3 empty local activities, as many as a journey `condition -> message(log) ->
   end` runs (enter, send, finish); its worker (`python -m bench.bare_worker`) is a
   subprocess with the journey worker's settings. Then, for information, 3 regular
   activities. Both run before the journeys, on a fresh server, and their worker is
   stopped before the journey worker starts: a Temporal database that already holds their
   histories can only slow the journeys down, so the ratio is not flattered (see README).
2. journeys at full speed: every profile POSTs one entry event to /v1/events with bounded
   concurrency; accepted/s (client side), routed/s (events.dispatched_at) and completed/s
   (journey_entries.ended_at), all timed from the first POST to the last row.
3. latency: events paced at half the completion rate of 2, event -> message latency
   (events.received_at -> messages.created_at), p50 and p99.

The last line is `ratio=<journeys per s / bare workflows per s>`. Every process it starts is
stopped at the end, on errors and on Ctrl-C; the data folder is removed unless --keep.
Knobs: WAYLINE_WORKER_* and WAYLINE_DISPATCH_* from the environment reach both workers;
--sqlite-pragma and --dynamic-config change the Temporal dev server.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bench.harness import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
