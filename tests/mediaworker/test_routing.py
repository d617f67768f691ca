from mediaworker.worker import routing_from_state
from meetings.events import meeting_media_channel
from meetings.projection import initial_state


def state_with(**changes):
    s = initial_state()
    s["meeting"].update(chair="1", state="in_session")
    s["attendance"] = {p: {"present": True, "audio_only": False} for p in ("1", "2", "3", "4")}
    for k, v in changes.items():
        s[k] = v
    return s


def test_it_forwards_only_the_chair_when_nobody_has_the_floor():
    assert routing_from_state(state_with()) == ({1}, {1}, set())


def test_it_forwards_the_speaker_and_the_chair():
    s = state_with(floor={"person": "3", "name": "x", "kind": "speech", "since": "", "limit": 180})
    assert routing_from_state(s) == ({1, 3}, {1, 3}, set())


def test_a_recused_speaker_is_not_forwarded():
    s = state_with(floor={"person": "3", "name": "x", "kind": "speech", "since": "", "limit": 180},
                   current_item="9", items={"9": {"recused": {"3": {}}}})
    assert routing_from_state(s)[0] == {1}


def test_audio_only_members_and_meeting_wide_audio_only():
    s = state_with()
    s["attendance"]["4"]["audio_only"] = True
    assert routing_from_state(s)[2] == {4}
    s["meeting"]["mode"] = "audio_only"
    audio, video, _ = routing_from_state(s)
    assert audio == {1} and video == set()


def test_meetings_are_pinned_to_workers(settings):
    settings.MEDIA_WORKERS = 2
    assert meeting_media_channel(4) == "media.w0" and meeting_media_channel(7) == "media.w1"
