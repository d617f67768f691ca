from __future__ import annotations

import aioice.stun
import pytest


@pytest.fixture
def live_settings(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)
    settings.MEDIA_IN_PROCESS = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.LIVESTREAM_ENABLED = True
    settings.LIVESTREAM_ROOT = tmp_path
    settings.LIVESTREAM_WIDTH, settings.LIVESTREAM_HEIGHT, settings.LIVESTREAM_FPS = 160, 90, 10
    settings.LIVESTREAM_WINDOW = 100


@pytest.fixture
async def streams():
    """The process's public streams, stopped after the test with every media room."""
    from conference import gateway
    from livestream.bridge import streams

    yield streams
    await streams.stop_all()
    await gateway.rooms.close_all()
