"""/healthz: 200 when the database and the channel layer answer, 503 otherwise."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse


async def _layer_roundtrip() -> None:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is configured in settings"
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def healthz(request: HttpRequest) -> JsonResponse:
    status: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = f"ok ({connection.vendor})"
    except Exception as exc:  # report, never raise: this is what monitoring reads
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        async_to_sync(_layer_roundtrip)()
        status["channel_layer"] = f"ok ({get_channel_layer().__class__.__name__})"
    except Exception as exc:
        status["channel_layer"] = f"error: {exc.__class__.__name__}"
    ok = all(v.startswith("ok") for v in status.values())
    return JsonResponse({"status": "ok" if ok else "error", **status}, status=200 if ok else 503)
