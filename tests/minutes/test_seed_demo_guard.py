"""`seed_demo` creates logins whose password is published: with DEBUG=0 it refuses to run and creates
nothing, unless DEMO_SITE=1 says the server is a public demonstration one."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import production_env

pytestmark = pytest.mark.engine_independent  # see pyproject.toml

ROOT = Path(__file__).resolve().parents[2]


def test_it_refuses_to_run_with_debug_off_and_creates_nothing(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = production_env(db)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    out = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 1
    assert "seed_demo refuses to run with DEBUG=0" in out.stderr
    assert "demo1234" not in out.stdout + out.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from auth_user").fetchone() == (0,)
        assert conn.execute("select count(*) from meetings_body").fetchone() == (0,)
