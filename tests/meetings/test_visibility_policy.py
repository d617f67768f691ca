"""One visibility policy (meetings/visibility.py) for every public output (kommuneloven §§ 11-3, 11-4, 11-5).

A meeting driven through the real services writes every event type of the log with the doors open
and, wherever the services allow it, behind closed doors. Every free text in it carries a unique
marker («kN»). The test then holds every public output against the policy, recomputed here from
the log: the REST event list as anonymous, the public socket's event form (live and replayed), the
public state document (`state.json`) after every command, the agenda in the REST meeting detail,
items and notice, the public minutes, and the recording's chapters. Run a second time with a
stricter policy (everything but the meeting's frame made member-only): an output that decided on
its own instead of asking the policy would still show what the stricter policy hides.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from livestream.bridge import PublicStreams
from meetings import events, projection, public_state, selectors, visibility
from meetings.api import DocumentSerializer
from meetings.legal import ClosureGround
from meetings.models import AgendaItem, ExemptionProfile, Meeting, MeetingEvent
from meetings.services import agenda
from meetings.services import meetings as meeting_services
from meetings.services.log import event_record, log_append, meeting_lock
from minutes import approval as minutes_approval
from minutes import services as minutes_services
from tests.factories import join_with_media, live, make_council, report_media, run

MARK = re.compile(r"«k\d+»")

# Event types the services write only with the doors open, and why; and the one only behind them.
ONLY_WITH_DOORS_OPEN = {
    "meeting.created": "written while the meeting is a draft",
    "notice.published": "written before the meeting opens",
    "meeting.opened": "a meeting opens with its doors open",
    "meeting.ended": "the service opens the doors before it ends the meeting",
    "minutes.published": "written after the meeting has ended",
    "minutes.correction": "written after the meeting has ended",
    "doors.motion": "the doors table refuses a motion behind closed doors",
    "doors.debate_closed": "the doors table closes only open doors",
    "doors.closed": "the doors table closes only open doors",
    "doors.motion_rejected": "the vote on closing is held in open session",
    "item.corrected": "the clerk corrects the notice before the meeting opens",
    "item.postponed": "the clerk postpones a noticed case before the meeting opens",
    "agenda.reordered": "the clerk reorders the notice before the meeting opens",
    "meeting.location_changed": "the clerk moves the meeting before it opens",
    "minutes.signed": "the published minutes are signed after the meeting",
    "minutes.approved": "the minutes are approved after the meeting",
}
ONLY_WITH_DOORS_CLOSED = {"doors.opened": "the doors table opens only closed doors"}


# The stricter policy: only the meeting's frame (its state, the doors, the agenda) stays public.
STRICTER_KEEPS = {"notice.published", "meeting.opened", "meeting.suspended", "meeting.adjourned", "meeting.resumed",
                  "meeting.ended", "item.added", "item.opened", "item.closed", "doors.motion", "doors.debate_closed",
                  "doors.closed", "doors.opened", "doors.motion_rejected", "minutes.published"}


def marks(value: Any) -> set[str]:
    return set(MARK.findall(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))


class Marks:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"«k{self.n}»"


class Walk:
    """The meeting, its users, and what every public output showed after each command."""

    def __init__(self, council: Any, meeting: Meeting) -> None:
        self.council = council
        self.meeting = meeting
        self.users = {str(council.pid(u)): u for u in [council.chair, *council.members, *council.deputies]}
        self.anon = APIClient()
        self.web = Client()
        self.snapshots: list[dict[str, Any]] = []
        self.public_sent: list[dict[str, Any]] = []
        self.member_sent: list[dict[str, Any]] = []

    def run(self, user: Any, name: str, **payload: Any) -> Any:
        result = run(user, self.meeting, name, **payload)
        self.snap()
        return result

    def snap(self) -> None:
        mid = self.meeting.id
        seq = Meeting.objects.values_list("last_seq", flat=True).get(id=mid)
        self.snapshots.append({
            "seq": seq,
            "state": self.web.get(f"/public/meetings/{mid}/state.json").json(),
            "detail": self.anon.get(f"/api/meetings/{mid}/").json()["items"],
            "items": self.anon.get(f"/api/meetings/{mid}/items/").json(),
            "notice": self.anon.get(f"/api/meetings/{mid}/notice/").json()["items"],
        })

    def vote_all(self, vote: int, choice: str) -> None:
        for pid in live(self.meeting)["votes"][str(vote)]["eligible"]:
            self.run(self.users[pid], "vote.cast", vote=vote, choice=choice)

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        """An event type no service writes today (kept known for old logs), appended through the
        log's one writer so that its rule is walked too."""
        with transaction.atomic():
            log_append(meeting=meeting_lock(self.meeting.id), type=kind, payload=payload)
        self.snap()


