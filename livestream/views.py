"""HTTP delivery of the public stream: HLS playlists, segments, the recording and its chapters,
and the signalling endpoint of the low-latency WebRTC viewers.

The embedded server serves the files itself; in production the same URLs sit behind any HTTP
cache or CDN, which is why the cache headers matter: playlists change every segment (cache for a
second at most), segments never change once written (immutable, cache for a year).
"""

from __future__ import annotations

import re

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from meetings.api_json import JSONBodyError, loads_bounded

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


def stream_file(request: HttpRequest, meeting_id: int, name: str) -> HttpResponse:
    match = SAFE_NAME.match(name)
    if not match:
        raise Http404("no such stream file")
    path = stream_dir(meeting_id) / name
    if not path.is_file():
        raise Http404("no such stream file")
    ext = match.group(1)
    response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[ext])
    if ext == "m3u8" and name.startswith("index"):
        response["Cache-Control"] = f"public, max-age={LIVE_PLAYLIST_MAX_AGE}"
    elif ext in ("m3u8", "vtt"):
        response["Cache-Control"] = "public, max-age=5"  # the recording playlist and chapters grow
    else:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Access-Control-Allow-Origin"] = "*"  # § 11-6: anyone may retransmit the open meeting
    return response


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
