"""Reads: what a given user may see of bodies, meetings and the log."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from . import visibility
from .exceptions import NotFound, PermissionDenied
from .models import ApiToken, Body, Meeting, MeetingEvent, Membership, Person
from .services.access import is_clerk
from .state import MeetingState


def meeting_list(*, user: Any, body_id: int | None = None) -> QuerySet[Meeting]:
    qs = Meeting.objects.select_related("body").order_by("scheduled_start")
    if body_id is not None:
        qs = qs.filter(body_id=body_id)
    if getattr(user, "is_staff", False):
        return qs
    clerk_bodies = Membership.objects.filter(person__user=user, role="clerk").values("body_id") \
        if getattr(user, "is_authenticated", False) else []
    # Drafts are the clerk's working copy; everything from the published notice on is public (§ 11-3).
    visible: QuerySet[Meeting] = visibility.public_meetings(qs)
    return visible | qs.filter(state=MeetingState.DRAFT, body_id__in=clerk_bodies)


def meeting_get(*, user: Any, meeting_id: Any) -> Meeting:
    try:
        meeting = Meeting.objects.select_related("body", "chair", "exemption_profile").get(id=int(meeting_id))
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id}) from None
    if not visibility.meeting_is_public(meeting.state) and not is_clerk(user=user, body_id=meeting.body_id):
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    return meeting


def is_participant(*, user: Any, meeting: Meeting) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False):
        return True
    return Membership.objects.filter(person__user=user, body_id=meeting.body_id).exists()


def event_list(*, user: Any, meeting: Meeting, after: int = 0) -> tuple[QuerySet[MeetingEvent], bool]:
    """Events after `after`; members of the body see everything, others only the public form."""
    qs = MeetingEvent.objects.filter(meeting=meeting, seq__gt=after).order_by("seq")
    full = is_participant(user=user, meeting=meeting)
    if not full:
        qs = qs.filter(public_payload__isnull=False)
    return qs, full


def body_members(*, body: Body) -> QuerySet[Membership]:
    return Membership.objects.filter(body=body).select_related("person", "party").order_by("role", "deputy_rank",
                                                                                         "person__name")


def person_for(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def live_participant(*, user: Any, meeting_id: int) -> tuple[int, str]:
    """(person id, role) of `user` on a live meeting's member socket.

    Members, the chair and the clerk of the body, and deputies only while summoned for an absent
    member (the same rule as joining). Raises NotFound for an unknown or draft meeting and
    PermissionDenied for anyone else.
    """
    from .services.attendance import participant_role

    meeting = visibility.public_meetings(Meeting.objects.filter(id=meeting_id)).first()
    if meeting is None:
        raise NotFound("meeting %(meeting_id)s does not exist", params={"meeting_id": meeting_id})
    person = person_for(user)
    if person is None:
        raise PermissionDenied("you are not a member, deputy or clerk of this body")
    return person.id, participant_role(meeting=meeting, person=person)["role"]


def meeting_seq(*, meeting_id: int) -> int | None:
    """The log's last seq, or None for an unknown or draft meeting."""
    seq: int | None = (visibility.public_meetings(Meeting.objects.filter(id=meeting_id))
                       .values_list("last_seq", flat=True).first())
    return seq


class LiveState(NamedTuple):
    seq: int  # of the newest event folded into `state`
    state: dict[str, Any]


def meeting_live_state(*, meeting_id: int) -> LiveState:
    """The live state and its seq, read together from one row so they always match (the public
    gate orders by the seq: a state older than an event it applied must not undo it)."""
    seq, state = Meeting.objects.values_list("last_seq", "live_state").get(id=meeting_id)
    return LiveState(seq=seq, state=state)


def member_live_state(*, meeting_id: int, person_id: int) -> LiveState:
    """The live state as the member socket sends it to one person: with `allowed`, the commands that
    person may send now (allowed.py), worked out from the same row as the state and its seq."""
    from . import allowed

    meeting = Meeting.objects.select_related("body").get(id=meeting_id)
    state = meeting.live_state or {}
    return LiveState(seq=meeting.last_seq,
                     state={**state, "allowed": allowed.for_person(meeting, state, person_id)})


def event_messages(*, meeting_id: int, after: int, upto: int | None = None, public: bool,
                   limit: int) -> list[dict[str, Any]]:
    """Up to `limit` log events with after < seq <= upto, in order, as socket messages (public form if asked)."""
    from . import events

    qs = MeetingEvent.objects.filter(meeting_id=meeting_id, seq__gt=after).order_by("seq")
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    if not public:
        return [events.event_message(e) for e in qs[:limit]]
    out = []
    prev = None
    for e in qs.filter(public_payload__isnull=False)[:limit]:
        e.prev_public_seq = prev  # known within a replay batch; the first one's is not needed
        message = events.public_event_message(e)
        if message is not None:  # the query keeps only public events
            out.append(message)
        prev = e.seq
    return out


def items_withheld(*, meeting_id: int) -> set[int]:
    """Ids of the meeting's items whose content the public may not see now (`visibility.withheld_items`
    over the few log events it needs)."""
    rows = MeetingEvent.objects.filter(meeting_id=meeting_id, type__in=visibility.WITHHELD_SOURCES) \
        .order_by("seq").values("seq", "type", "at", "payload")
    return visibility.withheld_items({**r, "at": r["at"].isoformat()} for r in rows)


def token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The owner's API tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expires__gt=timezone.now()).order_by("-created", "-id")