def drive(walk: Walk, k: Marks, profile: ExemptionProfile, items: list[AgendaItem], closure_item: AgendaItem) -> None:
    council, mid = walk.council, walk.meeting.id
    chair, clerk = council.chair, council.clerk
    m1, m2, m3, m4 = council.members
    d1, d2 = council.deputies
    pid = council.pid

    def joined(user: Any) -> None:
        join_with_media(user, mid)
        walk.snap()

    def debate(item: AgendaItem) -> None:
        """Everything a debate writes, in whatever session the doors are in."""
        walk.run(m1, "floor.request")
        walk.run(m3, "floor.request")
        walk.run(chair, "speakers.reorder", order=[{"person": pid(m3), "kind": "speech"},
                                                   {"person": pid(m1), "kind": "speech"}])
        walk.run(m3, "floor.withdraw")
        walk.run(chair, "floor.grant")
        walk.run(m1, "floor.end")
        walk.run(m3, "question.ask", text=f"Spørsmål {k()}")
        kept = walk.run(m1, "proposal.submit", text=f"Forslag {k()}")
        withdrawn = walk.run(m3, "proposal.submit", text=f"Forslag som trekkes {k()}")
        walk.run(m3, "proposal.withdraw", proposal=withdrawn)
        walk.run(m3, "conflict.declare", item_id=item.id, reason=f"Grunn {k()}")
        walk.run(chair, "conflict.rule", item_id=item.id, person_id=pid(m3), recused=False,
                 legal_basis=f"forvaltningsloven § 6 {k()}")
        walk.run(m1, "vote.demand_written")
        vote = walk.run(chair, "vote.open", proposals=[kept], title=f"Votering {k()}")
        walk.vote_all(vote, "for")
        walk.run(chair, "vote.close", vote=vote)

    def frame(late_case: str) -> None:
        """The meeting's frame and attendance, in whatever session the doors are in."""
        walk.run(m2, "member.leave")
        walk.run(chair, "member.in_room", person_id=pid(m3), in_room=not live(mid)["attendance"][str(pid(m3))]
                 .get("in_room"))
        walk.run(clerk, "meeting.set_chair", person_id=pid(chair))
        walk.run(chair, "meeting.set_mode", mode="audio_only", reason=f"Videotjenesten er nede {k()}")
        walk.run(chair, "meeting.set_mode", mode="normal", reason=f"Video igjen {k()}")
        meeting_services.stream_report(meeting_id=mid, up=False, reason=f"Koderen stoppet {k()}")
        meeting_services.stream_report(meeting_id=mid, up=True, reason=f"Koderen går {k()}")
        walk.snap()
        walk.run(chair, "meeting.suspend", reason=f"Pause {k()}")
        walk.run(chair, "meeting.resume", reason=f"Videre {k()}")
        walk.run(chair, "meeting.adjourn", reason=f"Hevet {k()}")
        walk.run(chair, "meeting.resume", reason=f"Satt igjen {k()}")
        meeting_services.meeting_apply_exemption(user=clerk, meeting_id=mid, profile_id=profile.id)
        walk.snap()
        walk.run(chair, "item.add_late", case_number=late_case, title=f"Hastesak {k()}",
                 description=f"Hastesakens utredning {k()}")
        walk.run(chair, "item.add_late", case_number=f"{late_case}b", title=f"Avvist hastesak {k()}",
                 chair_objects=True)
        walk.append("member.talking", {"person": pid(m1), "name": "Medlem 1", "talking": True})
        walk.append("item.deferred", {"item": items[2].id, "state": "pending", "note": f"Utsatt {k()}"})

    walk.run(chair, "meeting.open")
    for u in (chair, m1, m2, m3):
        joined(u)
    walk.run(clerk, "absence.register", person_id=pid(m4), reason=f"Sykdom {k()}")
    walk.run(clerk, "deputy.summon", for_member_id=pid(m4), deputy_id=pid(d2))
    joined(d2)
    frame("PS 50/26")
    joined(m2)

    walk.run(chair, "item.open", item_id=items[0].id)
    debate(items[0])
    walk.run(chair, "item.close", item_id=items[0].id)

    walk.run(chair, "item.open", item_id=items[1].id)
    walk.run(chair, "doors.motion", ground=ClosureGround.PUBLIC_INTEREST, reason=f"Forhandlinger {k()}")
    vote = walk.run(chair, "vote.open", kind="closure")
    walk.vote_all(vote, "against")
    walk.run(chair, "vote.close", vote=vote)  # the motion falls
    walk.run(chair, "item.close", item_id=items[1].id)

    # Behind closed doors: first the debate on closing, then the closed session itself.
    walk.run(chair, "item.open", item_id=closure_item.id)
    walk.run(chair, "doors.motion", ground=ClosureGround.PRIVACY, reason=f"Helseopplysninger {k()}")
    walk.run(chair, "doors.close_debate")
    walk.run(m1, "floor.request")
    walk.run(chair, "floor.grant")
    walk.run(m1, "floor.end")
    vote = walk.run(chair, "vote.open", kind="closure")  # reopens the doors: the vote is in open session
    walk.vote_all(vote, "for")
    walk.run(chair, "vote.close", vote=vote)
    assert live(mid)["doors"]["closed"]

    frame("PS 60/26")
    walk.run(chair, "absence.register", person_id=pid(m2), reason=f"Gikk hjem syk {k()}")
    walk.run(chair, "deputy.summon", for_member_id=pid(m2), deputy_id=pid(d1))
    joined(d1)
    report_media(mid, m1, video=False)
    report_media(mid, m1)
    walk.snap()
    minutes_approval.signatories_choose(user=clerk, meeting_id=mid, person_ids=[pid(m3), pid(m1)])
    walk.snap()
    debate(closure_item)
    walk.run(chair, "item.close", item_id=closure_item.id)
    walk.run(chair, "item.open", item_id=items[2].id)  # opened while the doors stay closed
    walk.run(chair, "doors.open", reason=f"Ferdig {k()}")
    minutes_approval.signatories_choose(user=clerk, meeting_id=mid, person_ids=[pid(m1), pid(m3)])
    walk.snap()

    walk.run(chair, "item.close", item_id=items[2].id)
    late = AgendaItem.objects.get(meeting_id=mid, case_number="PS 60/26")
    walk.run(chair, "item.open", item_id=late.id)
    walk.run(chair, "item.close", item_id=late.id)
    walk.run(chair, "meeting.end")
    minutes_services.minutes_correct(user=clerk, meeting_id=mid, text=f"Rettelse {k()}")
    minutes_services.minutes_publish(meeting_id=mid)  # signed once published (the end's own call is queued)
    minutes_approval.minutes_sign(user=m1, meeting_id=mid)
    minutes_approval.minutes_sign(user=m3, meeting_id=mid)
    walk.snap()


