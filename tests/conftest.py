import aioice.stun
import pytest
from django.test import override_settings

from tests.factories import make_council, make_meeting


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread for as long as the
    session-scoped browser lives; an asyncio test or fixture collected after it would fail with
    "Runner.run() cannot be called from a running event loop".
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """What every test starts from; a test changes it with pytest-django's `settings` fixture.

    Passwords are hashed cheaply (PBKDF2's deliberate slowness would dominate fixture set-up), and
    the public stream is off unless a test turns it on (every meeting would otherwise start an
    encoder thread). Processes a test starts (daphne, manage.py) get their settings from the
    environment the test passes them, not from here.
    """
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                           LIVESTREAM_ENABLED=False):
        yield


@pytest.fixture
def council(db):
    return make_council()


@pytest.fixture
def meeting(council):
    return make_meeting(council)


@pytest.fixture
def fast_stun(monkeypatch):
    """As aiortc's own tests do: loopback ICE needs no STUN retransmission patience."""
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)


@pytest.fixture
def media_in_process(fast_stun, settings):
    """Member media in the test process (the embedded worker) over the in-memory channel layer."""
    settings.MEDIA_IN_PROCESS = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def live_settings(media_in_process, settings, tmp_path):
    """``media_in_process`` plus a small public stream written under the test's own directory."""
    settings.LIVESTREAM_ENABLED = True
    settings.LIVESTREAM_ROOT = tmp_path
    settings.LIVESTREAM_WIDTH, settings.LIVESTREAM_HEIGHT, settings.LIVESTREAM_FPS = 160, 90, 10
    settings.LIVESTREAM_WINDOW = 100
