"""The embedded media worker in the test process, with real aiortc peers connected through it over
the channel layer, as the member consumer would connect them."""

from __future__ import annotations

import asyncio
from typing import Any, Self

from channels.layers import get_channel_layer

from conference import gateway
from mediaworker import embedded
from meetings import events
from tests.conference.clients import Client


async def connect(meeting_id: int, person_id: int, client: Client, request_id: str = "o1") -> None:
    """Send `client`'s offer to the meeting's media worker and apply its answer."""
    layer = get_channel_layer()
    reply = await layer.new_channel()
    await events.send_media_request(meeting_id=meeting_id, person_id=person_id, msg_type="media.offer",
                                    payload=await client.offer(), reply_channel=reply, request_id=request_id)
    message = await asyncio.wait_for(layer.receive(reply), 10)
    answer = message["payload"]
    assert answer["type"] == "media.answer" and answer["in_response"] == request_id, answer
    await client.accept({"sdp": answer["sdp"], "type": "answer"})


class EmbeddedMedia:
    """`async with EmbeddedMedia() as media:` starts the embedded worker(s); `media.connect` connects a
    peer. On leaving, every peer is closed, the worker tasks are cancelled and every room is closed
    (and, with `public_streams=True`, the public streams stopped first), so the next test starts clean."""

    def __init__(self, *, public_streams: bool = False) -> None:
        self.public_streams = public_streams
        self.clients: list[Client] = []
        self.tasks: list[asyncio.Task[Any]] = []

    async def __aenter__(self) -> Self:
        embedded.ensure_embedded_worker()
        self.tasks = list(embedded._embedded.values())
        return self

    async def connect(self, meeting_id: int, person_id: int, client: Client) -> Client:
        self.clients.append(client)
        await connect(meeting_id, person_id, client)
        return client

    async def connect_all(self, meeting_id: int, clients: dict[int, Client]) -> None:
        for person_id, client in clients.items():
            await self.connect(meeting_id, person_id, client)

    async def __aexit__(self, *exc: object) -> None:
        if self.public_streams:
            from livestream.bridge import streams

            await streams.stop_all()
        for client in self.clients:
            await client.close()
        for task in self.tasks:
            task.cancel()
        embedded._embedded.clear()
        await gateway.rooms.close_all()
