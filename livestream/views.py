"""HTTP delivery of the public stream: HLS playlists, segments, the recording and its chapters.

The embedded server serves the files itself; in production the same URLs sit behind any HTTP
cache or CDN, which is why the cache headers matter: playlists change every segment (cache for a
second at most), segments never change once written (immutable, cache for a year).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

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


def stream_dir(meeting_id: int) -> Path:
    return Path(settings.LIVESTREAM_ROOT) / str(meeting_id)


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
