"""Server-sent events (``text/event-stream``): a rollout's snapshot whenever it changes.

The stream reads the state store every ``poll`` seconds (one small SQLite read) and sends the
snapshot as one ``snapshot`` event when its JSON differs from the last one sent, a comment every
``keepalive`` seconds otherwise (so proxies keep the connection), and an ``end`` event once the
rollout is done or aborted. It stops when the client goes away or the server begins to stop;
``EventSource`` reconnects by itself after ``retry`` milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

FINISHED = ("done", "aborted")


def event(data: str, name: str | None = None, event_id: str | None = None) -> str:
    """One SSE message; every line of ``data`` gets its own ``data:`` field."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {_one_line(event_id)}")
    if name is not None:
        lines.append(f"event: {_one_line(name)}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return "\n".join(lines) + "\n\n"


def comment(text: str) -> str:
    return f": {_one_line(text)}\n\n"


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


async def snapshots(
    read: Callable[[], dict[str, Any]],
    *,
    closing: threading.Event,
    disconnected: Callable[[], Any],
    poll: float = 1.0,
    keepalive: float = 15.0,
    retry_ms: int = 3000,
) -> AsyncIterator[str]:
    """The stream of one rollout; ``read`` returns its snapshot (called in a worker thread)."""
    yield f"retry: {retry_ms}\n\n"
    last, quiet, seq = "", 0.0, 0
    while not closing.is_set():
        if await disconnected():
            return
        snap = await asyncio.to_thread(read)
        data = json.dumps(snap, sort_keys=True, separators=(",", ":"))
        if data != last:
            seq += 1
            yield event(data, "snapshot", str(seq))
            last, quiet = data, 0.0
        elif quiet >= keepalive:
            yield comment("keep-alive")
            quiet = 0.0
        if snap.get("state") in FINISHED and not snap.get("driver"):
            yield event(json.dumps({"state": snap["state"]}), "end")
            return
        await asyncio.sleep(poll)
        quiet += poll