@pytest.fixture(params=["the policy", "a stricter policy"])
def walked(request, db, monkeypatch, django_capture_on_commit_callbacks):
    if request.param == "a stricter policy":
        for kind in set(visibility.EVENT_RULES) - STRICTER_KEEPS:
            monkeypatch.setitem(visibility.EVENT_RULES, kind, visibility.member_only(why="stricter, for the test"))
    public_state._cache.clear()  # per process, keyed by (meeting id, seq); test databases reuse ids
    k = Marks()
    council = make_council(seats=5, deputies=2, slug="vis")
    council.body.written_ballot_basis = f"Reglement for Kommunestyret § 9 {k()}"
    council.body.minutes_approval = "signatories"
    council.body.save()
    today = timezone.localdate()
    profile = ExemptionProfile.objects.create(
        instrument="FOR-2026-11-01-998", title=f"Midlertidig forskrift {k()}", enabled=True, allows_audio_only=True,
        valid_from=today - dt.timedelta(days=30), valid_to=today + dt.timedelta(days=30))
    walk_ref: dict[str, Walk] = {}

    def sent(group: str, message: dict[str, Any]) -> None:
        if group.startswith("public-"):
            walk_ref["walk"].public_sent.append(message["event"])

    def member_event(event: Any) -> None:
        walk_ref["walk"].member_sent.append(events.event_message(event))

    monkeypatch.setattr(events, "_send", sent)
    events.add_listener(member_event)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            meeting = meeting_services.meeting_create(
                user=council.clerk, body_id=council.body.id, title=f"Kommunestyremøte {k()}",
                scheduled_start=timezone.now(), form="remote")
            walk_ref["walk"] = walk = Walk(council, meeting)
            items = [agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number=f"PS {i}/26",
                                     title=f"Sak {i} {k()}", description=f"Utredning {i} {k()}",
                                     recommendation=f"Innstilling {i} {k()}") for i in (1, 2, 3)]
            closure_item = agenda.item_add(
                user=council.clerk, meeting_id=meeting.id, case_number="PS 99/26", title=f"Klage {k()}",
                public_title=f"Unntatt sak {k()}", planned_closure_ground=ClosureGround.PRIVACY,
                description=f"Klagerens helse {k()}", recommendation=f"Klagen tas ikke til følge {k()}")
            agenda.document_add(user=council.clerk, item_id=closure_item.id, title=f"Offentlig saksframlegg {k()}")
            agenda.document_add(user=council.clerk, item_id=closure_item.id, title=f"Legeerklæring {k()}",
                                public=False, exemption_basis="offentleglova § 13")
            meeting_services.meeting_apply_exemption(user=council.clerk, meeting_id=meeting.id, profile_id=profile.id)
            meeting_services.meeting_publish_notice(user=council.clerk, meeting_id=meeting.id,
                                                    notice_text=f"Velkommen {k()}")
            # The clerk's changes to the published notice, each a public event.
            extra = agenda.item_add(user=council.clerk, meeting_id=meeting.id, case_number="PS 50/26",
                                    title=f"Sak 50 {k()}")
            agenda.item_edit(user=council.clerk, item_id=items[0].id, case_number="PS 1/26",
                             title=f"Sak 1 rettet {k()}", recommendation=items[0].recommendation)
            items[0].refresh_from_db()
            agenda.item_move(user=council.clerk, item_id=extra.id, by=-1)
            agenda.item_remove(user=council.clerk, item_id=extra.id, reason=f"Ikke ferdig utredet {k()}")
            meeting_services.meeting_set_location(user=council.clerk, meeting_id=meeting.id,
                                                  location=f"Rådhuset {k()}")
            walk.snap()
            drive(walk, k, profile, items, closure_item)
    finally:
        events.remove_listener(member_event)
    return walk


