"""A demo meeting played through the real services to its end, its minutes published."""

from __future__ import annotations

import pytest

from minutes import demo
from tests.factories import make_council


@pytest.fixture
def played(db, django_capture_on_commit_callbacks):
    council = make_council(seats=7, deputies=2, slug="fmt")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = demo.play_meeting(body=council.body, clerk=council.clerk)
    return council, meeting
