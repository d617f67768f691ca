from __future__ import annotations

import pytest


@pytest.fixture
async def streams():
    """The process's public streams, stopped after the test with every media room."""
    from conference import gateway
    from livestream.bridge import streams

    yield streams
    await streams.stop_all()
    await gateway.rooms.close_all()
