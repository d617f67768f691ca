"""The captions' REST endpoints, for a clerk of the meeting's body: the cues with every version,
a correction of one cue's text, and the approval of them all (services.py holds the rules)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meetings import commands
from meetings.exceptions import NotFound
from meetings.models import Meeting
from meetings.services import access

from .models import CaptionJob, Cue
from .selectors import cue_with_versions, editor_cues, job_of
from .services import MAX_CUE_TEXT, captions_approve, cue_correct


class VersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    automatic = serializers.BooleanField(help_text="Written by the engine, not by a clerk.")
    author = serializers.CharField(allow_blank=True, help_text="The clerk's name; empty for the engine.")
    engine = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class CueOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="The speech's number in the meeting (from 1).")
    speaker = serializers.CharField()
    person_id = serializers.IntegerField()
    start = serializers.FloatField(help_text="Seconds into the public recording.")
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True, help_text="The latest version's text (what the public sees).")
    version = serializers.IntegerField(help_text="The latest version's number: send it back with a correction.")
    automatic = serializers.BooleanField(help_text="Neither corrected nor approved by a clerk.")
    versions = VersionOut(many=True)


class CaptionsOut(serializers.Serializer):
    state = serializers.CharField(allow_null=True, help_text="The job's state (null: no job yet): queued, "
                                  "running, done, failed or unavailable.")
    error = serializers.CharField(allow_blank=True)
    speeches_done = serializers.IntegerField()
    speeches_total = serializers.IntegerField()
    approved = serializers.BooleanField()
    approved_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(allow_blank=True)
    cues = CueOut(many=True)


def _cue(cue: Cue) -> dict[str, Any]:
    return {"index": cue.index, "speaker": cue.speaker, "person_id": cue.person_id, "start": cue.start,
            "end": cue.end, "text": cue.text, "version": cue.version, "automatic": cue.automatic,
            "versions": [{"number": v.number, "text": v.text, "automatic": v.automatic, "author": v.author_name,
                          "engine": v.engine, "at": v.created_at} for v in cue.versions.all()]}


def _captions(meeting_id: int) -> dict[str, Any]:
    job: CaptionJob | None = job_of(meeting_id=meeting_id)
    return CaptionsOut({
        "state": job.state if job else None, "error": job.error if job else "",
        "speeches_done": job.speeches_done if job else 0, "speeches_total": job.speeches_total if job else 0,
        "approved": bool(job and job.approved_at), "approved_at": job.approved_at if job else None,
        "approved_by": job.approved_by_name if job else "",
        "cues": [_cue(c) for c in editor_cues(meeting_id=meeting_id)]}).data


def _require_clerk(request: Request, meeting_id: int) -> None:
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None:
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    access.require_clerk(user=request.user, body_id=meeting.body_id)


class CaptionsAPI(APIView):
    """The meeting's captions job and every cue with all its versions (a clerk of the body)."""

    @extend_schema(responses=CaptionsOut)
    def get(self, request: Request, pk: int) -> Response:
        _require_clerk(request, pk)
        return Response(_captions(pk))


class CueAPI(APIView):
    """A clerk corrects one cue: its text becomes the cue's next version (the earlier ones are kept).
    `version` is the version corrected; if a newer one came meanwhile the answer is 409
    `stale_version` and nothing is saved. An empty text is allowed (the speech gets no caption)."""

    class CorrectionInput(serializers.Serializer):
        text = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                     help_text=f"At most {MAX_CUE_TEXT} characters.")
        version = commands.id_field(help_text="The version the correction was made from.")

    @extend_schema(request=CorrectionInput, responses=CueOut)
    def patch(self, request: Request, pk: int, index: int) -> Response:
        data = commands.validate(self.CorrectionInput, request.data)
        cue = cue_correct(user=request.user, meeting_id=pk, index=index, text=data["text"], version=data["version"])
        return Response(CueOut(_cue(cue_with_versions(cue_id=cue.id))).data)


class ApproveCaptionsAPI(APIView):
    """A clerk approves the meeting's captions as they are: none is marked automatic from then on,
    and the transcription is not run again (409 `captions_approved` the second time)."""

    @extend_schema(request=None, responses=CaptionsOut)
    def post(self, request: Request, pk: int) -> Response:
        captions_approve(user=request.user, meeting_id=pk)
        return Response(_captions(pk))
