"""frontend/static/frontend/fold.js, run in Node: it folds the server's patches exactly as
meetings/state_patch.py computes them, and loads the whole state again after a gap or a replay."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from meetings import events, state_patch
from tests.factories import make_council, make_meeting, run, start_meeting

FOLD = Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend" / "fold.js"


def node(script: str, data: object) -> object:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    program = f"const m = await import({json.dumps(FOLD.as_uri())});\n" \
              "const data = JSON.parse((await import('fs')).readFileSync(0, 'utf8'));\n" + script
    out = subprocess.run(["node", "--input-type=module", "-e", program], input=json.dumps(data), capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.django_db(transaction=True)
def test_it_folds_a_meetings_patches_into_the_servers_state(monkeypatch) -> None:
    council = make_council(slug="fj")
    meeting = make_meeting(council)
    start_meeting(council, meeting)
    before = copy.deepcopy(type(meeting).objects.get(id=meeting.id).live_state)
    sent: list[dict] = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append(message["event"])
                        if group == events.meeting_group(meeting.id) else None)
    item = meeting.items.order_by("id").first()
    run(council.chair, meeting, "item.open", item_id=item.id)
    run(council.members[0], meeting, "floor.request")
    run(council.chair, meeting, "floor.grant")
    vote = run(council.chair, meeting, "vote.open", kind="election", candidates=["Kari", "Anne"])
    for u in [council.chair, *council.members]:
        run(u, meeting, "vote.cast", vote=vote, choice="Kari")
    run(council.chair, meeting, "vote.close", vote=vote)
    run(council.chair, meeting, "member.leave", person_id=council.pid(council.members[2]))
    patches = [e["state_patch"] for e in sent]
    folded = node("let s = data.state; for (const p of data.patches) s = m.applyPatch(s, p);"
                  "console.log(JSON.stringify(s));", {"state": before, "patches": patches})
    after = type(meeting).objects.get(id=meeting.id).live_state
    assert folded == after
    python = copy.deepcopy(before)
    for p in patches:
        python = state_patch.apply(python, p)
    assert python == after


def test_it_loads_the_whole_state_after_a_gap_or_an_event_without_a_patch() -> None:
    script = """
    const loads = [];
    const server = [{seq: 5, state: {n: 5}}, {seq: 9, state: {n: 9}}, {seq: 12, state: {n: 12}}];
    const f = new m.FoldedState({
      load: async () => { const s = server[loads.length]; loads.push(s.seq); return structuredClone(s); },
      follows: (msg, seq) => msg.seq === seq + 1,
    });
    const patch = (seq, n) => ({type: "event", seq, state_patch: [{op: "replace", path: "/n", value: n}]});
    f.event(patch(1, 1));                      // before any state: part of the state to come
    await f.reload();
    f.event(patch(5, 5));                      // already in the state
    f.event(patch(6, 6));
    const afterSix = f.state.n;
    f.event(patch(8, 8));                      // a gap: load again
    await f.loading;
    const afterGap = [f.seq, f.state.n];
    f.event({type: "event", seq: 10});         // replayed from the log, no patch: load again
    await f.loading;
    f.disconnected();
    f.event(patch(13, 13));                    // while reconnecting: ignored
    console.log(JSON.stringify({loads, afterSix, afterGap, end: [f.seq, f.state.n]}));
    """
    assert node(script, {}) == {"loads": [5, 9, 12], "afterSix": 6, "afterGap": [9, 9], "end": [12, 12]}


def test_the_public_follows_by_prev_public_seq() -> None:
    script = """
    const f = new m.FoldedState({load: async () => ({seq: 0, state: {}}),
                                 follows: (msg, seq) => msg.prev_public_seq != null && msg.prev_public_seq <= seq});
    f.adopt(40, {speaker: null, seq: 40});
    f.event({seq: 44, prev_public_seq: 38, state_patch: [{op: "replace", path: "/speaker", value: {name: "Ola"}},
                                                          {op: "replace", path: "/seq", value: 44}]});
    f.adopt(41, {speaker: null, seq: 41});    // an older document (a slow fetch) is not taken
    console.log(JSON.stringify({seq: f.seq, state: f.state, loading: Boolean(f.loading)}));
    """
    assert node(script, {}) == {"seq": 44, "state": {"speaker": {"name": "Ola"}, "seq": 44}, "loading": False}
