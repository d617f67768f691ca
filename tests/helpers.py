from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from asgi import application

ORIGIN = [(b"origin", b"http://testserver")]


class Socket:
    """A test client speaking the live protocol over a real consumer."""

    def __init__(self, path: str, token: str | None = None, origin=ORIGIN) -> None:
        url = f"{path}?token={token}" if token else path
        self.comm = WebsocketCommunicator(application, url, headers=origin)
        self.events: list[dict[str, Any]] = []
        self.others: list[dict[str, Any]] = []
        self._n = 0

    async def connect(self) -> tuple[bool, int | None]:
        return await self.comm.connect()

    async def send(self, type: str, payload: dict | None = None, id: Any = None) -> Any:
        self._n += 1
        rid = id if id is not None else f"r{self._n}"
        await self.comm.send_to(text_data=json.dumps({"type": type, "id": rid, "payload": payload or {}}))
        return rid

    async def recv(self, timeout: float = 3.0) -> dict[str, Any]:
        msg = json.loads(await self.comm.receive_from(timeout=timeout))
        if msg.get("type") == "event":
            self.events.append(msg)
        else:
            self.others.append(msg)
        return msg

    async def reply(self, rid: Any, timeout: float = 3.0) -> dict[str, Any]:
        """Read until the reply to `rid`, collecting events on the way."""
        while True:
            msg = await self.recv(timeout)
            if msg.get("in_response") == rid and msg.get("type") != "event":
                return msg

    async def call(self, type: str, **payload: Any) -> dict[str, Any]:
        return await self.reply(await self.send(type, payload))

    async def drain(self, quiet: float = 0.3) -> None:
        # receive_nothing, unlike a timed-out receive, leaves the application running.
        while not await self.comm.receive_nothing(timeout=quiet):
            await self.recv()

    async def close(self) -> None:
        await self.comm.disconnect()


@database_sync_to_async
def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key
