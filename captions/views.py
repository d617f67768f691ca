"""The captions track of a public recording and its readable transcript."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import public_cues
from .vtt import captions_vtt as vtt_text
from .vtt import timestamp


def captions_vtt(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = public_cues(meeting_id=meeting_id)
    if found is None:
        raise Http404("no captions")
    response = HttpResponse(vtt_text(found[1]), content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"  # a new run replaces the cues
    response["Access-Control-Allow-Origin"] = "*"  # like the recording itself (livestream/views.py)
    return response


def transcript(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = public_cues(meeting_id=meeting_id)
    if found is None:
        raise Http404("no transcript")
    meeting, cues = found
    rows = [{"speaker": c.speaker, "text": c.text, "seconds": int(c.start), "time": timestamp(c.start)[:8]}
            for c in cues]
    return render(request, "captions/transcript.html", {"meeting": meeting, "rows": rows})
