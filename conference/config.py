"""Settings and process-wide network set-up for the media tier, usable without Django."""

from __future__ import annotations

import logging
from typing import Any

import aioice.ice
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

logger = logging.getLogger(__name__)

_stock_get_host_addresses = aioice.ice.get_host_addresses
_patched = False


def setting(name: str, default: Any) -> Any:
    """Read a Django setting if Django is configured, else return ``default``.

    The media tier runs in tests and the bench without Django; a half-edited settings module in a
    concurrent checkout must not take media down either, hence the broad fallback.
    """
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # ImproperlyConfigured, ImportError, or a broken settings module
        return default


def ice_configuration() -> RTCConfiguration:
    """``iceServers=[]`` unless settings name some: aiortc otherwise falls back to Google's
    public STUN server, and gathering against it can add seconds (MEDIA-NOTES.md §3).

    ``max-bundle``: with aiortc's default "balanced" policy, a second m-line of the same kind is
    pre-bundled onto that kind's own transport, which BUNDLE negotiation then discards, so the
    floor slots after the first video m-line never connect (measured with aiortc 1.16.0).
    """
    urls = [u for u in setting("MEDIA_ICE_SERVERS", []) or [] if u]
    servers: list[RTCIceServer] = []
    if urls:
        username = setting("MEDIA_TURN_USERNAME", "") or None
        credential = setting("MEDIA_TURN_PASSWORD", "") or None
        servers = [RTCIceServer(urls=list(urls), username=username, credential=credential)]
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def host_addresses() -> list[str]:
    return [a for a in setting("MEDIA_HOST_ADDRESSES", ["127.0.0.1"]) or [] if a]


def _configured_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    addresses = host_addresses()
    if not addresses:
        return _stock_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [a for a in addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


def patch_host_addresses() -> None:
    """Make aioice gather host candidates on ``MEDIA_HOST_ADDRESSES`` only (idempotent).

    Stock aioice drops 127.0.0.1, so two peers on loopback (tests, a single-host install, a
    namespace with only ``lo``) never connect; and it binds one socket per interface address
    (docker bridges, VPNs), each a candidate to check. Naming the addresses fixes both. An empty
    setting restores stock behaviour. This is process-wide, which is what we want: the test
    clients in the same process need loopback too.
    """
    global _patched
    if _patched:
        return
    aioice.ice.get_host_addresses = _configured_host_addresses
    _patched = True
