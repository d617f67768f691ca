"""With DEBUG=0, logins that still have the published demo password are a system check error
(meetings.E001): `manage.py check --deploy` fails, and so does daphne's start (asgi.py runs the
security checks, since daphne runs none); DEMO_SITE=1 allows them on a public demonstration server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from meetings import demo
from meetings.checks import demo_logins
from tests.helpers import free_port, production_env, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def test_it_names_the_logins_that_have_the_demo_password(db, settings):
    settings.DEBUG, settings.DEMO_SITE = False, False
    demo.seed()
    [error] = demo_logins()
    assert error.id == "meetings.E001" and error.is_serious()
    assert error.msg.startswith("40 login(s) have the demo password") and "medlem02" in error.msg


def test_it_finds_a_demo_username_given_the_demo_password_by_hand_and_spares_other_passwords(db, settings):
    settings.DEBUG, settings.DEMO_SITE = False, False
    users = get_user_model().objects
    users.create_user("medlem99", password=demo.PASSWORD)
    users.create_user("medlem02", password="et-annet-passord")
    users.create_user("kari", password="kari-sitt-eget")
    [error] = demo_logins()
    assert "1 login(s)" in error.msg and "medlem99" in error.msg and "medlem02" not in error.msg


def test_it_finds_renamed_demo_logins_by_their_shared_hash(db, settings):
    settings.DEBUG, settings.DEMO_SITE = False, False
    shared = make_password(demo.PASSWORD)  # as seed_demo gives every demo login the same hash
    for name in ("kari.nordmann", "ola.nordmann"):
        get_user_model().objects.create(username=name, password=shared)
    [error] = demo_logins()
    assert "kari.nordmann, ola.nordmann" in error.msg


def test_it_allows_demo_logins_while_debugging_or_on_a_demo_site(db, settings):
    demo.seed()
    settings.DEBUG, settings.DEMO_SITE = True, False
    assert demo_logins() == []
    settings.DEBUG, settings.DEMO_SITE = False, True
    assert demo_logins() == []


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def daphne(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port),
                                 "asgi:application"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def seeded_env(tmp_path) -> dict[str, str]:
    """A migrated SQLite file holding the demo council's logins (seeded with DEBUG=1), and the
    production environment for it."""
    env = production_env(tmp_path / "db.sqlite3")
    assert manage(env, "migrate", "-v0").returncode == 0
    seeded = manage({**env, "DEBUG": "1"}, "shell", "-c", "from meetings import demo; demo.seed()")
    assert seeded.returncode == 0, seeded.stderr
    return env


@pytest.mark.engine_independent
def test_check_deploy_and_daphne_refuse_demo_logins_and_serve_once_they_are_gone(seeded_env, tmp_path):
    env = seeded_env
    check = manage(env, "check", "--deploy")
    assert check.returncode == 1 and "meetings.E001" in check.stderr, check.stderr

    proc = daphne(env, free_port(), tmp_path / "refused.log")
    assert proc.wait(timeout=60) != 0
    log = (tmp_path / "refused.log").read_text()
    assert "refusing to serve with DEBUG=0" in log and "meetings.E001" in log

    assert manage(env, "check", "--deploy", "--fail-level", "WARNING").returncode == 1
    assert manage({**env, "DEMO_SITE": "1"}, "check", "--deploy", "--fail-level", "WARNING").returncode == 0

    gone = manage(env, "shell", "-c", "from django.contrib.auth import get_user_model; "
                                      "get_user_model().objects.all().delete()")
    assert gone.returncode == 0, gone.stderr
    check = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stderr
    port = free_port()
    proc = daphne(env, port, tmp_path / "served.log")
    try:
        wait_for_port(port, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
