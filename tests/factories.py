"""Build councils and drive meetings through the real services, for tests across the project."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from meetings import commands
from meetings.models import Body, Meeting, Membership, Municipality, Party, Person, Role


@dataclass
class Council:
    body: Body
    chair: Any  # User
    clerk: Any
    members: list[Any]  # Users, the chair excluded
    deputies: list[Any] = field(default_factory=list)

    def person(self, user: Any) -> Person:
        return Person.objects.get(user=user)

    def pid(self, user: Any) -> int:
        return self.person(user).id


def make_user(username: str, name: str, party: Party | None = None) -> Any:
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    Person.objects.create(user=user, name=name, party=party)
    return user


def make_council(*, seats: int = 5, deputies: int = 2, remote_allowed: bool = True, slug: str = "kst") -> Council:
    """A body of `seats` members (one of them the chair), a clerk and ranked deputies, in two parties."""
    muni, _ = Municipality.objects.get_or_create(name="Testvik kommune", number="9999")
    parties = [Party.objects.get_or_create(name=n, short_name=s)[0]
               for n, s in (("Arbeiderpartiet", "Ap"), ("Høyre", "H"))]
    body = Body.objects.create(municipality=muni, name=f"Kommunestyret {slug}", slug=slug, body_type="kommunestyre",
                               seats=seats, remote_allowed=remote_allowed,
                               remote_decision_ref="PS 1/26" if remote_allowed else "",
                               remote_decision_date=dt.date(2026, 1, 15) if remote_allowed else None)
    chair = make_user(f"{slug}-chair", "Ordfører Olsen", parties[0])
    Membership.objects.create(body=body, person=Person.objects.get(user=chair), role=Role.CHAIR, party=parties[0])
    members = []
    for i in range(seats - 1):
        party = parties[i % 2]
        u = make_user(f"{slug}-m{i + 1}", f"Medlem {i + 1}", party)
        Membership.objects.create(body=body, person=Person.objects.get(user=u), role=Role.MEMBER, party=party)
        members.append(u)
    deps = []
    for i in range(deputies):
        party = parties[i % 2]
        u = make_user(f"{slug}-d{i + 1}", f"Vara {i + 1}", party)
        Membership.objects.create(body=body, person=Person.objects.get(user=u), role=Role.DEPUTY, party=party,
                                  deputy_rank=i + 1)
        deps.append(u)
    clerk = make_user(f"{slug}-clerk", "Sekretær Berg")
    Membership.objects.create(body=body, person=Person.objects.get(user=clerk), role=Role.CLERK)
    return Council(body=body, chair=chair, clerk=clerk, members=members, deputies=deps)


def make_meeting(council: Council, *, items: int = 3, form: str = "remote", publish: bool = True,
                 closure_item: str = "") -> Meeting:
    from meetings.services import agenda, meetings

    meeting = meetings.meeting_create(user=council.clerk, body_id=council.body.id, title="Kommunestyremøte",
                                      scheduled_start=timezone.now(), form=form)
    for i in range(items):
        agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number=f"PS {i + 1}/26", title=f"Sak {i + 1}",
                        recommendation=f"Innstilling i sak {i + 1} vedtas.")
    if closure_item:
        agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 99/26", title="Klage på vedtak",
                        public_title="Unntatt sak", planned_closure_ground=closure_item,
                        recommendation="Klagen tas ikke til følge.")
    if publish:
        meetings.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id)
    return Meeting.objects.get(id=meeting.id)


def run(user: Any, meeting: Meeting | int, name: str, **payload: Any) -> Any:
    """Run one meeting command as `user` through the shared command table."""
    meeting_id = meeting if isinstance(meeting, int) else meeting.id
    return commands.execute(name=name, user=user, meeting_id=meeting_id, payload=payload).result


def report_media(meeting: Meeting | int, user: Any, *, audio: bool = True, video: bool = True,
                 receives: bool = True) -> None:
    """What the media server would report for a member (`member_media_report`, the service the media
    worker calls). For tests of the procedure that run no media tier; the measurement itself is
    tested with real aiortc peers (tests/conference, tests/integration)."""
    from meetings.services.attendance import member_media_report

    member_media_report(meeting_id=meeting if isinstance(meeting, int) else meeting.id,
                        person_id=Person.objects.get(user=user).id, sends_audio=audio, sends_video=video,
                        receives=receives, reason="measured by the media server")


def join_with_media(user: Any, meeting: Meeting | int) -> None:
    """A member joins a remote meeting and their audio and video are measured as arriving."""
    run(user, meeting, "member.join")
    report_media(meeting, user)


def start_meeting(council: Council, meeting: Meeting, *, join_all: bool = True) -> None:
    run(council.chair, meeting, "meeting.open")
    if join_all:
        for u in [council.chair, *council.members]:
            join_with_media(u, meeting)


def meeting_with_item_open(*, slug: str, seats: int = 4, deputies: int = 0) -> tuple[Council, Meeting]:
    """A council's meeting in session, everyone joined with media, the first agenda item open."""
    council = make_council(seats=seats, deputies=deputies, slug=slug)
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.order_by("order").first().id)
    return council, meeting


def live(meeting: Meeting | int) -> dict[str, Any]:
    return Meeting.objects.get(id=meeting if isinstance(meeting, int) else meeting.id).live_state