class Expected:
    """The policy's answer for each event, recomputed from the log (not read from any output)."""

    def __init__(self, meeting_id: int) -> None:
        self.records = [event_record(e) for e in MeetingEvent.objects.filter(meeting_id=meeting_id).order_by("seq")]
        self.states: dict[int, dict[str, Any]] = {}
        self.before: dict[int, dict[str, Any]] = {}
        self.live: dict[int, dict[str, Any] | None] = {}
        self.minutes: dict[int, dict[str, Any] | None] = {}
        state = projection.initial_state()
        for r in self.records:
            self.before[r["seq"]] = state
            state = projection.apply(state, r)
            self.states[r["seq"]] = state
            self.live[r["seq"]] = visibility.public_payload(r["type"], r["payload"], state)
            self.minutes[r["seq"]] = visibility.minutes_form(r["type"], r["payload"],
                                                             doors_closed=state["doors"]["closed"])

    def closed_before(self, r: dict[str, Any]) -> bool:
        return bool(self.before[r["seq"]]["doors"]["closed"])

    def public_events(self) -> list[tuple[int, str, Any]]:
        return [(r["seq"], r["type"], self.live[r["seq"]]) for r in self.records if self.live[r["seq"]] is not None]

    def live_marks(self, upto: int) -> set[str]:
        return set().union(*(marks(f) for seq, f in self.live.items() if f is not None and seq <= upto))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == kind]


def roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


def check_every_event_type_is_walked_with_the_doors_open_and_closed(walked: Walk, x: Expected) -> None:
    seen = {(r["type"], x.closed_before(r)) for r in x.records}
    for kind in projection.KNOWN_EVENT_TYPES:
        if kind not in ONLY_WITH_DOORS_CLOSED:
            assert (kind, False) in seen, f"{kind} was not written with the doors open"
        if kind not in ONLY_WITH_DOORS_OPEN:
            assert (kind, True) in seen, f"{kind} was not written behind closed doors"


def check_the_rest_event_list_and_the_public_socket(walked: Walk, x: Expected) -> None:
    expected = x.public_events()
    rest = walked.anon.get(f"/api/meetings/{walked.meeting.id}/events/?limit=2000").json()
    assert [(e["seq"], e["type"], e["payload"]) for e in rest["results"]] == expected
    assert not rest["has_more"]
    assert [(e["seq"], e["event"], e["payload"]) for e in walked.public_sent] == expected  # live
    replayed = selectors.event_messages(meeting_id=walked.meeting.id, after=0, public=True, limit=10_000)
    assert [(e["seq"], e["event"], e["payload"]) for e in replayed] == expected  # a reconnecting viewer
    assert [m["public"] for m in walked.member_sent] == [x.live[r["seq"]] for r in x.records]  # what chapters read


def check_the_public_state_document_after_every_command(walked: Walk, x: Expected) -> None:
    for snap in walked.snapshots:
        doc = dict(snap["state"])
        assert doc.pop("seq") == snap["seq"]
        doc.pop("meeting"), doc.pop("live_url")
        assert doc == roundtrip(visibility.state_document(x.states[snap["seq"]])), snap["seq"]
        assert marks(doc) <= x.live_marks(snap["seq"]), f"state.json at {snap['seq']} shows what no public event did"


def check_the_agenda_in_the_rest_api_after_every_command(walked: Walk, x: Expected) -> None:
    items = {i.id: i for i in AgendaItem.objects.filter(meeting=walked.meeting).prefetch_related("documents")}
    for snap in walked.snapshots:
        withheld = visibility.withheld_items(r for r in x.records if r["seq"] <= snap["seq"])
        for listing in ("detail", "items", "notice"):
            for shown in snap[listing]:
                item = items[shown["id"]]
                expected = visibility.item_public(item, withheld=withheld)
                assert {k: shown[k] for k in expected} == expected, (snap["seq"], listing, item.case_number)
                documents = DocumentSerializer(visibility.public_documents(item), many=True).data
                assert shown["documents"] == roundtrip(documents)


def check_every_output_names_an_item_by_its_public_title(walked: Walk, x: Expected) -> None:
    titles = {str(i.id): visibility.item_public_title(i.title, i.public_title)
              for i in AgendaItem.objects.filter(meeting=walked.meeting)}
    for r in x.of("item.opened") + x.of("item.added"):
        if x.live[r["seq"]] is not None:
            assert x.live[r["seq"]]["title"] == titles[str(r["payload"]["item"])]
    for snap in walked.snapshots:
        current = snap["state"]["current_item"]
        if current:
            assert current["title"] == titles[str(current["id"])]
        for listing in ("detail", "items", "notice"):
            assert all(i["title"] == titles[str(i["id"])] for i in snap[listing])
    minutes = Client().get(f"/meetings/{walked.meeting.id}/minutes.json").json()
    for item in minutes["agenda_items"]:
        assert item["title"] == titles[item["id"].split(":")[1]]


