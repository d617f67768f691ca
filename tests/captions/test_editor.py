"""The clerk corrects the captions: each correction a new version with who and when, the earlier
ones kept; the public sees the latest, marked automatic until a clerk approves; only the body's
clerks may; a refused save says why in the clerk's language and keeps what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from captions.models import CueVersion
from captions.selectors import public_cues
from captions.services import MAX_CUE_TEXT, captions_approve, cue_correct
from captions.signals import cues_changed
from meetings.exceptions import IllegalTransition, InvalidInput, PermissionDenied
from meetings.services.tokens import token_create
from tests.captions.helpers import done_job, with_recording
from tests.factories import make_council, make_meeting

pytestmark = pytest.mark.django_db

SPEECHES = [("Medlem 1", 65.4, 70.0, "we need more honey for the schools"),
            ("Medlem 2", 71.0, 80.0, "the road to the harbour")]


@pytest.fixture
def council(settings, tmp_path):
    settings.LIVESTREAM_ROOT = tmp_path
    return make_council(seats=3, slug="cape")


@pytest.fixture
def meeting(council):
    meeting = make_meeting(council, items=1)
    with_recording(meeting)
    done_job(meeting, SPEECHES)
    return meeting


def _clerk_client(council, lang: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = lang
    client.force_login(council.clerk)
    return client


def test_a_correction_is_a_new_version_and_the_public_sees_the_latest(council, meeting):
    [first, _second] = public_cues(meeting_id=meeting.id)[1]
    assert first.automatic and first.version == 1
    cue = cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="we need more money for the schools",
                      version=1)
    assert (cue.version, cue.corrected) == (2, True)
    versions = list(CueVersion.objects.filter(cue=cue).order_by("number"))
    assert [(v.number, v.text, v.author_name) for v in versions] == [
        (1, "we need more honey for the schools", ""),
        (2, "we need more money for the schools", council.person(council.clerk).name)]
    assert versions[0].automatic and not versions[1].automatic and versions[1].created_at
    _meeting, cues = public_cues(meeting_id=meeting.id)
    assert [(c.index, c.text, c.automatic) for c in cues] == [
        (1, "we need more money for the schools", False), (2, "the road to the harbour", True)]
    assert {"start", "end", "speaker", "person_id"} <= set(vars(cues[0]))
    vtt = Client().get(f"/meetings/{meeting.id}/captions.vtt").content.decode()
    assert "more money" in vtt and "honey" not in vtt
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/meetings/{meeting.id}/transcript/").content.decode()
    assert "more money" in html and "honey" not in html and "corrected by the clerk" in html
    assert "Automatic transcript" in html


def test_an_empty_text_takes_the_caption_away(council, meeting):
    cue_correct(user=council.clerk, meeting_id=meeting.id, index=2, text="   ", version=1)
    assert [c.index for c in public_cues(meeting_id=meeting.id)[1]] == [1]
    assert "harbour" not in Client().get(f"/meetings/{meeting.id}/captions.vtt").content.decode()


def test_approval_ends_the_automatic_mark(council, meeting):
    meeting.state = "ended"  # the meeting page offers the captions track of an ended meeting's recording
    meeting.save(update_fields=["state"])
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/meetings/{meeting.id}/").content.decode()
    assert 'label="Captions (automatic)"' in page
    captions_approve(user=council.clerk, meeting_id=meeting.id)
    assert not any(c.automatic for c in public_cues(meeting_id=meeting.id)[1])
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/meetings/{meeting.id}/").content.decode()
    assert 'kind="captions"' in page and 'label="Captions"' in page
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/meetings/{meeting.id}/transcript/").content.decode()
    assert "approved by the clerk" in html and "Automatic transcript" not in html and "(automatic)" not in html
    with pytest.raises(IllegalTransition) as refused:
        captions_approve(user=council.clerk, meeting_id=meeting.id)
    assert refused.value.code == "captions_approved"
    # A clerk may still correct approved captions: a correction is a clerk's too.
    cue_correct(user=council.clerk, meeting_id=meeting.id, index=2, text="the road to the harbor", version=1)


def test_only_the_bodys_clerks_may_correct_or_approve(council, meeting):
    other = make_council(seats=3, slug="capo")
    for user in (council.members[0], council.chair, other.clerk):
        with pytest.raises(PermissionDenied):
            cue_correct(user=user, meeting_id=meeting.id, index=1, text="x", version=1)
        with pytest.raises(PermissionDenied):
            captions_approve(user=user, meeting_id=meeting.id)
        client = Client()
        client.force_login(user)
        assert client.get(f"/clerk/meetings/{meeting.id}/captions/").status_code == 404
        assert client.post(f"/clerk/meetings/{meeting.id}/captions/",
                           {"action": "correct", "cue": "1", "version": "1", "text": "x"}).status_code == 404
    assert Client().get(f"/clerk/meetings/{meeting.id}/captions/").status_code == 302  # to the login
    assert public_cues(meeting_id=meeting.id)[1][0].text == SPEECHES[0][3]


def test_a_stale_version_or_too_long_text_is_refused_and_saves_nothing(council, meeting):
    cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="first correction", version=1)
    with pytest.raises(IllegalTransition) as stale:
        cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="from the old one", version=1)
    assert stale.value.code == "stale_version"
    with pytest.raises(InvalidInput) as long:
        cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="x" * (MAX_CUE_TEXT + 1), version=2)
    assert long.value.code == "caption_too_long"
    with pytest.raises(InvalidInput):
        cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="first correction", version=2)
    assert CueVersion.objects.filter(cue__index=1, cue__job__meeting=meeting).count() == 2


@pytest.mark.parametrize(("lang", "words"), [("nb", "endret i mellomtiden"), ("nn", "endra i mellomtida"),
                                             ("en", "changed meanwhile")])
def test_the_editor_keeps_the_typed_text_and_says_why_in_the_clerks_language(council, meeting, lang, words):
    client = _clerk_client(council, lang)
    url = f"/clerk/meetings/{meeting.id}/captions/"
    page = client.get(url).content.decode()
    assert 'id="text-1"' in page and "we need more honey" in page and 'data-start="65.4"' in page
    response = client.post(url, {"action": "correct", "cue": "1", "version": "1", "text": "money, not honey"})
    assert response.status_code == 302 and response["Location"].endswith("#cue-1")
    # Another clerk's page was opened before that save: its save comes back with its text kept.
    response = client.post(url, {"action": "correct", "cue": "1", "version": "1", "text": "my own words"})
    assert response.status_code == 409
    page = response.content.decode()
    assert words in page and "my own words" in page and 'aria-invalid="true"' in page
    assert 'name="version" value="2"' in page  # saving again now is deliberate, over the latest
    assert "money, not honey" in page  # the latest version, in the history beside it
    response = client.post(url, {"action": "correct", "cue": "1", "version": "2", "text": "y" * (MAX_CUE_TEXT + 5)})
    assert response.status_code == 400 and "y" * (MAX_CUE_TEXT + 5) in response.content.decode()
    assert public_cues(meeting_id=meeting.id)[1][0].text == "money, not honey"


def test_the_editor_approves_and_shows_the_history(council, meeting):
    client = _clerk_client(council)
    url = f"/clerk/meetings/{meeting.id}/captions/"
    client.post(url, {"action": "correct", "cue": "2", "version": "1", "text": "the road to the harbour!"})
    page = client.get(url).content.decode()
    assert "History (2 versions)" in page and "Automatic (pocketsphinx)" in page
    assert council.person(council.clerk).name in page
    assert client.post(url, {"action": "approve"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Approved by" in page and 'id="approve-form"' not in page


def test_each_commit_tells_the_listeners(council, meeting, django_capture_on_commit_callbacks):
    seen: list[int] = []

    def listener(sender, meeting_id, **kwargs):
        seen.append(meeting_id)

    cues_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="money", version=1)
        assert seen == [meeting.id]
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(IllegalTransition):
                cue_correct(user=council.clerk, meeting_id=meeting.id, index=1, text="stale", version=1)
        assert seen == [meeting.id]  # nothing committed, nobody told
        with django_capture_on_commit_callbacks(execute=True):
            captions_approve(user=council.clerk, meeting_id=meeting.id)
        assert seen == [meeting.id, meeting.id]
    finally:
        cues_changed.disconnect(listener)


def test_the_api_lists_corrects_and_approves(council, meeting):
    clerk = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=council.clerk, label='t')[1]}")
    member = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=council.members[0], label='t')[1]}")
    base = f"/api/meetings/{meeting.id}/captions/"
    assert member.get(base).status_code == 403
    listed = clerk.get(base).json()
    assert listed["state"] == "done" and not listed["approved"]
    assert [(c["index"], c["version"], c["automatic"], len(c["versions"])) for c in listed["cues"]] == [
        (1, 1, True, 1), (2, 1, True, 1)]
    patched = clerk.patch(f"{base}cues/1/", {"text": "money", "version": 1}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["text"], body["version"], body["automatic"]) == ("money", 2, False)
    assert [v["text"] for v in body["versions"]] == [SPEECHES[0][3], "money"]
    stale = clerk.patch(f"{base}cues/1/", {"text": "again", "version": 1}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert member.patch(f"{base}cues/1/", {"text": "x", "version": 2},
                        content_type="application/json").status_code == 403
    assert clerk.patch(f"{base}cues/9/", {"text": "x", "version": 1},
                       content_type="application/json").status_code == 404
    approved = clerk.post(f"{base}approve/", {}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["approved"]
    assert clerk.post(f"{base}approve/", {}, content_type="application/json").status_code == 409
    schema = Client().get("/api/schema/?format=json").json()["paths"]
    assert {"/api/meetings/{id}/captions/", "/api/meetings/{id}/captions/cues/{index}/",
            "/api/meetings/{id}/captions/approve/"} <= set(schema)
    assert "patch" in schema["/api/meetings/{id}/captions/cues/{index}/"]
