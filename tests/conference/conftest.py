from __future__ import annotations

import aioice.stun
import pytest


@pytest.fixture(autouse=True)
def fast_stun(monkeypatch: pytest.MonkeyPatch) -> None:
    # As aiortc's own tests do: loopback needs no retransmission patience.
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)
