"""The login page and the admin's resist guessing (django-axes): after AXES_FAILURE_LIMIT wrong passwords
the page says so in the user's language with 429, and the right password does not log in until the
cool-off has passed; a successful login resets the count."""

from __future__ import annotations

import datetime as dt

import pytest

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def post(client, user, password: str | None = None, path: str = LOGIN, **headers):
    return client.post(path, {"username": user.username,
                              "password": password if password is not None else "pw-" + user.username}, **headers)


def test_the_fifth_wrong_password_gets_the_lockout_page_in_norwegian(council, client):
    member = council.members[0]
    for _ in range(4):
        r = post(client, member, "gjett")
        assert r.status_code == 200 and "Feil brukernavn eller passord." in r.content.decode()
    r = post(client, member, "gjett")
    assert r.status_code == 429 and r["Retry-After"] == "900"
    page = r.content.decode()
    assert "For mange mislykkede innlogginger. Prøv igjen om 15 minutter." in page
    assert '<html lang="nb">' in page


def test_the_right_password_does_not_log_in_while_locked_out(council, client):
    member = council.members[0]
    for _ in range(5):
        post(client, member, "gjett")
    r = post(client, member)
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_speaks_english_to_an_english_user(council, client):
    member = council.members[0]
    client.cookies["django_language"] = "en"
    for _ in range(5):
        r = post(client, member, "gjett")
    assert r.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in r.content.decode()
    assert '<html lang="en">' in r.content.decode()


def test_a_successful_login_resets_the_count(council, client):
    member = council.members[0]
    for _ in range(4):
        post(client, member, "gjett")
    assert post(client, member).status_code == 302
    client.post("/accounts/logout/")
    assert [post(client, member, "gjett").status_code for _ in range(5)] == [200] * 4 + [429]


def test_the_admin_login_is_locked_out_too(council, client):
    clerk = council.clerk
    statuses = [post(client, clerk, "gjett", path="/admin/login/").status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
