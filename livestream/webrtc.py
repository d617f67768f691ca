"""Low-latency public viewers over WebRTC, fed from the composer's own encoded output.

No per-viewer encode: the composer's H.264 packets (the very ones muxed into HLS) and its Opus
packets (encoded once per meeting from the same gated mix) are handed to every viewer's
`RTCRtpSender` as packets, which aiortc only re-packetizes (`Encoder.pack`, MEDIA-NOTES.md §1).
Closed doors therefore reach viewers exactly as they reach HLS: slate and silence, decided before
any encoder.

One `ViewerHub` per running composer is the composer's packet sink; it hops packets from the
composer thread onto the event loop and fans them out to bounded per-viewer queues. Viewers are
capped process-wide (`LIVESTREAM_MAX_WEBRTC_VIEWERS`: each costs packet work on this process's
one event loop) and closed when the composer stops (the meeting ended).

The hub lives in the process that runs the composer. In the embedded mode (media worker inside
daphne) the view answers directly; with separate media workers the web process relays the offer
over the channel layer to `viewer_channel(meeting_id)`, which `viewers_serve` answers next to the
composer (the bridge starts it with the composer; `running` holds the composers of this process).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from channels.layers import get_channel_layer
from django.conf import settings

from conference.config import ice_configuration, patch_host_addresses
from meetings.state import LIVE_STATES

from . import running
from .errors import StreamError
from .viewer_sdp import WANTED, parse_viewer_offer

log = logging.getLogger(__name__)
AUDIO_QUEUE_PACKETS = 25  # 0.5 s of Opus: beyond that a viewer is too slow, drop the oldest
VIDEO_QUEUE_PACKETS = 30  # ~2 s of video: beyond that, drop everything up to the next keyframe


class PacketTrack(MediaStreamTrack):
    """What one viewer's sender reads: a bounded queue of encoded packets."""

    def __init__(self, kind: str, on_keyframe_needed: Any) -> None:
        super().__init__()
        self.kind = kind
        self._queue: collections.deque[av.Packet | None] = collections.deque()
        self._ready = asyncio.Event()
        self._waiting_for_keyframe = kind == "video"  # a decoder can only start at a keyframe
        self._on_keyframe_needed = on_keyframe_needed

    def put(self, packet: av.Packet) -> None:
        if self.kind == "video":
            if self._waiting_for_keyframe and not packet.is_keyframe:
                return
            self._waiting_for_keyframe = False
            if len(self._queue) >= VIDEO_QUEUE_PACKETS:
                # Dropping single video packets would break the reference chain: start over.
                self._queue.clear()
                self._waiting_for_keyframe = not packet.is_keyframe
                self._on_keyframe_needed()
                if self._waiting_for_keyframe:
                    return
        elif len(self._queue) >= AUDIO_QUEUE_PACKETS:
            self._queue.popleft()
        self._queue.append(packet)
        self._ready.set()

    def end(self) -> None:
        self._queue.append(None)
        self._ready.set()

    async def recv(self) -> av.Packet:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        packet = self._queue.popleft()
        if packet is None:
            self.stop()
            raise MediaStreamError
        return packet


