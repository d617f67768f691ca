import pytest

from tests.factories import make_council, make_meeting


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread for as long as the
    session-scoped browser lives; an asyncio test or fixture collected after it would fail with
    "Runner.run() cannot be called from a running event loop".
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def council(db):
    return make_council()


@pytest.fixture
def meeting(council):
    return make_meeting(council)