def check_the_public_minutes(walked: Walk, x: Expected) -> None:
    mid = walked.meeting.id
    data = Client().get(f"/meetings/{mid}/minutes.json").json()
    html = Client().get(f"/meetings/{mid}/minutes/").content.decode()
    # The meeting's own title is public with its notice (the REST meeting, the page's heading).
    allowed = set().union(marks(walked.meeting.title), *(marks(f) for f in x.minutes.values() if f is not None))
    assert marks(data) <= allowed and marks(html) <= allowed
    items = {it["id"]: it for it in data["agenda_items"]}

    def current(r: dict[str, Any]) -> str:
        return f"item:{x.before[r['seq']]['current_item']}"

    def kept(kind: str) -> list[dict[str, Any]]:
        return [r for r in x.of(kind) if x.minutes[r["seq"]] is not None]

    for key, it in items.items():
        assert len(it["speakers"]) == len([r for r in kept("floor.granted") if current(r) == key])
        assert [p["number"] for p in it["proposals"]] == [
            r["payload"]["proposal"] for r in kept("proposal.submitted") if f"item:{r['payload']['item']}" == key]
        assert len(it["conflicts"]) == len([r for r in kept("conflict.ruled") if f"item:{r['payload']['item']}" == key])
    assert [q["text"] for q in data["questions"]] == [r["payload"]["text"] for r in kept("question.asked")]
    votes = {v["number"]: v for it in items.values() for v in it["votes"]}
    for r in x.of("vote.closed"):
        assert votes[r["payload"]["vote"]]["redacted"] is (x.minutes[r["seq"]] is None), r["payload"]["vote"]
    for entry in data["attendance"]["absent"]:
        assert "reason" not in entry or any("reason" in (x.minutes[r["seq"]] or {}) for r in x.of("member.absent"))
    assert [e["title"] for e in data["late_items_refused"]] == [
        x.minutes[r["seq"]].get("title") for r in kept("late_item.refused")]
    assert data["closures"], "the closed periods and their grounds are always in the minutes"


def check_the_recordings_chapters(walked: Walk, x: Expected) -> None:

    class Recorder:
        gate_closed = False

        def __init__(self) -> None:
            self.chapters: list[str] = []

        def set_gate(self, closed: bool, slate_text: str = "") -> None:
            self.gate_closed = closed

        def add_chapter(self, title: str, at: Any = None, *, kind: str = "item") -> None:
            self.chapters.append(title)

    streams = PublicStreams()
    streams._check_soon = lambda meeting_id: None  # no watchdog in this test
    composer = Recorder()
    streams.composers[walked.meeting.id] = composer
    for message in walked.member_sent:
        streams.on_event(walked.meeting.id, message)
    expected = [visibility.chapter_title(r["type"], x.live[r["seq"]]) for r in x.records
                if not x.states[r["seq"]]["doors"]["closed"]]
    assert composer.chapters == [t for t in expected if t]
    assert marks(composer.chapters) <= x.live_marks(x.records[-1]["seq"])


def test_every_public_output_agrees_with_the_one_policy(walked):
    """Every event type × doors open/closed × every public output, against the policy (or a stricter one)."""
    x = Expected(walked.meeting.id)
    check_every_event_type_is_walked_with_the_doors_open_and_closed(walked, x)
    check_the_rest_event_list_and_the_public_socket(walked, x)
    check_the_public_state_document_after_every_command(walked, x)
    check_the_agenda_in_the_rest_api_after_every_command(walked, x)
    check_every_output_names_an_item_by_its_public_title(walked, x)
    check_the_public_minutes(walked, x)
    check_the_recordings_chapters(walked, x)


def test_it_has_one_explicit_rule_for_every_event_type_and_denies_unknown_ones():
    assert set(visibility.EVENT_RULES) == set(projection.KNOWN_EVENT_TYPES)
    assert all(rule.why for rule in visibility.EVENT_RULES.values())
    for closed in (False, True):
        assert visibility.public_payload("no.such_type", {"text": "x"}, {"doors": {"closed": closed}}) is None
        assert visibility.minutes_form("no.such_type", {"text": "x"}, doors_closed=closed) is None