class Viewer:
    def __init__(self, hub: ViewerHub) -> None:
        self.hub = hub
        self.pc = RTCPeerConnection(ice_configuration())
        self.tracks: dict[str, PacketTrack] = {}
        self.closed = False

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                await hub.remove(self)

    async def answer(self, sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for transceiver in self.pc.getTransceivers():
            _only_our_codec(transceiver)
            track = PacketTrack(transceiver.kind, self.hub.composer.request_keyframe)
            self.tracks[transceiver.kind] = track
            # A viewer's PLI asks the composer for an IDR (rate-limited there): the stock sender
            # would only set a flag that the packet path ignores.
            transceiver.sender._send_keyframe = self.hub.composer.request_keyframe  # type: ignore[method-assign]
            transceiver.sender.replaceTrack(track)
            transceiver.direction = "sendonly"
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self.hub.composer.request_keyframe()  # start the new viewer's picture without waiting for a segment
        return self.pc.localDescription.sdp

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for track in self.tracks.values():
            track.end()
        await self.pc.close()


def _only_our_codec(transceiver: Any) -> None:
    """Answer with the codec the composer produces (and its RTX), nothing else."""
    wanted = WANTED[transceiver.kind]
    kept = [c for c in transceiver._codecs if c.mimeType.lower() == wanted
            and (transceiver.kind == "audio" or str(c.parameters.get("packetization-mode")) == "1")]
    primary = {c.payloadType for c in kept}
    kept += [c for c in transceiver._codecs
             if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in primary]
    if not kept:
        raise StreamError("unsupported_codec", f"no common {transceiver.kind} codec with the stream")
    transceiver._codecs = kept
    capabilities = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    transceiver.setCodecPreferences(
        [c for c in capabilities if c.mimeType.lower() in (wanted, f"{transceiver.kind}/rtx")])


class ViewerHub:
    """The WebRTC viewers of one composer; registered with it as its packet sink."""

    def __init__(self, meeting_id: int, composer: Any) -> None:
        self.meeting_id = meeting_id
        self.composer = composer
        self.loop = asyncio.get_running_loop()
        self.viewers: set[Viewer] = set()
        self.closed = False
        composer.add_sink(self)

    # PacketSink: called on the composer thread. One hop per packet onto the loop, not per viewer.
    def video_packet(self, packet: av.Packet) -> None:
        self._hop(self._fan_out, "video", packet)

    def audio_packet(self, packet: av.Packet) -> None:
        self._hop(self._fan_out, "audio", packet)

    def composer_stopped(self) -> None:
        self._hop(lambda: asyncio.ensure_future(self.close()))

    def _hop(self, fn: Any, *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the process is shutting down
            pass

    def _fan_out(self, kind: str, packet: av.Packet) -> None:
        for viewer in self.viewers:
            track = viewer.tracks.get(kind)
            if track is not None:
                track.put(packet)

    async def add(self, sdp: str) -> str:
        viewer = Viewer(self)
        self.viewers.add(viewer)  # counted before any await, so concurrent offers respect the cap
        try:
            answer = await viewer.answer(sdp)
            timeout = settings.LIVESTREAM_WEBRTC_CONNECT_TIMEOUT  # or the place is freed again
            asyncio.get_running_loop().call_later(timeout, self._drop_if_unconnected, viewer)
            return answer
        except StreamError:
            await self.remove(viewer)
            raise
        except Exception as exc:
            await self.remove(viewer)
            raise StreamError("negotiation_failed", f"could not answer the offer ({type(exc).__name__})") from None

    def _drop_if_unconnected(self, viewer: Viewer) -> None:
        # An offer whose answer is never used would hold a place until ICE consent gives up
        # (~30 s); anonymous clients could fill the cap that way.
        if viewer in self.viewers and viewer.pc.connectionState != "connected":
            asyncio.ensure_future(self.remove(viewer))

    async def remove(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)
        await viewer.close()

    async def close(self) -> None:
        self.closed = True
        self.composer.remove_sink(self)
        if _hubs.get(self.meeting_id) is self:
            del _hubs[self.meeting_id]
        for viewer in list(self.viewers):
            await self.remove(viewer)


_hubs: dict[int, ViewerHub] = {}


def viewer_count() -> int:
    return sum(len(hub.viewers) for hub in _hubs.values())


def _hub(meeting_id: int, composer: Any) -> ViewerHub:
    hub = _hubs.get(meeting_id)
    if hub is None or hub.closed or hub.composer is not composer:  # a restarted composer gets a new hub
        hub = _hubs[meeting_id] = ViewerHub(meeting_id, composer)
    return hub


async def _answer_here(meeting_id: int, composer: Any, sdp: str) -> dict[str, str]:
    if viewer_count() >= settings.LIVESTREAM_MAX_WEBRTC_VIEWERS:
        raise StreamError("viewers_full", "all low-latency viewer places are taken; use the HLS stream", 503)
    patch_host_addresses()
    return {"type": "answer", "sdp": await _hub(meeting_id, composer).add(sdp)}


async def viewer_connect(*, meeting_id: int, sdp: object, sdp_type: object) -> dict[str, str]:
    """Answer a public viewer's recvonly offer for a live meeting.

    The viewer is served by the process that runs the meeting's composer: this one (embedded
    mode), or a media worker reached over the channel layer. Raises `StreamError`: unknown
    meeting (404), meeting not live (409), bad offer (400/413), the stream not running (503
    `stream_unavailable`), the viewer cap reached (503 `viewers_full`).
    """
    from meetings.models import Meeting

    in_range = 0 < meeting_id < 2**63  # a larger id would be a database error, not a 404
    state = await Meeting.objects.filter(id=meeting_id).values_list("state", flat=True).afirst() if in_range else None
    if state is None:
        raise StreamError("unknown_meeting", f"meeting {meeting_id} does not exist", 404)
    if state not in LIVE_STATES:
        raise StreamError("not_live", "the meeting is not in session", 409)
    parse_viewer_offer(sdp, sdp_type)  # refuses a bad offer before it touches a connection
    assert isinstance(sdp, str)
    composer = running.composers.get(meeting_id)
    if composer is not None:
        return await _answer_here(meeting_id, composer, sdp)
    if settings.MEDIA_IN_PROCESS:
        raise StreamError("stream_unavailable", "the live stream of this meeting is not running", 503)
    return await _relay(meeting_id, sdp)


# Separate media workers: the web process relays the offer to the worker that runs the composer.

RELAY_TIMEOUT = 10.0  # aiortc answers after ICE gathering: tens of ms on a LAN, seconds with STUN


def viewer_channel(meeting_id: int) -> str:
    return f"livestream.viewers.{meeting_id}"


async def _relay(meeting_id: int, sdp: str) -> dict[str, str]:
    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    await layer.send(viewer_channel(meeting_id), {
        "type": "viewer.offer", "sdp": sdp, "reply_channel": reply_to, "expires": time.time() + RELAY_TIMEOUT})
    try:
        reply = await asyncio.wait_for(layer.receive(reply_to), RELAY_TIMEOUT)
    except TimeoutError:
        raise StreamError("stream_unavailable", "the live stream of this meeting is not running", 503) from None
    if "error" in reply:
        raise StreamError(reply["error"]["code"], reply["error"]["message"], reply["status"])
    return {"type": "answer", "sdp": reply["sdp"]}


_serving: set[asyncio.Task[None]] = set()


def viewers_listen(meeting_id: int, composer: Any) -> None:
    """With separate media workers, start answering relayed offers for this composer."""
    if settings.MEDIA_IN_PROCESS:
        return  # the view finds the composer in its own process
    task = asyncio.get_running_loop().create_task(viewers_serve(meeting_id, composer))
    _serving.add(task)
    task.add_done_callback(_serving.discard)


async def viewers_serve(meeting_id: int, composer: Any) -> None:
    """Answer relayed offers for `composer`'s meeting, in the process that runs it, while it runs.

    Offers older than the relay timeout are dropped: their web request has already answered 503,
    and a connection nobody completes would hold a viewer place until ICE gives up (~30 s).
    """
    layer = get_channel_layer()
    while not composer.stopped:
        try:
            message = await asyncio.wait_for(layer.receive(viewer_channel(meeting_id)), 1.0)
        except TimeoutError:
            continue  # look again whether the composer still runs
        if message.get("expires", 0) < time.time() or not isinstance(message.get("sdp"), str):
            continue
        asyncio.ensure_future(_answer_relayed(layer, meeting_id, composer, message))


async def _answer_relayed(layer: Any, meeting_id: int, composer: Any, message: dict[str, Any]) -> None:
    try:
        reply: dict[str, Any] = await _answer_here(meeting_id, composer, message["sdp"])
    except StreamError as exc:
        reply = {"error": exc.as_dict(), "status": exc.http_status}
    except Exception:  # keep serving the other viewers
        log.exception("relayed viewer offer failed")
        reply = {"error": {"code": "negotiation_failed", "message": "the media server could not answer"},
                 "status": 500}
    await layer.send(message["reply_channel"], {"type": "viewer.answer", **reply})


async def viewers_close_all() -> None:
    for hub in list(_hubs.values()):
        await hub.close()
