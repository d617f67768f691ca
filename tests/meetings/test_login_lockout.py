"""POST /api/auth/token/ resists guessing (django-axes): AXES_FAILURE_LIMIT failures in a row for one
username from one address get 429 in the API's error shape, even with the right password, until the
cool-off has passed; a successful login resets the count."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

TOKEN = "/api/auth/token/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def attempt(user, password: str | None = None, *, address: str = "127.0.0.1", **headers):
    password = password if password is not None else "pw-" + user.username
    return APIClient().post(TOKEN, {"username": user.username, "password": password}, format="json",
                            REMOTE_ADDR=address, **headers)


def test_twenty_wrong_passwords_get_four_400s_then_429s_in_the_api_error_shape(council):
    member = council.members[0]
    statuses = [attempt(member, "gjett").status_code for _ in range(20)]
    assert statuses == [400] * 4 + [429] * 16
    r = attempt(member, "gjett")
    assert r.json() == {"error": {"code": "too_many_attempts",
                                  "message": "For mange mislykkede innlogginger. Prøv igjen om 15 minutter."}}
    assert r["Retry-After"] == "900"


def test_the_right_password_is_refused_while_locked_out(council):
    member = council.members[0]
    for _ in range(5):
        attempt(member, "gjett")
    r = attempt(member)
    assert r.status_code == 429 and "token" not in r.json()
    assert attempt(member, HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"] == \
        "Too many failed logins. Try again in 15 minutes."


def test_a_successful_login_resets_the_count(council):
    member = council.members[0]
    for _ in range(4):
        assert attempt(member, "gjett").status_code == 400
    assert attempt(member).status_code == 200
    assert [attempt(member, "gjett").status_code for _ in range(5)] == [400] * 4 + [429]


def test_the_lock_holds_for_that_username_from_that_address_only(council):
    member, other = council.members[0], council.members[1]
    for _ in range(5):
        attempt(member, "gjett", address="198.51.100.7")
    assert attempt(member, address="198.51.100.7").status_code == 429
    assert attempt(member, address="203.0.113.20").status_code == 200  # the member's own device elsewhere
    assert attempt(other, address="198.51.100.7").status_code == 200


def test_a_new_user_agent_for_every_guess_does_not_escape_the_count(council):
    member = council.members[0]
    statuses = [attempt(member, "gjett", HTTP_USER_AGENT=f"gjetter/{n}").status_code for n in range(6)]
    assert statuses == [400] * 4 + [429] * 2


def test_the_lock_lifts_after_the_cool_off(council):
    member = council.members[0]
    for _ in range(5):
        attempt(member, "gjett")
    assert attempt(member).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert attempt(member).status_code == 200


def test_failures_on_the_login_page_and_the_api_count_together(council, client):
    member = council.members[0]
    for _ in range(3):
        client.post("/accounts/login/", {"username": member.username, "password": "gjett"})
    assert attempt(member, "gjett").status_code == 400
    assert attempt(member, "gjett").status_code == 429


def test_an_unknown_username_is_counted_and_locked_like_any_other(db):
    class Nobody:
        username = "finnes-ikke"

    assert [attempt(Nobody, "gjett").status_code for _ in range(6)] == [400] * 4 + [429] * 2
