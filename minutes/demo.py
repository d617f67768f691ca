"""A complete meeting played through the real services, for the demo (`seed_demo`) and the tests.

It exercises what the minutes must show: roll call with an absence and a deputy, six items, a
reply, proposals, an optional closure under § 11-5 (3) a with its open vote, a conflict-of-interest
ruling, a tie decided by the chair's casting vote, an election with a blank vote, a member degraded
to audio-only, and a stream outage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from meetings import clock as meeting_clock
from meetings import commands
from meetings.legal import ClosureGround
from meetings.models import Body, Meeting, Membership, Role
from meetings.projection import eligible_voters
from meetings.services import agenda, attendance, meetings

SECRET_PROPOSAL = "Søknaden avslås fordi søkeren har en alvorlig helsediagnose"
DEMO_TITLE = "Kommunestyremøte (demo)"

ITEMS = [
    ("PS 31/26", "Kommunal planstrategi 2026–2029", "", "Planstrategien vedtas."),
    ("PS 32/26", "Tilskudd til idrettslag – Fjordvik IL", "", "Fjordvik IL får 250 000 kr i tilskudd."),
    ("PS 33/26", "Endring av gebyrregulativ for byggesak", "", "Gebyrregulativet endres som foreslått."),
    ("PS 34/26", "Klage på avslag om skjenkebevilling", ClosureGround.PRIVACY, "Klagen tas ikke til følge."),
    ("PS 35/26", "Rullering av trafikksikkerhetsplan", "", "Trafikksikkerhetsplanen vedtas."),
    ("PS 36/26", "Valg av leder til eldrerådet", "", ""),
]


class PastClock:
    """A clock for playing a meeting in the past: every reading moves time on by `step`, and the
    script moves it on further between items. The log writer stamps events as it appends them, so
    the hash chain covers these times exactly as it would real ones."""

    def __init__(self, start: dt.datetime, step: dt.timedelta = dt.timedelta(seconds=8)) -> None:
        self.t = start
        self.step = step

    def now(self) -> dt.datetime:
        self.t += self.step
        # UTC, as django.utils.timezone.now() gives it: the digest hashes at.isoformat(), and the
        # database hands times back in UTC, so any other offset would fail verification.
        return self.t.astimezone(dt.UTC)

    def set(self, moment: dt.datetime) -> None:
        self.t = moment

    def advance(self, minutes: float) -> None:
        self.t += dt.timedelta(minutes=minutes)


@contextmanager
def _stamped_by(clock: PastClock | None) -> Iterator[None]:
    """Date what the meeting services write by `clock` while the demo plays (meetings/clock.py)."""
    if clock is None:
        yield
        return
    with meeting_clock.replaying(clock.now):
        yield


def _pause(clock: PastClock | None, minutes: float) -> None:
    if clock is not None:
        clock.advance(minutes)


def _run(user: Any, meeting_id: int, name: str, **payload: Any) -> Any:
    return commands.execute(name=name, user=user, meeting_id=meeting_id, payload=payload).result


def _vote(meeting_id: int, chair: Any, users: dict[str, Any], choices: Any, **open_args: Any) -> dict[str, Any]:
    vote = _run(chair, meeting_id, "vote.open", **open_args)
    state = Meeting.objects.get(id=meeting_id).live_state
    voters = state["votes"][str(vote)]["eligible"]
    for i, pid in enumerate(voters):
        choice = choices(i, pid, len(voters)) if callable(choices) else choices
        _run(users[pid], meeting_id, "vote.cast", vote=vote, choice=choice)
    return _run(chair, meeting_id, "vote.close", vote=vote)


def play_meeting(*, body: Body, clerk: Any, title: str = DEMO_TITLE, scheduled_start: dt.datetime | None = None,
                 clock: PastClock | None = None) -> Meeting:
    """Play a whole remote meeting of `body` (which needs a chair, >= 4 members and a deputy of the
    absent member's party) and end it. Returns the ended meeting; its minutes follow from the log.

    With a `clock`, the events are stamped by it: the notice two weeks before `scheduled_start`,
    the meeting from `scheduled_start` on, over about two and a half hours."""
    with _stamped_by(clock):
        return _play(body=body, clerk=clerk, title=title, scheduled_start=scheduled_start or timezone.now(),
                     clock=clock)


def _play(*, body: Body, clerk: Any, title: str, scheduled_start: dt.datetime, clock: PastClock | None) -> Meeting:
    memberships = list(Membership.objects.filter(body=body).select_related("person__user", "party"))
    chair = next(m.person.user for m in memberships if m.role == Role.CHAIR)
    seated = [m for m in memberships if m.role in (Role.MEMBER, Role.DEPUTY_CHAIR)]
    members = [m.person.user for m in seated]
    users = {str(m.person_id): m.person.user for m in memberships}
    absent = seated[-1]
    meeting = meetings.meeting_create(user=clerk, body_id=body.id, title=title,
                                      scheduled_start=scheduled_start, form="remote")
    for case, item_title, ground, recommendation in ITEMS:
        agenda.item_add(user=clerk, meeting_id=meeting.id, case_number=case, title=item_title,
                        planned_closure_ground=ground, recommendation=recommendation,
                        public_title="Klage i skjenkesak (unntatt offentlighet)" if ground else "")
    meetings.meeting_publish_notice(user=clerk, meeting_id=meeting.id, notice_text="Innkalling til fjernmøte.")
    mid = meeting.id
    items = list(meeting.items.order_by("order"))
    if clock is not None:
        clock.set(scheduled_start - clock.step)  # the chair opens the meeting on time
    _run(chair, mid, "meeting.open")
    present = [chair, *[u for u in members if u != absent.person.user]]
    _run(chair, mid, "roll_call", present=[u.person.id for u in present],
         absent={str(absent.person_id): "Sykdom"})
    deputy = attendance.deputy_summon(user=chair, meeting_id=mid, for_member_id=absent.person_id)
    _run(deputy.user, mid, "member.join")
    for person_id in [u.person.id for u in present] + [deputy.id]:
        # The demo has no media tier: this is what the media server reports when each member's
        # camera and microphone come up (presence.py counts members only from such measurements).
        attendance.member_media_report(meeting_id=mid, person_id=person_id, sends_audio=True, sends_video=True,
                                       receives=True, reason="measured by the media server")
    _pause(clock, 5)
    m0, m1, m2, m3 = members[0], members[1], members[2], members[3]

    # 1: a speech, a reply, a proposal adopted.
    _run(chair, mid, "item.open", item_id=items[0].id)
    _run(m0, mid, "floor.request")
    _run(chair, mid, "floor.grant")
    _run(m1, mid, "floor.request", kind="reply")
    _run(chair, mid, "floor.grant")
    number = _run(m0, mid, "proposal.submit", text="Planstrategien vedtas med tillegg om klimatilpasning.")
    _vote(mid, chair, users, "for", proposals=[number], title="Forslag fra " + m0.person.name)
    _pause(clock, 25)
    _run(chair, mid, "item.close", item_id=items[0].id)

    # 2: a conflict of interest, then a tie decided by the chair's casting vote.
    _run(chair, mid, "item.open", item_id=items[1].id)
    _run(m2, mid, "conflict.declare", item_id=items[1].id, reason="Styremedlem i Fjordvik IL")
    _run(chair, mid, "conflict.rule", item_id=items[1].id, person_id=m2.person.id, recused=True,
         legal_basis="forvaltningsloven § 6 første ledd bokstav e")
    state = Meeting.objects.get(id=mid).live_state
    voters = eligible_voters(state, str(items[1].id))
    if len(voters) % 2:  # an even number of voters makes the tie possible
        leaver = users[next(p for p in voters if users[p] != chair)]
        _run(leaver, mid, "member.leave")
    _tie_vote(mid, chair, users)
    _pause(clock, 20)
    _run(chair, mid, "item.close", item_id=items[1].id)

    # 3: a member degraded to audio-only and a stream outage, recorded by the system services.
    _run(chair, mid, "item.open", item_id=items[2].id)
    attendance.member_media_report(meeting_id=mid, person_id=m3.person.id, audio_only=True,
                                   reason="Dårlig forbindelse (pakketap over grensen)")
    meetings.stream_report(meeting_id=mid, up=False, reason="Koderen stoppet")
    meetings.stream_report(meeting_id=mid, up=True, reason="Koderen startet på nytt")
    attendance.member_media_report(meeting_id=mid, person_id=m3.person.id, audio_only=False,
                                   reason="Forbindelsen er god")
    _vote(mid, chair, users, "for", title="Innstillingen")
    _pause(clock, 15)
    _run(chair, mid, "item.close", item_id=items[2].id)

    # 4: closing the doors under § 11-5 (3) a: motion, vote in open session, closed debate, reopening.
    _run(chair, mid, "item.open", item_id=items[3].id)
    _run(chair, mid, "doors.motion", ground=ClosureGround.PRIVACY, reason="Opplysninger om søkerens helse")
    _vote(mid, chair, users, "for", kind="closure")
    _run(m0, mid, "floor.request")
    _run(chair, mid, "floor.grant")
    _run(m0, mid, "proposal.submit", text=SECRET_PROPOSAL)
    _pause(clock, 25)  # the closed debate
    _vote(mid, chair, users, "for", title="Innstillingen")
    _run(chair, mid, "doors.open", reason="Saken er ferdig behandlet")
    _pause(clock, 5)
    _run(chair, mid, "item.close", item_id=items[3].id)

    # 5: a question to the chair and an ordinary vote.
    _run(chair, mid, "item.open", item_id=items[4].id)
    _run(m1, mid, "question.ask", text="Når blir gang- og sykkelveien ved skolen ferdig?")
    _vote(mid, chair, users, lambda i, pid, n: "against" if i == 0 else "for", title="Innstillingen")
    _pause(clock, 15)
    _run(chair, mid, "item.close", item_id=items[4].id)

    # 6: an election with a blank vote.
    _run(chair, mid, "item.open", item_id=items[5].id)
    _vote(mid, chair, users, lambda i, pid, n: "blank" if i == 0 else "Solveig Fjell", kind="election",
          candidates=["Solveig Fjell", "Arne Li"], title="Valg av leder til eldrerådet")
    _pause(clock, 10)
    _run(chair, mid, "item.close", item_id=items[5].id)
    _run(chair, mid, "meeting.end")
    return Meeting.objects.get(id=mid)


def _tie_vote(mid: int, chair: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The chair and half the voters minus one vote for, the rest against: a tie the chair decides."""
    chair_pid = str(chair.person.id)
    vote = _run(chair, mid, "vote.open", title="Innstillingen")
    voters = Meeting.objects.get(id=mid).live_state["votes"][str(vote)]["eligible"]
    others = [p for p in voters if p != chair_pid]
    in_favour = {chair_pid, *others[: len(voters) // 2 - 1]}
    for pid in voters:
        _run(users[pid], mid, "vote.cast", vote=vote, choice="for" if pid in in_favour else "against")
    return _run(chair, mid, "vote.close", vote=vote)


def ensure_past_meeting() -> Meeting | None:
    """For `seed_demo`: one ended meeting of the demo council with published minutes (idempotent)."""
    body = Body.objects.filter(slug="kommunestyret").first()
    if body is None:
        return None
    existing = Meeting.objects.filter(body=body, title=DEMO_TITLE).first()
    if existing:
        return existing
    clerk = Membership.objects.filter(body=body, role=Role.CLERK).select_related("person__user").first().person.user
    # 18:00 Oslo time two weeks ago; the notice goes out two weeks before that.
    day = (timezone.now() - dt.timedelta(days=14)).astimezone(ZoneInfo("Europe/Oslo")).date()
    start = dt.datetime.combine(day, dt.time(18, 0), tzinfo=ZoneInfo("Europe/Oslo"))
    clock = PastClock(start - dt.timedelta(days=14, hours=6))
    return play_meeting(body=body, clerk=clerk, scheduled_start=start, clock=clock)
