import pytest

from tests.factories import make_council, make_meeting


@pytest.fixture
def council(db):
    return make_council()


@pytest.fixture
def meeting(council):
    return make_meeting(council)
