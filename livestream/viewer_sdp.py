"""Validation of a public viewer's WebRTC offer before it touches a peer connection.

A viewer only receives: at most one audio and one video m-line, recvonly, offering Opus and
H.264 packetization-mode 1 (what the composer encodes; we never transcode per viewer).
"""

from __future__ import annotations

from aiortc import sdp as aiortc_sdp

from conference.errors import MediaError
from conference.sdp import parse_description

from .errors import StreamError

MAX_SDP_BYTES = 16 * 1024  # a browser's recvonly audio+video offer is 4-6 KiB
WANTED = {"audio": "audio/opus", "video": "video/h264"}


def parse_viewer_offer(sdp: object, sdp_type: object) -> aiortc_sdp.SessionDescription:
    if sdp_type != "offer":
        raise StreamError("bad_sdp_type", 'type must be "offer"')
    try:
        description = parse_description(sdp, max_bytes=MAX_SDP_BYTES)
    except MediaError as exc:
        raise StreamError(exc.code, exc.message, 413 if exc.code == "sdp_too_large" else 400) from None
    kinds = [m.kind for m in description.media]
    if not kinds:
        raise StreamError("no_media", "the offer has no media sections")
    if len(kinds) > 2 or len(set(kinds)) != len(kinds) or not set(kinds) <= set(WANTED):
        raise StreamError("bad_media", "a viewer offers at most one audio and one video section")
    for section in description.media:
        where = f"the {section.kind} section"
        if section.direction != "recvonly":
            raise StreamError("not_recvonly", f"{where} must be recvonly: viewers do not send media")
        if not section.rtp.muxId:
            raise StreamError("bad_sdp", f"{where}: missing a=mid")
        if section.ice is None or not section.ice.usernameFragment or not section.ice.password:
            raise StreamError("bad_sdp", f"{where}: ICE credentials missing")
        if section.dtls is None or not section.dtls.fingerprints:
            raise StreamError("bad_sdp", f"{where}: DTLS fingerprint missing")
        if not any(_usable(section.kind, c) for c in section.rtp.codecs):
            raise StreamError("unsupported_codec", f"{where} must offer {WANTED[section.kind]}"
                              + (" with packetization-mode=1" if section.kind == "video" else ""))
    return description


def _usable(kind: str, codec: aiortc_sdp.RTCRtpCodecParameters) -> bool:
    if codec.mimeType.lower() != WANTED[kind]:
        return False
    return kind == "audio" or str(codec.parameters.get("packetization-mode", "0")) == "1"
