"""The production topology, for real: PostgreSQL, Redis, one daphne (MEDIA_IN_PROCESS=0) and one
media worker in its own process. Members send media through the real socket signalling; the worker
owns their peers and follows the log through Redis; a public WebRTC viewer's offer is relayed from
daphne to the worker's composer; HLS segments are written. Killing the worker leaves the meeting
(socket, commands, log) going, and the stream watchdog logs that the public stream went down."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import pytest
from aiortc import RTCSessionDescription

from conference.config import patch_host_addresses
from tests.conference.clients import MEMBERS, Client
from tests.helpers import eventually
from tests.livestream.signal import segment_audio, tone_energy
from tests.livestream.viewer import Viewer
from tests.production.sockets import LiveSocket

pytestmark = [pytest.mark.media, pytest.mark.redis, pytest.mark.postgres]
A_TONE, B_TONE = 2, 3  # tone/colour index in tests/conference/clients.py: 700 Hz, 1000 Hz
ORIGIN = "http://127.0.0.1"
# Each state below comes within seconds on an idle machine; waiting on states, a busy one only takes longer.
WAIT = 30.0


@pytest.fixture(autouse=True)
def fast_ice(fast_stun):
    patch_host_addresses()  # the test's own peers gather on loopback like the worker's


async def send_media(socket: LiveSocket, client: Client) -> None:
    answer = await socket.call("media.offer", **await client.offer())
    assert answer["type"] == "media.answer", answer
    await client.accept({"sdp": answer["sdp"], "type": "answer"})


def post_offer(port: int, meeting: int, offer: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/live/{meeting}/webrtc/offer",
                                     data=json.dumps(offer).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def hls_segments(root: Path, meeting: int) -> list[Path]:
    return sorted((root / str(meeting)).glob("seg_*.ts"), key=lambda p: p.stat().st_mtime)


async def test_it_runs_member_media_and_the_public_stream_in_a_separate_worker_process(production):
    import websockets

    stack, m = production, production.meeting
    url = f"ws://127.0.0.1:{stack.port}/ws/meetings/{m}/?token="
    a_id, b_id = stack.persons["medlem02"], stack.persons["medlem03"]
    a_client, b_client = Client(A_TONE), Client(B_TONE)
    viewer = Viewer()
    sockets: list[LiveSocket] = []
    try:
        for user in ("ordforer", "medlem02", "medlem03"):
            sockets.append(LiveSocket(await websockets.connect(url + stack.tokens[user], origin=ORIGIN)))
        chair, a, b = sockets
        for s in sockets:
            assert (await s.call("sync", after=0))["type"] == "ack"
        assert (await chair.call("meeting.open"))["type"] == "ack"
        for s in sockets:
            assert (await s.call("member.join"))["type"] == "ack"

        # Signalling through daphne → Redis → the worker process, and the answer back; a hostile
        # offer gets a clear error from the worker and the meeting goes on.
        bad = await chair.call("media.offer", sdp="v=0\r\nnot an offer", type="offer")
        assert bad["type"] == "error" and bad["error"]["code"] not in ("", "media_internal"), bad
        await send_media(a, a_client)
        await send_media(b, b_client)
        item = chair.seen("notice.published")[0]["payload"]["items"][1]["item"]
        assert (await chair.call("item.open", item_id=item))["type"] == "ack"
        assert (await chair.call("floor.grant", person_id=a_id))["type"] == "ack"

        # The worker read floor.granted from the log (through Redis) and forwards A to B, not B to A.
        await eventually(lambda: A_TONE in b_client.heard(), timeout=WAIT, what="B hears A's tone")
        assert B_TONE not in a_client.heard()
        await eventually(lambda: A_TONE in b_client.seen(), timeout=WAIT, what="B sees A's colour")
        # What the worker measures reaches the log: B's camera stops, and the worker process writes
        # member.media (sends_video false) through the services into PostgreSQL.
        b_client.camera.stop()
        await eventually(lambda: any(int(e["payload"]["person"]) == b_id
                                     and e["payload"].get("sends_video") is False
                                     for e in chair.seen("member.media")),
                         timeout=WAIT, what="member.media logged for B's camera")

        # An anonymous viewer: the offer goes to daphne, which relays it to the worker's composer,
        # once that composer runs (its first HLS segments are written).
        await eventually(lambda: len(hls_segments(stack.live_root, m)) >= 1, timeout=WAIT,
                         what="the worker's composer running")
        status, answer = await asyncio.to_thread(post_offer, stack.port, m, await viewer.offer())
        assert status == 200, answer
        await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        a_freq = MEMBERS[A_TONE][0]
        await eventually(lambda: viewer.tone_since(time.time() - 0.5, a_freq) > 0.05,
                         timeout=WAIT, what="the viewer hears A")

        # HLS for everyone, from the same composer; A's tone is in the newest finished segment.
        await eventually(lambda: len(hls_segments(stack.live_root, m)) >= 2, timeout=WAIT, what="HLS segments written")
        newest = hls_segments(stack.live_root, m)[-2]  # the last one may still be written
        assert tone_energy(segment_audio(newest), a_freq) > 0.3
        assert (stack.live_root / str(m) / "index.m3u8").is_file()

        # The worker dies: the media it owned stops (so it was there, not in daphne), while the
        # socket, the commands and the log go on in daphne.
        worker = stack.procs["worker"]
        streams_before = len(chair.seen("stream.state"))
        worker.kill()
        worker.wait(10)
        await eventually(lambda: A_TONE not in b_client.heard(),
                         timeout=WAIT, what="A's forwarded tone stops with the worker")
        reply = await chair.call("floor.grant", person_id=b_id)
        assert reply["type"] == "ack", reply
        await eventually(lambda: any(int(e["payload"]["person"]) == b_id
                                     for e in chair.seen("floor.granted")),
                         timeout=WAIT, what="floor.granted to B delivered after the worker died")
        assert (await b.call("sync", after=0))["type"] == "ack"
        assert stack.procs["daphne"].poll() is None
        # The stream watchdog outside the worker notices that the public stream stopped.
        await eventually(lambda: any(e["payload"]["up"] is False
                                     for e in chair.seen("stream.state")[streams_before:]),
                         timeout=WAIT, what="stream.state down logged after the worker died")
        assert "is intact" in await asyncio.to_thread(stack.manage, "verify_log", str(m))
    finally:
        for s in sockets:
            await s.close()
        for peer in (a_client, b_client, viewer):
            await peer.close()
