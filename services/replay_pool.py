"""Pure replays of chunks of profiles on every core (the backtest's parallelism).

The interpreter is CPU-bound Python, so threads would share one core; a process pool runs a
chunk per core while the event loop streams the next chunks from PostgreSQL. A lone chunk
(a small backtest) runs in a thread instead: starting processes would cost more than it
saves. The pool is started on first use with `forkserver`, never `fork`, since the API
process has threads and open connections a forked child must not inherit.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

C = TypeVar("C")
R = TypeVar("R")

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    return os.cpu_count() or 1


def _processes() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(max_workers=workers(), mp_context=context)
    return _pool


async def map_chunks(
    fn: Callable[..., R], chunks: AsyncIterator[C], *args: Any
) -> AsyncIterator[R]:
    """`fn(*args, chunk)` for every chunk, results in chunk order, at most one chunk per
    core in flight so memory stays flat however many chunks there are."""
    first = await anext(chunks, None)
    if first is None:
        return
    second = await anext(chunks, None)
    if second is None:
        yield await asyncio.to_thread(fn, *args, first)
        return
    loop, pool = asyncio.get_running_loop(), _processes()
    task: Callable[[C], R] = functools.partial(fn, *args)
    pending: deque[asyncio.Future[R]] = deque(
        loop.run_in_executor(pool, task, c) for c in (first, second)
    )
    async for chunk in chunks:
        pending.append(loop.run_in_executor(pool, task, chunk))
        if len(pending) > workers():
            yield await pending.popleft()
    while pending:
        yield await pending.popleft()
