"""API tokens: issued per device by POST /api/auth/token/, expiring, listed and revoked by their owner;
the REST API and the member socket refuse an expired or revoked one alike."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from meetings.models import ApiToken
from meetings.services.tokens import token_create
from tests.factories import make_council, make_meeting
from tests.helpers import ORIGIN, Socket

TOKEN = "/api/auth/token/"
TOKENS = "/api/auth/tokens/"


def log_in(user, **extra) -> dict:
    r = APIClient().post(TOKEN, {"username": user.username, "password": "pw-" + user.username, **extra},
                         format="json", HTTP_USER_AGENT="Nettbrett (Safari)")
    assert r.status_code == 200, r.content
    return r.json()


def with_token(key: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


def expire(token_id: int) -> None:
    ApiToken.objects.filter(id=token_id).update(expires=timezone.now() - dt.timedelta(seconds=1))


def test_it_issues_a_token_for_the_device_that_expires_after_the_ttl(council, meeting, settings):
    settings.API_TOKEN_TTL_HOURS = 12
    before = timezone.now()
    body = log_in(council.members[0])
    assert set(body) == {"token", "id", "label", "created", "expires", "last_used"}
    assert body["label"] == "Nettbrett (Safari)"  # no label given: the device's User-Agent
    expires = dt.datetime.fromisoformat(body["expires"])
    assert before + dt.timedelta(hours=12) <= expires <= timezone.now() + dt.timedelta(hours=12)
    assert with_token(body["token"]).get(f"/api/meetings/{meeting.id}/state/").status_code == 200
    assert log_in(council.members[0], label="Kontor-PC")["label"] == "Kontor-PC"


def test_it_stores_only_the_digest_of_the_key(council):
    body = log_in(council.members[0])
    row = ApiToken.objects.get(id=body["id"])
    assert body["token"] not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert len(row.digest) == 64


def test_it_refuses_an_expired_token_with_the_api_error_shape(council, meeting):
    body = log_in(council.members[0])
    expire(body["id"])
    r = with_token(body["token"]).get(f"/api/meetings/{meeting.id}/state/")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "authentication_failed" and r["WWW-Authenticate"] == "Token"


def test_it_records_when_a_token_was_last_used(council, meeting):
    body = log_in(council.members[0])
    assert body["last_used"] is None
    with_token(body["token"]).get(f"/api/meetings/{meeting.id}/state/")
    assert ApiToken.objects.get(id=body["id"]).last_used is not None


def test_it_lists_the_owners_live_tokens_and_marks_the_current_one(council):
    phone, laptop, old = (log_in(council.members[0], label=name) for name in ("Mobil", "Laptop", "Gammel"))
    expire(old["id"])
    log_in(council.members[1])  # someone else's
    r = with_token(laptop["token"]).get(TOKENS)
    assert r.status_code == 200
    listed = r.json()
    assert [(t["label"], t["current"]) for t in listed] == [("Laptop", True), ("Mobil", False)]
    assert set(listed[0]) == {"id", "label", "created", "expires", "last_used", "current"}
    assert phone["token"] not in r.content.decode() and laptop["token"] not in r.content.decode()


def test_it_lists_tokens_for_a_session_login_too_and_refuses_anonymous(council):
    log_in(council.members[0], label="Mobil")
    c = APIClient()
    c.force_login(council.members[0])
    assert [(t["label"], t["current"]) for t in c.get(TOKENS).json()] == [("Mobil", False)]
    r = APIClient().get(TOKENS)
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_it_revokes_one_of_the_owners_tokens_and_nobody_elses(council, meeting):
    mine, other = log_in(council.members[0]), log_in(council.members[0])
    theirs = log_in(council.members[1])
    me = with_token(mine["token"])
    r = me.delete(f"{TOKENS}{theirs['id']}/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert me.delete(f"{TOKENS}{2**70}/").status_code == 404
    assert me.delete(f"{TOKENS}{other['id']}/").status_code == 204
    assert with_token(other["token"]).get(f"/api/meetings/{meeting.id}/state/").status_code == 401
    assert with_token(theirs["token"]).get(f"/api/meetings/{meeting.id}/state/").status_code == 200
    assert me.delete(f"{TOKENS}{mine['id']}/").status_code == 204  # logging this device out
    assert me.get(TOKENS).status_code == 401


def test_it_revokes_all_the_owners_tokens(council, meeting):
    first, second = log_in(council.members[0]), log_in(council.members[0])
    theirs = log_in(council.members[1])
    r = with_token(first["token"]).delete(TOKENS)
    assert r.status_code == 200 and r.json() == {"revoked": 2}
    for body, status in [(first, 401), (second, 401), (theirs, 200)]:
        assert with_token(body["token"]).get(f"/api/meetings/{meeting.id}/state/").status_code == status


def test_it_deletes_the_owners_expired_tokens_when_issuing_a_new_one(council):
    old = log_in(council.members[0])
    expire(old["id"])
    log_in(council.members[0])
    assert not ApiToken.objects.filter(id=old["id"]).exists()


def test_it_refuses_an_inactive_owners_token(council, meeting):
    body = log_in(council.members[0])
    council.members[0].is_active = False
    council.members[0].save()
    assert with_token(body["token"]).get(f"/api/meetings/{meeting.id}/state/").status_code == 401


def test_a_wrong_password_gets_a_clear_error_in_the_callers_language(council):
    r = APIClient().post(TOKEN, {"username": council.members[0].username, "password": "feil"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "invalid_credentials", "message": "Feil brukernavn eller passord."}
    r = APIClient().post(TOKEN, {"username": council.members[0].username, "password": "feil"}, format="json",
                         HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["error"]["message"] == "Wrong username or password."


@pytest.mark.parametrize("body", [
    {"username": "a\x00b", "password": "x"},
    {"username": "a" * 10_000, "password": "x"},
    {"username": "medlem", "password": "x" * 10_000},
    {"username": ["a"], "password": {"b": 1}},
    {"username": "medlem"},
    {"username": "medlem", "password": "x", "label": "l" * 101},
    {"username": "medlem", "password": "x", "extra": 1},
    [1, 2],
])
def test_hostile_login_input_gets_a_clear_error_never_a_500(db, body):
    r = APIClient().post(TOKEN, body, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("header", [b"Token \xff\xfe", b"Token " + b"a" * 5000, b"Token a b", b"Token"])
def test_a_malformed_authorization_header_gets_a_401_never_a_500(db, header):
    r = APIClient().get(TOKENS, HTTP_AUTHORIZATION=header.decode("latin-1"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_failed"


def test_the_session_lasts_session_cookie_age_from_login(council, client, settings):
    settings.SESSION_COOKIE_AGE = 3600
    r = client.post("/accounts/login/", {"username": council.members[0].username,
                                         "password": "pw-" + council.members[0].username})
    assert r.status_code == 302
    assert r.cookies["sessionid"]["max-age"] == 3600
    assert client.session.get_expiry_age() == 3600


@pytest.mark.django_db(transaction=True)
async def test_the_member_socket_refuses_an_expired_or_revoked_token():
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    path = f"/ws/meetings/{meeting.id}/"
    live, live_key = await database_sync_to_async(token_create)(user=council.members[0])
    expired, expired_key = await database_sync_to_async(token_create)(user=council.members[0])
    revoked, revoked_key = await database_sync_to_async(token_create)(user=council.members[0])
    await database_sync_to_async(expire)(expired.id)
    await database_sync_to_async(ApiToken.objects.filter(id=revoked.id).delete)()

    assert await Socket(path, expired_key).refusal() == 4401
    assert await Socket(path, revoked_key).refusal() == 4401
    s = Socket(path, live_key)
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    await s.close()


async def closed_with(socket: Socket, timeout: float = 5.0) -> int:
    """The close code the server sends on an open socket, skipping anything sent before it."""
    while True:
        out = await socket.comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            return out["code"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ending", ["expired", "revoked", "owner deactivated"])
async def test_an_open_member_socket_closes_with_4401_when_its_token_ends(settings, ending):
    settings.WS_LOGIN_CHECK_SECONDS = 0.2
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    member = council.members[0]
    token, key = await database_sync_to_async(token_create)(user=member)
    s = Socket(f"/ws/meetings/{meeting.id}/", key)
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    assert await s.comm.receive_nothing(timeout=0.6)  # checked a few times: the login holds, nothing happens
    end = {"expired": lambda: expire(token.id),
           "revoked": lambda: ApiToken.objects.filter(id=token.id).delete(),
           "owner deactivated": lambda: type(member).objects.filter(id=member.id).update(is_active=False)}[ending]
    await database_sync_to_async(end)()
    assert await closed_with(s) == 4401


@pytest.mark.django_db(transaction=True)
async def test_an_open_member_socket_closes_with_4401_when_its_session_is_logged_out(settings):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.test import Client

    from asgi import application

    settings.WS_LOGIN_CHECK_SECONDS = 0.2
    council = await database_sync_to_async(make_council)()
    meeting = await database_sync_to_async(make_meeting)(council)
    browser = Client()
    await sync_to_async(browser.force_login)(council.members[0])
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    s = Socket(f"/ws/meetings/{meeting.id}/")
    s.comm = WebsocketCommunicator(application, f"/ws/meetings/{meeting.id}/",
                                   headers=[*ORIGIN, (b"cookie", cookie)])
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    assert await s.comm.receive_nothing(timeout=0.6)
    await sync_to_async(browser.post)("/accounts/logout/")  # the member logs out in the browser
    assert await closed_with(s) == 4401
