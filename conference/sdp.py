"""Validation of member offers before they touch a peer connection.

aiortc's own checks raise assorted exceptions half-way through ``setRemoteDescription``, after it
has already created transceivers; everything we can check up front is checked here so a hostile
or broken offer is refused without leaving debris in a member's connection.
"""

from __future__ import annotations

from aiortc import sdp as aiortc_sdp

from .errors import MediaError

MAX_SDP_BYTES = 64 * 1024  # a browser offer with 6 m-lines is ~6-8 KiB
MAX_MEDIA_SECTIONS = 8  # own audio + own video + 2+2 floor slots, with room to spare
# Forwarding needs one codec on every leg: a VP8 publisher can only be forwarded to VP8
# subscribers, so the tier speaks exactly one codec per kind.
FORWARDED_CODECS = {"audio": "audio/opus", "video": "video/vp8"}
DIRECTIONS = {"sendrecv", "sendonly", "recvonly", "inactive"}


def parse_description(sdp: object, *, max_bytes: int = MAX_SDP_BYTES) -> aiortc_sdp.SessionDescription:
    """The checks every offer needs before anything looks inside it (a string, not too large,
    SDP at all, and aiortc can parse it); raise :class:`MediaError` naming the problem. Shared by
    members' offers and the public stream's viewers (livestream/viewer_sdp.py)."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise MediaError("bad_sdp", "sdp must be a non-empty string")
    if len(sdp) > max_bytes:
        raise MediaError("sdp_too_large", f"sdp is larger than {max_bytes} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise MediaError("bad_sdp", "sdp must start with v=0")
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as exc:  # the aiortc parser raises whatever the bad line provokes
        raise MediaError("bad_sdp", f"sdp could not be parsed ({type(exc).__name__})") from None
    description.type = "offer"
    return description


def parse_offer(sdp: object, sdp_type: object) -> aiortc_sdp.SessionDescription:
    """Parse and check a member's offer; raise :class:`MediaError` naming the problem."""
    if sdp_type != "offer":
        raise MediaError("bad_sdp_type", "the media server only answers offers")
    description = parse_description(sdp)
    media = description.media
    if not media:
        raise MediaError("no_media", "the offer has no media sections")
    if len(media) > MAX_MEDIA_SECTIONS:
        raise MediaError("too_many_media", f"at most {MAX_MEDIA_SECTIONS} media sections")
    mids: set[str] = set()
    for index, section in enumerate(media):
        where = f"media section {index}"
        if section.kind not in FORWARDED_CODECS:
            raise MediaError("unsupported_media", f"{where}: only audio and video are accepted")
        if section.port == 0:
            continue  # rejected/stopped section: aiortc ignores codecs there
        if not section.rtp.muxId or section.rtp.muxId in mids:
            raise MediaError("bad_sdp", f"{where}: missing or duplicate a=mid")
        mids.add(section.rtp.muxId)
        if section.direction not in DIRECTIONS:
            raise MediaError("bad_sdp", f"{where}: missing direction")
        if section.ice is None or not section.ice.usernameFragment or not section.ice.password:
            raise MediaError("bad_sdp", f"{where}: ICE credentials missing")
        if section.dtls is None or not section.dtls.fingerprints:
            raise MediaError("bad_sdp", f"{where}: DTLS fingerprint missing")
        if not section.rtcp_mux:
            raise MediaError("bad_sdp", f"{where}: rtcp-mux is required")
        wanted = FORWARDED_CODECS[section.kind]
        if not any(c.mimeType.lower() == wanted for c in section.rtp.codecs):
            raise MediaError("unsupported_codec", f"{where}: {section.kind} must offer {wanted}")
    return description


def session_identity(description: aiortc_sdp.SessionDescription) -> tuple[str, ...]:
    """ICE ufrag + DTLS fingerprints: a change means a new browser peer, not a renegotiation."""
    section = description.media[0]
    ufrag = section.ice.usernameFragment if section.ice else ""
    prints = tuple(f.value for f in section.dtls.fingerprints) if section.dtls else ()
    return (ufrag or "", *prints)
