"""Minutes generation bench: an 8-hour council meeting with ~20,000 log events.

    .venv/bin/python bench/bench_minutes.py        # ~1-3 minutes, prints a markdown table

The log is built through the real command table (`meetings.commands.execute`) and the real system
services (`member_media_report`, `stream_report`), so payloads are exactly what production writes.
The log clock (`meetings.services.log.timezone`) is simulated so that the events span 8 hours.
Broadcasting is switched off while building (nobody listens; it is not what is measured here),
and projection.apply's deepcopy is swapped for a JSON round trip (same result, ~5x faster).

Then, median of 3 runs each:
  * minutes_build (public and internal) + to_html + to_json   (target < 2 s)
  * to_pdf                                                      (target < 10 s)

Environment: BENCH_EVENTS (default 20000), BENCH_RUNS (3), BENCH_TIME_LIMIT (seconds, default 540).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGET_EVENTS = int(os.environ.get("BENCH_EVENTS", 20000))
RUNS = int(os.environ.get("BENCH_RUNS", 3))
TIME_LIMIT = int(os.environ.get("BENCH_TIME_LIMIT", 540))
HOURS = 8
N_ITEMS = int(os.environ.get("BENCH_ITEMS", 16))


def _timeout(signum, frame):  # noqa: ARG001
    print(f"bench_minutes: hard time limit of {TIME_LIMIT} s reached", file=sys.stderr, flush=True)
    os._exit(3)


class SimClock:
    """Stands in for django.utils.timezone inside the log writer: every call moves time on."""

    def __init__(self, start: dt.datetime, step: float) -> None:
        self.t, self.step = start, dt.timedelta(seconds=step)

    def now(self) -> dt.datetime:
        self.t += self.step
        return self.t


def setup_django(db_path: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SQLITE_PATH"] = db_path
    os.environ.setdefault("MEDIA_IN_PROCESS", "0")
    os.environ.setdefault("LIVESTREAM_ENABLED", "0")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.chdir(ROOT)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_log() -> tuple[int, float]:
    from django.db import transaction
    from django.utils import timezone

    from meetings import events
    from meetings.exceptions import NotEligible
    from meetings.models import AgendaItem, Meeting, Person
    from meetings.services import attendance
    from meetings.services import log as logmod
    from meetings.services import meetings as meeting_services
    from tests.factories import make_council, make_meeting, run

    rng = random.Random(2026)
    # Speed-ups for building only (the generated log is byte-for-byte what the services write):
    # cheap password hashing for the 30 factory users, and a JSON round trip instead of
    # copy.deepcopy for projection.apply's "new state" copy (the state is plain JSON, so the result
    # is the same; deepcopy of the growing state is what makes a 20k-event build slow).
    import json as _json
    import types

    from django.conf import settings

    from meetings import projection

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    projection.copy = types.SimpleNamespace(deepcopy=lambda x: _json.loads(_json.dumps(x)))
    events._send = lambda group, message: None  # no listeners while building
    events._listeners.clear()

    council = make_council(seats=25, deputies=4, slug="bench")
    n_items = N_ITEMS
    meeting = make_meeting(council, items=n_items)
    mid = meeting.id
    items = list(AgendaItem.objects.filter(meeting_id=mid).order_by("order").values_list("id", flat=True))
    chair = council.chair
    everyone = [chair, *council.members]
    pid = {u.id: council.pid(u) for u in everyone}

    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    logmod.timezone = SimClock(start, HOURS * 3600 / TARGET_EVENTS)

    def count() -> int:
        return Meeting.objects.values_list("last_seq", flat=True).get(id=mid)

    def join(u) -> None:
        # A member joins and the media server measures their camera and microphone (presence.py
        # counts remote members only from such measurements).
        run(u, mid, "member.join")
        attendance.member_media_report(meeting_id=mid, person_id=Person.objects.get(user=u).id, sends_audio=True,
                                       sends_video=True, receives=True, reason="measured by the media server")

    run(chair, mid, "meeting.open")
    present = set()
    for u in everyone:
        join(u)
        present.add(u.id)
    meeting_services.stream_report(meeting_id=mid, up=True, reason="stream started")

    media_per_item = 10  # real member.media reports; the bulk is added by densify_media()
    media_state: dict[int, bool] = {}

    def media_burst(n: int) -> None:
        done = 0
        tries = 0
        while done < n and tries < n * 3:
            tries += 1
            u = rng.choice([x for x in everyone if x.id in present])
            p = pid[u.id]
            field = rng.choice(["sends_video", "sends_video", "sends_audio", "receives"])
            key = (p, field)
            value = not media_state.get(key, True)
            if attendance.member_media_report(meeting_id=mid, person_id=p, reason="link quality", **{field: value}):
                media_state[key] = value
                done += 1

    def media_restore() -> None:
        # Before a closure vote: links recover, so the vote reaches its quorum and the doors really
        # close (otherwise the motion falls and the public build never redacts anything).
        for (p, field), value in list(media_state.items()):
            if not value and attendance.member_media_report(meeting_id=mid, person_id=p, reason="link restored",
                                                            **{field: True}):
                media_state[(p, field)] = True

    def cast_all(vote: int, options: list[str]) -> None:
        for u in everyone:
            if u.id in present:
                try:
                    run(u, mid, "vote.cast", vote=vote, choice=rng.choice(options))
                except NotEligible:  # e.g. video dropped when the vote opened (§ 11-7 (2))
                    pass

    for i, item in enumerate(items):
        with transaction.atomic():
            run(chair, mid, "item.open", item_id=item)
            closed = i % 8 == 5
            if closed:  # a closure: motion, debate in closed session, vote, closed, later reopened
                run(chair, mid, "doors.motion", ground="11-5-3-a", reason="personvern")
                run(chair, mid, "doors.close_debate")
                media_restore()
                v = run(chair, mid, "vote.open", kind="closure")
                cast_all(v, ["for"])
                run(chair, mid, "vote.close", vote=v)
            # a few members leave and come back
            for u in rng.sample(council.members, 2):
                if u.id in present:
                    run(u, mid, "member.leave")
                    present.discard(u.id)
            # debate: speeches with the odd reply
            media_done = 0
            for s in range(20):
                speaker = rng.choice([u for u in council.members if u.id in present])
                run(speaker, mid, "floor.request")
                run(chair, mid, "floor.grant")
                if s % 3 == 0:
                    other = rng.choice([u for u in council.members if u.id in present and u.id != speaker.id])
                    run(other, mid, "floor.request", kind="reply")
                if s % 7 == 3:
                    extra = rng.choice([u for u in council.members if u.id in present and u.id != speaker.id])
                    try:
                        run(extra, mid, "floor.request")
                        run(extra, mid, "floor.withdraw")
                    except Exception:
                        pass
                chunk = media_per_item // 20
                media_burst(chunk)
                media_done += chunk
                run(chair, mid, "floor.end")
                if s % 3 == 0:
                    run(chair, mid, "floor.grant")
                    run(chair, mid, "floor.end")
            media_burst(media_per_item - media_done)
            for u in council.members:
                if u.id not in present and rng.random() < 0.9:
                    join(u)
                    present.add(u.id)
            if i % 10 == 7:
                run(rng.choice(council.members), mid, "question.ask", text="Spørsmål til ordføreren om vedlikehold av "
                    "kommunale veier i vinter, og om budsjettet holder.")
            # proposals and votes: an alternative vote, then the final vote on the recommendation
            props = []
            for k in range(2):
                author = rng.choice([u for u in council.members if u.id in present])
                props.append(run(author, mid, "proposal.submit",
                                 text=f"Forslag {k + 1} i sak {i + 1}: kommunestyret ber kommunedirektøren utrede "
                                      f"saken videre og legge fram en ny vurdering innen utgangen av året."))
            v = run(chair, mid, "vote.open", proposals=props, title="Alternativ votering")
            cast_all(v, [f"p{n}" for n in props])
            run(chair, mid, "vote.close", vote=v)
            v = run(chair, mid, "vote.open", proposals=[props[0]], title="Forslag mot innstilling")
            cast_all(v, ["for", "against"])
            run(chair, mid, "vote.close", vote=v)
            v = run(chair, mid, "vote.open", title="Endelig votering")
            cast_all(v, ["for", "for", "against"])
            run(chair, mid, "vote.close", vote=v)
            if closed and Meeting.objects.get(id=mid).live_state["doors"]["closed"]:
                run(chair, mid, "doors.open", reason="saken er ferdigbehandlet")
            run(chair, mid, "item.close", item_id=item)
    with transaction.atomic():
        meeting_services.stream_report(meeting_id=mid, up=False, reason="stream ended")
        run(chair, mid, "meeting.end")
    real = count()
    densify_media(mid, start, rng, [pid[u.id] for u in everyone])
    return mid, real


def densify_media(mid: int, start: dt.datetime, rng: random.Random, persons: list[int]) -> None:
    """Bring the log up to TARGET_EVENTS with member.media reports (the most frequent event in a long
    remote meeting: every video/audio drop and recovery the media worker sees), spread through the
    session, then rewrite seq, time (evenly over 8 hours) and the hash chain. Payloads have exactly
    the shape `attendance.member_media_report` writes; per person and field they alternate off/on."""
    from django.db import connection, transaction

    from meetings.models import Meeting, MeetingEvent, Person
    from meetings.services.log import GENESIS, event_digest

    recs = list(MeetingEvent.objects.filter(meeting_id=mid).order_by("seq")
                .values("type", "actor_id", "payload", "public_payload"))
    first = next(i for i, r in enumerate(recs) if r["type"] == "item.opened")
    last = max(i for i, r in enumerate(recs) if r["type"] == "item.closed")
    extra = max(0, TARGET_EVENTS - len(recs))
    names = dict(Person.objects.filter(id__in=persons).values_list("id", "name"))
    slots = sorted(rng.randrange(first, last) for _ in range(extra))
    flags: dict[tuple[int, str], bool] = {}
    out: list[dict] = []
    j = 0
    for i, r in enumerate(recs):
        while j < len(slots) and slots[j] == i:
            p = rng.choice(persons)
            field = rng.choice(["sends_video", "sends_video", "sends_audio", "receives"])
            value = not flags.get((p, field), True)
            flags[(p, field)] = value
            out.append({"type": "member.media", "actor_id": None, "public_payload": None,
                        "payload": {"person": p, "name": names[p], field: value, "reason": "link quality"}})
            j += 1
        out.append(r)
    step = dt.timedelta(seconds=HOURS * 3600 / len(out))
    prev = GENESIS
    rows = []
    for n, r in enumerate(out, 1):
        at = start + step * n
        digest = event_digest(meeting_id=mid, seq=n, type=r["type"], at=at.isoformat(), actor=r["actor_id"],
                              payload=r["payload"], prev_digest=prev)
        rows.append(MeetingEvent(meeting_id=mid, seq=n, type=r["type"], at=at, actor_id=r["actor_id"],
                                 payload=r["payload"], public_payload=r["public_payload"], prev_digest=prev,
                                 digest=digest))
        prev = digest
    with transaction.atomic():
        with connection.cursor() as cur:  # the model refuses deletes; this is a scratch database
            cur.execute(f"DELETE FROM {MeetingEvent._meta.db_table} WHERE meeting_id = %s", [mid])
        MeetingEvent.objects.bulk_create(rows, batch_size=2000)
        Meeting.objects.filter(id=mid).update(last_seq=len(rows), last_digest=prev)


def main() -> int:
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(TIME_LIMIT)
    tmp = tempfile.mkdtemp(prefix="bench-minutes-")
    db = os.path.join(tmp, "bench.sqlite3")
    try:
        setup_django(db)
        t0 = time.perf_counter()
        mid, real = build_log()
        hours = HOURS
        build_s = time.perf_counter() - t0

        from meetings.models import MeetingEvent
        from minutes import render
        from minutes.services import minutes_build

        n_events = MeetingEvent.objects.filter(meeting_id=mid).count()
        n_closed = MeetingEvent.objects.filter(meeting_id=mid, type="doors.closed").count()
        print(f"built log: {n_events} events ({real} through the real commands, {n_closed} closed sessions) "
              f"spanning {hours} h in {build_s:.1f} s", flush=True)

        rows = []
        sizes = {}
        load_before = os.getloadavg()
        for public in (True, False):
            label = "public" if public else "internal"
            t_build, t_html, t_json, t_pdf, t_text = [], [], [], [], []
            warm = minutes_build(meeting_id=mid, public=public)  # warm-up (templates, reportlab), not timed
            render.to_pdf(warm)
            render.to_html(warm, meeting_id=mid, published=True)
            for _ in range(RUNS):
                a = time.perf_counter()
                data = minutes_build(meeting_id=mid, public=public)
                b = time.perf_counter()
                html = render.to_html(data, meeting_id=mid, published=True)
                c = time.perf_counter()
                js = render.to_json(data)
                d = time.perf_counter()
                pdf = render.to_pdf(data)
                e = time.perf_counter()
                t_build.append(b - a)
                t_html.append(c - b)
                t_json.append(d - c)
                t_text.append(d - a)
                t_pdf.append(e - d)
                sizes[label] = (len(html), len(js), len(pdf))
            med = statistics.median
            rows.append((label, med(t_build), med(t_html), med(t_json), med(t_text), med(t_pdf)))
            print(f"{label}: runs build+html+json {[round(x, 3) for x in t_text]} pdf {[round(x, 3) for x in t_pdf]}",
                  flush=True)

        print()
        print(f"Minutes of one {hours:.1f}-hour meeting, {n_events} log events, 25 members "
              f"(median of {RUNS} runs, seconds)")
        print()
        print("| version | minutes_build | to_html | to_json | build+html+json (target < 2 s) | to_pdf (target < 10 s) "
              "| HTML / JSON / PDF size |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for label, b, h, j, t, p in rows:
            ok1 = "ok" if t < 2 else "OVER"
            ok2 = "ok" if p < 10 else "OVER"
            hs, js_, ps = sizes[label]
            print(f"| {label} | {b:.3f} | {h:.3f} | {j:.3f} | {t:.3f} ({ok1}) | {p:.3f} ({ok2}) "
                  f"| {hs // 1024} KiB / {js_ // 1024} KiB / {ps // 1024} KiB |")
        load_after = os.getloadavg()
        print()
        print(f"Load average (1/5/15 min) on this shared {os.cpu_count()}-core machine: before the timed runs "
              f"{load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, after "
              f"{load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")
        print()
        print(f"Log: {real} events through the real commands ({N_ITEMS} items, 3 votes each with all members "
              f"casting, ~27 speeches, replies, proposals, leaves/joins, closed doors on every 8th item ({n_closed} closed sessions), "
              f"media reports), densified to {n_events} with member.media reports; built in {build_s:.1f} s.")
        return 0
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
