"""A member's or the chair's WebSocket to a real daphne, read by a background task so that frequent
server pushes (media.talking) never back up the connection while the test waits on media."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class LiveSocket:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self.hello: dict[str, Any] | None = None
        self._arrived = asyncio.Event()
        self._n = 0
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            if msg.get("type") == "event":
                self.events.append(msg)
            elif msg.get("type") == "hello":
                self.hello = msg
            elif "in_response" in msg:
                self.replies[str(msg["in_response"])] = msg
            self._arrived.set()

    async def call(self, msg_type: str, /, timeout: float = 10.0, **payload: Any) -> dict[str, Any]:
        """Send one message and return the reply that names it (ack, error, media.answer)."""
        self._n += 1
        rid = f"r{self._n}"
        await self.ws.send(json.dumps({"type": msg_type, "id": rid, "payload": payload}))
        try:
            async with asyncio.timeout(timeout):
                while rid not in self.replies:
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(f"no reply to {msg_type} within {timeout} s") from None
        return self.replies.pop(rid)

    def seen(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event_type]

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()
