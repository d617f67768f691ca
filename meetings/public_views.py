"""The public state document over HTTP: cheap to serve to thousands, cacheable by any proxy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from . import visibility
from .models import Meeting
from .public_state import public_state_for


def _not_found(meeting_id: int) -> JsonResponse:
    return JsonResponse({"error": {"code": "not_found", "message": f"meeting {meeting_id} does not exist"}},
                        status=404)


@require_GET
def state_json(request: HttpRequest, meeting_id: int) -> HttpResponse:
    seq = visibility.public_meetings(Meeting.objects.filter(id=meeting_id)).values_list("last_seq", flat=True).first()
    if seq is None:
        return _not_found(meeting_id)
    etag = f'"{meeting_id}-{seq}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        doc = public_state_for(meeting_id, seq=seq)
        if doc is None:  # deleted between the two reads
            return _not_found(meeting_id)
        response = JsonResponse(doc)
        etag = f'"{meeting_id}-{doc["seq"]}"'  # a miss may have built a newer document than `seq`
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=1"
    return response
