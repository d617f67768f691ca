"""Minutes generation bench: an 8-hour council meeting with ~20,000 log events.

    .venv/bin/python bench/bench_minutes.py        # 2-5 minutes (building the log), prints a markdown table

The whole log is written through the real command table (`meetings.commands.execute`) and the real
system services (`member_media_report`, `stream_report`), so payloads and the hash chain are
exactly what production writes. The meeting is played in the past on the replay clock the log
writer reads (`meetings.clock.replaying` with the demo's `PastClock`, as `seed_demo` plays its past
meeting): the notice two weeks before, then the meeting from 09:00 to 17:00, each item in a half
hour of its own. Before measuring, the bench checks that premise: opened and ended 8 h apart, times
in log order, events in every hour, the hash chain intact. Broadcasting is switched off while
building (nobody listens; it is not what is measured here).

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
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGET_EVENTS = int(os.environ.get("BENCH_EVENTS", 20000))
RUNS = int(os.environ.get("BENCH_RUNS", 3))
TIME_LIMIT = int(os.environ.get("BENCH_TIME_LIMIT", 540))
HOURS = 8
N_ITEMS = int(os.environ.get("BENCH_ITEMS", 16))
SPEECHES = 20  # per item
# About what the procedure itself writes (joins, speeches, proposals, votes, lasting media drops);
# member.media drop-and-recovery pairs make up the rest of TARGET_EVENTS.
PROCEDURE_EVENTS = 2600


def _timeout(signum, frame):  # noqa: ARG001
    print(f"bench_minutes: hard time limit of {TIME_LIMIT} s reached", file=sys.stderr, flush=True)
    os._exit(3)


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


def build_log() -> int:
    """Play the 8-hour meeting on the replay clock; return its id."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from meetings import clock as meeting_clock
    from meetings import events
    from meetings.exceptions import NotEligible
    from meetings.models import AgendaItem, Meeting, Person
    from meetings.services import agenda, attendance
    from meetings.services import meetings as meeting_services
    from minutes.demo import PastClock
    from tests.factories import make_council, run

    rng = random.Random(2026)
    # Cheap password hashing for the 30 factory users (building only; nothing measured logs in).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    events._send = lambda group, message: None  # no listeners while building
    events._listeners.clear()

    # Yesterday 09:00 in Oslo: wholly in the past, so no event is later than the wall clock.
    day = (timezone.now() - dt.timedelta(days=1)).astimezone(ZoneInfo("Europe/Oslo")).date()
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=ZoneInfo("Europe/Oslo"))
    end = start + dt.timedelta(hours=HOURS)
    slot = (end - start) / N_ITEMS
    # Every reading moves the clock on a second: an item's ~1,250 events fill about 21 of its 30 minutes.
    clock = PastClock(start - dt.timedelta(days=14), step=dt.timedelta(seconds=1))

    def happens_at(moment: dt.datetime) -> None:
        """The next event is stamped `moment`, which must not be earlier than the last one."""
        if clock.t >= moment:
            raise RuntimeError(f"the meeting ran late: the clock is at {clock.t}, past {moment}")
        clock.set(moment - clock.step)

    council = make_council(seats=25, deputies=4, slug="bench")
    with meeting_clock.replaying(clock.now):
        meeting = meeting_services.meeting_create(user=council.clerk, body_id=council.body.id,
                                                  title="Kommunestyremøte", scheduled_start=start, form="remote")
        mid = meeting.id
        for i in range(N_ITEMS):
            agenda.item_add(user=council.clerk, meeting_id=mid, case_number=f"PS {i + 1}/26", title=f"Sak {i + 1}",
                            recommendation=f"Innstilling i sak {i + 1} vedtas.")
        meeting_services.meeting_publish_notice(user=council.clerk, meeting_id=mid)
        items = list(AgendaItem.objects.filter(meeting_id=mid).order_by("order").values_list("id", flat=True))
        chair = council.chair
        everyone = [chair, *council.members]
        pid = {u.id: council.pid(u) for u in everyone}

        def join(u) -> None:
            # A member joins and the media server measures their camera and microphone (presence.py
            # counts remote members only from such measurements).
            run(u, mid, "member.join")
            attendance.member_media_report(meeting_id=mid, person_id=Person.objects.get(user=u).id,
                                           sends_audio=True, sends_video=True, receives=True,
                                           reason="measured by the media server")

        happens_at(start)
        run(chair, mid, "meeting.open")
        present = set()
        for u in everyone:
            join(u)
            present.add(u.id)
        meeting_services.stream_report(meeting_id=mid, up=True, reason="stream started")

        media_per_item = 10  # drops that last (until the next item, or a closure vote)
        blips = max(0, (TARGET_EVENTS - PROCEDURE_EVENTS) // 2)  # spread evenly over all speeches
        speeches_in_all = N_ITEMS * SPEECHES
        media_state: dict[tuple[int, str], bool] = {}

        def media_reports(n: int, *, recover: bool) -> None:
            # `n` media facts as the media worker reports them: a link that flips (recover=False, the
            # drop lasts until something flips it back) or a drop and its recovery (the most common).
            done = 0
            tries = 0
            while done < n and tries < n * 3:
                tries += 1
                u = rng.choice([x for x in everyone if x.id in present])
                p = pid[u.id]
                field = rng.choice(["sends_video", "sends_video", "sends_audio", "receives"])
                value = False if recover else not media_state.get((p, field), True)
                if attendance.member_media_report(meeting_id=mid, person_id=p, reason="link quality",
                                                  **{field: value}):
                    media_state[(p, field)] = value
                    if recover:
                        attendance.member_media_report(meeting_id=mid, person_id=p, reason="link restored",
                                                       **{field: True})
                        media_state[(p, field)] = True
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
            if i:
                happens_at(start + slot * i)
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
                for s in range(SPEECHES):
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
                    chunk = media_per_item // SPEECHES
                    media_reports(chunk, recover=False)
                    media_done += chunk
                    g = i * SPEECHES + s
                    media_reports(blips * (g + 1) // speeches_in_all - blips * g // speeches_in_all, recover=True)
                    run(chair, mid, "floor.end")
                    if s % 3 == 0:
                        run(chair, mid, "floor.grant")
                        run(chair, mid, "floor.end")
                media_reports(media_per_item - media_done, recover=False)
                for u in council.members:
                    if u.id not in present and rng.random() < 0.9:
                        join(u)
                        present.add(u.id)
                if i % 10 == 7:
                    run(rng.choice(council.members), mid, "question.ask", text="Spørsmål til ordføreren om "
                        "vedlikehold av kommunale veier i vinter, og om budsjettet holder.")
                # proposals and votes: an alternative vote, then the final vote on the recommendation
                props = []
                for k in range(2):
                    author = rng.choice([u for u in council.members if u.id in present])
                    props.append(run(author, mid, "proposal.submit",
                                     text=f"Forslag {k + 1} i sak {i + 1}: kommunestyret ber kommunedirektøren "
                                          f"utrede saken videre og legge fram en ny vurdering innen utgangen av året."))
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
            happens_at(end - clock.step)
            meeting_services.stream_report(meeting_id=mid, up=False, reason="stream ended")
            happens_at(end)
            run(chair, mid, "meeting.end")
    return mid


def check_premise(mid: int) -> dt.timedelta:
    """Fail unless the log is the meeting the table claims: HOURS from opened to ended, times in log
    order, events in every hour of it, and a hash chain that verifies. Returns the span."""
    from meetings.models import MeetingEvent
    from meetings.services.log import log_verify

    log_verify(meeting_id=mid)
    times = list(MeetingEvent.objects.filter(meeting_id=mid).order_by("seq").values_list("type", "at"))
    assert all(a[1] <= b[1] for a, b in pairwise(times)), "event times are not in log order"
    opened = next(at for type_, at in times if type_ == "meeting.opened")
    ended = next(at for type_, at in times if type_ == "meeting.ended")
    assert times[-1][0] == "meeting.ended", f"the log ends with {times[-1][0]}, not meeting.ended"
    span = ended - opened
    assert span == dt.timedelta(hours=HOURS), f"the meeting lasted {span}, not {HOURS} h"
    per_hour = [0] * HOURS
    for _, at in times:
        if opened <= at < ended:
            per_hour[int((at - opened) / dt.timedelta(hours=1))] += 1
    assert min(per_hour) > 0, f"an hour of the meeting has no events: {per_hour}"
    return span


def main() -> int:
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(TIME_LIMIT)
    tmp = tempfile.mkdtemp(prefix="bench-minutes-")
    db = os.path.join(tmp, "bench.sqlite3")
    try:
        setup_django(db)
        t0 = time.perf_counter()
        mid = build_log()
        build_s = time.perf_counter() - t0
        hours = check_premise(mid) / dt.timedelta(hours=1)

        from meetings.models import MeetingEvent
        from minutes import render
        from minutes.services import minutes_build

        n_events = MeetingEvent.objects.filter(meeting_id=mid).count()
        n_media = MeetingEvent.objects.filter(meeting_id=mid, type="member.media").count()
        n_closed = MeetingEvent.objects.filter(meeting_id=mid, type="doors.closed").count()
        print(f"built log: {n_events} events ({n_media} member.media, {n_closed} closed sessions), "
              f"opened to ended {hours:g} h on the replay clock, chain verified, in {build_s:.1f} s", flush=True)

        rows = []
        sizes = {}
        load_before = os.getloadavg()
        for public in (True, False):
            label = "public" if public else "internal"
            t_build, t_html, t_json, t_pdf, t_text = [], [], [], [], []
            warm = minutes_build(meeting_id=mid, public=public)  # warm-up (templates, WeasyPrint), not timed
            if os.environ.get("BENCH_DUMP"):  # the minutes data, to profile a renderer on its own
                Path(os.environ["BENCH_DUMP"]).with_suffix(f".{label}.json").write_bytes(render.to_json(warm))
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
        print(f"Log: {n_events} events, all through the real commands and services ({N_ITEMS} items, 3 votes "
              f"each with all members casting, ~27 speeches, replies, proposals, leaves/joins, closed doors on "
              f"every 8th item ({n_closed} closed sessions), {n_media} member.media reports, mostly drops that "
              f"recover); stamped 09:00-17:00 by meetings.clock.replaying; built in {build_s:.1f} s.")
        return 0
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