def _late_item_fixture(council: Any, k: Marks) -> tuple[Meeting, AgendaItem]:
    from tests.factories import make_meeting, start_meeting
    from tests.helpers import close_doors

    meeting = make_meeting(council)
    start_meeting(council, meeting)
    run(council.chair, meeting, "item.open", item_id=meeting.items.first().id)
    close_doors(council, meeting)
    run(council.chair, meeting, "item.add_late", case_number="PS 70/26", title=f"Hastesak {k()}",
        description=f"Opplysninger fra lukket møte {k()}")
    return meeting, AgendaItem.objects.get(meeting=meeting, case_number="PS 70/26")


def test_law_13_16_a_late_item_added_behind_closed_doors_shows_only_its_public_title_until_the_doors_open(db):
    public_state._cache.clear()
    council = make_council(seats=5, slug="late")
    k = Marks()
    meeting, late = _late_item_fixture(council, k)
    title, description = late.title, late.description
    anon = APIClient()

    def everywhere_public() -> list[Any]:
        return [anon.get(f"/api/meetings/{meeting.id}/").json(), anon.get(f"/api/meetings/{meeting.id}/items/").json(),
                anon.get(f"/api/meetings/{meeting.id}/notice/").json(),
                anon.get(f"/api/meetings/{meeting.id}/events/").json(),
                Client().get(f"/public/meetings/{meeting.id}/state.json").json()]

    outputs = everywhere_public()
    for output in outputs:
        assert marks(description).isdisjoint(marks(output)), "the description of a late item added behind closed doors"
    for listing in (outputs[0]["items"], outputs[1], outputs[2]["items"]):
        shown = next(i for i in listing if i["id"] == late.id)
        # No public title was given: the public knows the case by a neutral one, never its real title.
        assert shown["title"] == "Sak tatt opp for lukkede dører" and shown["content_withheld"] is True
        assert shown["description"] == "" and shown["recommendation"] == ""
    added = next(e for e in outputs[3]["results"] if e["type"] == "item.added")
    assert added["payload"] == {"item": late.id, "case_number": "PS 70/26", "title": "Sak tatt opp for lukkede dører",
                                "public_title": "Sak tatt opp for lukkede dører", "late": True}
    # who objected is part of the closed session; the real title is nowhere public
    for output in outputs:
        assert marks(title).isdisjoint(marks(output)), "the real title of a late item added behind closed doors"

    run(council.chair, meeting, "doors.open")  # the public may see more: the item is not exempt
    shown = next(i for i in anon.get(f"/api/meetings/{meeting.id}/").json()["items"] if i["id"] == late.id)
    assert shown["description"] == description and shown["content_withheld"] is False


def test_law_16_a_late_item_opened_behind_closed_doors_keeps_its_content_from_the_public(db):
    council = make_council(seats=5, slug="late2")
    meeting, late = _late_item_fixture(council, Marks())
    run(council.chair, meeting, "item.close", item_id=meeting.items.first().id)
    run(council.chair, meeting, "item.open", item_id=late.id)  # handled behind closed doors
    run(council.chair, meeting, "doors.open")
    shown = next(i for i in APIClient().get(f"/api/meetings/{meeting.id}/").json()["items"] if i["id"] == late.id)
    assert shown["description"] == "" and shown["content_withheld"] is True
    assert shown["title"] == "Sak tatt opp for lukkede dører" != late.title  # its public title, not the real one


def test_the_public_page_renders_what_the_server_gives_it():
    # The page decides nothing about visibility: it shows the notice and caption texts the policy
    # put in the state document, and a vote's decision when the document has one.
    import pathlib

    source = (pathlib.Path(__file__).resolve().parents[2] / "frontend/static/frontend/public.js").read_text()
    for decision in ("doors.closed", "doors.ground", '"closure"', "lukket for publikum", "Lukket møte"):
        assert decision not in source, decision
    assert "doors.notice" in source and "doors.caption" in source
