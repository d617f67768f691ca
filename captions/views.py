"""The captions track of a public recording, its readable transcript, and the clerk's editor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from meetings.exceptions import DomainError
from meetings.ids import parse_int
from meetings.models import Meeting
from meetings.services import access

from .models import CaptionJob, Cue, CueVersion
from .recording import recording_exists
from .selectors import captions_language, editor_cues, job_of, public_cues
from .services import MAX_CUE_TEXT, captions_approve, cue_correct
from .vtt import captions_vtt as vtt_text
from .vtt import timestamp


def captions_vtt(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = public_cues(meeting_id=meeting_id)
    if found is None:
        raise Http404("no captions")
    response = HttpResponse(vtt_text(found[1]), content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"  # a new run or a correction changes the cues
    response["Access-Control-Allow-Origin"] = "*"  # like the recording itself (livestream/views.py)
    return response


def transcript(request: HttpRequest, meeting_id: int) -> HttpResponse:
    found = public_cues(meeting_id=meeting_id)
    if found is None:
        raise Http404("no transcript")
    meeting, cues = found
    job = job_of(meeting_id=meeting_id)
    rows = [{"speaker": c.speaker, "text": c.text, "seconds": int(c.start), "time": timestamp(c.start)[:8],
             "automatic": c.automatic, "corrected": c.corrected} for c in cues]
    return render(request, "captions/transcript.html", {"meeting": meeting, "rows": rows, "job": job})


def _version_row(v: CueVersion) -> dict[str, Any]:
    return {"number": v.number, "text": v.text, "automatic": v.automatic, "author": v.author_name,
            "engine": v.engine, "at": v.created_at}


def _cue_row(cue: Cue, typed: dict[int, str], errors: dict[int, str]) -> dict[str, Any]:
    return {"index": cue.index, "speaker": cue.speaker, "start": round(cue.start, 2), "seconds": int(cue.start),
            "time": timestamp(cue.start)[:8], "end_time": timestamp(cue.end)[:8],
            "text": typed.get(cue.index, cue.text), "version": cue.version, "automatic": cue.automatic,
            "corrected": cue.corrected, "error": errors.get(cue.index, ""),
            "versions": [_version_row(v) for v in cue.versions.all()]}


@login_required
def caption_editor(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The clerk corrects the meeting's captions, cue by cue, with the recording at each cue a click
    away, and approves them. A refused save shows the page again with the clerk's text in its field
    and the reason beside it; nothing typed is lost."""
    meeting = Meeting.objects.select_related("body").filter(id=meeting_id).first()
    if meeting is None or not access.is_clerk(user=request.user, body_id=meeting.body_id):
        raise Http404("no such meeting")
    url = reverse("caption-editor", args=[meeting.id])
    typed: dict[int, str] = {}
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        index = None
        try:
            if action == "approve":
                captions_approve(user=request.user, meeting_id=meeting.id)
                messages.success(request, _("The captions are approved: they are no longer marked automatic."))
                return redirect(url)
            if action == "correct":
                index = parse_int(request.POST.get("cue", ""), name="cue", minimum=1, maximum=10**9)
                typed[index] = request.POST.get("text", "")
                version = parse_int(request.POST.get("version", ""), name="version", minimum=1, maximum=10**9)
                cue = cue_correct(user=request.user, meeting_id=meeting.id, index=index, text=typed[index],
                                  version=version)
                messages.success(request, _("Speech %(index)s is saved as version %(version)s.")
                                 % {"index": cue.index, "version": cue.version})
                return redirect(f"{url}#cue-{cue.index}")
        except DomainError as exc:
            status = exc.http_status
            if index is not None:
                errors[index] = exc.translated()
            else:
                messages.error(request, exc.translated())
    job: CaptionJob | None = job_of(meeting_id=meeting.id)
    rows = [_cue_row(c, typed, errors) for c in editor_cues(meeting_id=meeting.id)]
    return render(request, "captions/editor.html", {
        "meeting": meeting, "job": job, "rows": rows, "max_text": MAX_CUE_TEXT, "captions_lang": captions_language(),
        "editable": bool(job and job.state == "done"), "recording": recording_exists(meeting.id)}, status=status)
