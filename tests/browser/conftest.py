"""A real daphne server (seeded demo council, file SQLite) and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import fake_media
from tests.helpers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
                 "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Debian chromium is missing (make test installs it)")
        pytest.skip("chromium is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server_env(tmp_path_factory) -> dict[str, str]:
    """The live server's environment (its SQLite file among it), for `manage.py` runs against its database."""
    tmp = tmp_path_factory.mktemp("live")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SQLITE_PATH=str(tmp / "db.sqlite3"), LIVESTREAM_ROOT=str(tmp / "live"), MEDIA_ROOT=str(tmp / "media"),
               DEBUG="1",
               LIVESTREAM_ENABLED="1", LIVESTREAM_WIDTH="320", LIVESTREAM_HEIGHT="180", LIVESTREAM_FPS="10",
               MEDIA_IN_PROCESS="1",
               # Viewer places taken by test offers stay taken while a slow machine finishes the test.
               LIVESTREAM_WEBRTC_CONNECT_TIMEOUT="120",
               WS_LOGIN_CHECK_SECONDS="1",
               # The server's outbox as files, for the tests that read what it sent.
               EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp / "mail"))
    return env


@pytest.fixture(scope="session")
def live_server_url(live_server_env):
    """daphne on a free loopback port, on its own SQLite file with the demo council seeded."""
    env = live_server_env
    tmp = Path(env["SQLITE_PATH"]).parent
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, timeout=300, capture_output=True)
    port = free_port()
    log = open(tmp / "daphne.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port),
                             "asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp / "daphne.log", ARTIFACTS / "daphne.log")


@pytest.fixture(scope="session")
def playwright_driver(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


# How long any page waits for a state (a selector, a function, a click's target) before failing. The
# states come within a second or two on an idle machine; waiting on states, a busy one only takes longer.
WAIT_MS = 45_000


class PatientBrowser:
    """A Playwright browser whose every context waits up to WAIT_MS by default."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_path):
    b = playwright_driver.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield PatientBrowser(b)
    b.close()


@pytest.fixture(scope="session")
def speaker_browser(playwright_driver, chromium_path, tmp_path_factory):
    """A second Chromium whose camera and microphone are recognisable (tests/browser/fake_media.py):
    fake-device files are per browser process, so the speaker gets a process of their own."""
    tmp = tmp_path_factory.mktemp("fake-media")
    video = fake_media.write_video(tmp / "speaker.y4m")
    audio = fake_media.write_audio(tmp / "speaker.wav")
    b = playwright_driver.chromium.launch(executable_path=chromium_path, headless=True, args=[
        *CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}", f"--use-file-for-fake-audio-capture={audio}"])
    yield PatientBrowser(b)
    b.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def login(browser, base: str, username: str):
    context = browser.new_context(permissions=["camera", "microphone"], locale="nb-NO", viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # From the server, as the pages' own scripts come: the Content-Security-Policy refuses inline script.
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        page.add_script_tag(url=f"{origin}/static/frontend/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page, where: str) -> None:
    """axe-core in the page: no serious or critical violation (WCAG 2.1 AA is the law for public sites)."""
    serious = axe_violations(page)
    assert serious == [], (where, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious])
