"""HTTP delivery of the public stream: HLS playlists, segments, the recording and its chapters,
and the signalling endpoint of the low-latency WebRTC viewers.

The embedded server serves the files itself; in production the same URLs sit behind any HTTP
cache or CDN, which is why the cache headers matter: playlists change every part (cache for a
second at most), segments and parts never change once written (immutable, cache for a year).

Low-Latency HLS blocking reload: `index.m3u8?_HLS_msn=M&_HLS_part=P` is held until the live
playlist holds part P of segment M (or anything later), at most three target durations, then
answered 503. The view is async and all the requests waiting on one meeting share one poller of
the playlist file (written by the composer, maybe in another process), so a thousand waiting
players cost one stat() every 20 ms, not a thread each. A preload-hinted part is held the same way
until it exists. Hostile values (not a number, negative, more than two segments ahead) get 400 at
once, as RFC 8216bis 6.2.5.2 asks.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from meetings.api_json import JSONBodyError, loads_bounded

from . import playlists
from .errors import StreamError
from .health import stream_dir
from .webrtc import viewer_connect

# Only plain file names the composer writes; anything else (../, subfolders) is a 404.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\.(m3u8|ts|m4s|mp4|vtt|aac)$")
CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
    "vtt": "text/vtt; charset=utf-8",
    "aac": "audio/aac",
}
LIVE_PLAYLIST_MAX_AGE = 1
MAX_OFFER_BODY = 32 * 1024  # JSON around a viewer's SDP offer (itself at most 16 KiB)
EDGE_POLL_SECONDS = 0.02
HOLD_TARGET_DURATIONS = 3  # RFC 8216bis: a blocked request is answered within three target durations
MSN = re.compile(r"^[0-9]{1,9}$")
PART = re.compile(r"^[0-9]{1,3}$")


@dataclass
class _EdgeWatch:
    """The live playlist of one meeting as the waiting requests of this process see it: one
    poller task re-reads it whenever the file is replaced (new inode or mtime), while anyone waits."""

    path: Path
    text: str | None = None
    edge: playlists.LiveEdge | None = None
    stamp: tuple[int, int] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0
    task: asyncio.Task[None] | None = None

    def refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns)
            if stamp == self.stamp:
                return
            text = self.path.read_text()
        except OSError:
            return  # not there yet (or replaced just now): the next poll sees it
        self.stamp, self.text, self.edge = stamp, text, playlists.live_edge(text)
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    async def _poll(self) -> None:
        try:
            while self.waiters:
                await asyncio.sleep(EDGE_POLL_SECONDS)
                self.refresh()
        finally:
            self.task = None

    async def until(self, check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
        """Wait until `check(self)` holds (True) or `timeout` passed (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.waiters += 1
        if self.task is None:
            self.task = asyncio.ensure_future(self._poll())
        try:
            while not check(self):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(self.changed.wait(), remaining)
                except TimeoutError:
                    pass
            return True
        finally:
            self.waiters -= 1


_watches: dict[tuple[int, Path], _EdgeWatch] = {}


def _watch(path: Path) -> _EdgeWatch:
    key = (id(asyncio.get_running_loop()), path)
    watch = _watches.get(key)
    if watch is None or (watch.task is None and watch.waiters == 0):
        watch = _watches[key] = _EdgeWatch(path)
        for stale in [k for k, w in _watches.items() if w.task is None and w.waiters == 0 and k != key]:
            del _watches[stale]  # idle watches of finished meetings (or of a test's own loop)
    watch.refresh()
    return watch


def _headers(response: HttpResponse, ext: str, name: str) -> HttpResponse:
    if ext == "m3u8" and name.startswith("index"):
        response["Cache-Control"] = f"public, max-age={LIVE_PLAYLIST_MAX_AGE}"
    elif ext in ("m3u8", "vtt"):
        response["Cache-Control"] = "public, max-age=5"  # the recording playlist and chapters grow
    else:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Access-Control-Allow-Origin"] = "*"  # § 11-6: anyone may retransmit the open meeting
    return response


def _plain(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _blocking_request(request: HttpRequest) -> tuple[int, int | None] | str | None:
    """(msn, part) of a blocking playlist reload, None for a plain one, or why it is a bad request."""
    msn, part = request.GET.get("_HLS_msn"), request.GET.get("_HLS_part")
    if msn is None:
        return None if part is None else "_HLS_part needs _HLS_msn"
    if not MSN.match(msn):
        return "_HLS_msn must be a media sequence number"
    if part is not None and not PART.match(part):
        return "_HLS_part must be a part index"
    return int(msn), None if part is None else int(part)


async def _live_playlist(request: HttpRequest, path: Path) -> HttpResponse:
    wanted = _blocking_request(request)
    if isinstance(wanted, str):
        return _plain(400, wanted)
    if wanted is None:
        return _headers(FileResponse(path.open("rb"), content_type=CONTENT_TYPES["m3u8"]), "m3u8", path.name)
    watch = _watch(path)
    if watch.edge is None or watch.text is None:
        raise Http404("no such stream file")
    msn, part = wanted
    if msn > watch.edge.last_msn + 2:
        return _plain(400, "_HLS_msn is more than two segments ahead of the playlist")
    reached = await watch.until(lambda w: w.edge is not None and playlists.edge_reached(w.edge, msn, part),
                                HOLD_TARGET_DURATIONS * watch.edge.target)
    if not reached:
        response = _plain(503, "the requested part did not come in time")
        response["Retry-After"] = "1"
        return response
    return _headers(HttpResponse(watch.text, content_type=CONTENT_TYPES["m3u8"]), "m3u8", path.name)


async def _hinted_part(folder: Path, name: str) -> bool:
    """Hold a request for the part the live playlist's preload hint names until it exists."""
    watch = _watch(folder / "index.m3u8")
    if watch.text is None or f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{name}"' not in watch.text:
        return (folder / name).is_file()  # written just now, or never hinted: no waiting
    target = watch.edge.target if watch.edge else 1.0
    return await watch.until(lambda w: (folder / name).is_file(), HOLD_TARGET_DURATIONS * target)


def _recording_group(folder: Path, name: str) -> HttpResponse | None:
    """A group of the recording playlist: its segments' MPEG-TS files, one after another (each
    begins with its own program tables and a keyframe, so the whole is one valid stream). Only a
    group the recording playlist lists is served."""
    numbers = playlists.group_segments(name)
    if numbers is None:
        return None
    try:
        listed = name in (folder / "recording.m3u8").read_text().splitlines()
    except OSError:
        return None
    if not listed:
        return None
    files = [folder / f"seg_{seq:05d}.ts" for seq in range(numbers[0], numbers[1] + 1)]
    try:
        body = b"".join(f.read_bytes() for f in files)
    except OSError:
        return None
    return _headers(HttpResponse(body, content_type=CONTENT_TYPES["ts"]), "ts", name)


async def stream_file(request: HttpRequest, meeting_id: int, name: str) -> HttpResponse:
    match = SAFE_NAME.match(name)
    if not match:
        raise Http404("no such stream file")
    folder = stream_dir(meeting_id)
    path = folder / name
    ext = match.group(1)
    if name == "index.m3u8" and path.is_file():
        return await _live_playlist(request, path)
    if name.startswith("rec_"):
        grouped = _recording_group(folder, name)
        if grouped is None:
            raise Http404("no such stream file")
        return grouped
    if playlists.PART_NAME.match(name) and not path.is_file() and not await _hinted_part(folder, name):
        raise Http404("no such stream file")
    if not path.is_file():
        raise Http404("no such stream file")
    return _headers(FileResponse(path.open("rb"), content_type=CONTENT_TYPES[ext]), ext, name)


def _error(exc: StreamError) -> JsonResponse:
    response = JsonResponse({"error": exc.as_dict()}, status=exc.http_status)
    response["Cache-Control"] = "no-store"
    return response


def _offer(request: HttpRequest) -> dict[str, object]:
    if request.method != "POST":
        raise StreamError("method_not_allowed", "POST a JSON offer {sdp, type}", 405)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_OFFER_BODY:
        raise StreamError("too_large", f"the body is larger than {MAX_OFFER_BODY} bytes", 413)
    try:
        body = request.body
    except RequestDataTooBig:
        raise StreamError("too_large", f"the body is larger than {MAX_OFFER_BODY} bytes", 413) from None
    if len(body) > MAX_OFFER_BODY:
        raise StreamError("too_large", f"the body is larger than {MAX_OFFER_BODY} bytes", 413)
    try:
        data = loads_bounded(body, max_bytes=MAX_OFFER_BODY)
    except JSONBodyError as exc:
        code = "bad_json" if exc.code == "malformed_json" else exc.code
        raise StreamError(code, exc.message, exc.http_status) from None
    if not isinstance(data, dict):
        raise StreamError("bad_json", "the body must be a JSON object {sdp, type}")
    return data


@csrf_exempt
def webrtc_offer_bad_id(request: HttpRequest, meeting_id: str) -> HttpResponse:
    return _error(StreamError("unknown_meeting", "a meeting id is a positive number", 404))


@csrf_exempt  # anonymous and cookie-less: the public needs no session to watch
async def webrtc_offer(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """POST {sdp, type: "offer"} (recvonly audio + video) → {sdp, type: "answer"}."""
    try:
        data = _offer(request)
        answer = await viewer_connect(meeting_id=meeting_id, sdp=data.get("sdp"), sdp_type=data.get("type"))
    except StreamError as exc:
        return _error(exc)
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"
    return response
