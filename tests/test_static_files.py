"""Static files, served by WhiteNoise in Django's middleware (config/settings.py), not by hand in asgi.py.

The class of input: a path that climbs out of the `/static/` or `/live/` root, raw (`/static/../x`),
percent-encoded (`%2e%2e`, `%2f`), with backslashes or a NUL. Each is a 404, never a 500, with the
embedded default (DEBUG=1, files read from the apps' folders) and in production (DEBUG=0, daphne
serving collectstatic's hashed and gzipped files).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from asgiref.testing import ApplicationCommunicator

from tests.helpers import collected_static_root, free_port, wait_for_port

pytestmark = pytest.mark.engine_independent  # see pyproject.toml

ROOT = Path(__file__).resolve().parents[1]

CLIMBING_PATHS = [
    "/static/../config/settings.py",
    "/static/%2e%2e/config/settings.py",
    "/static/%2E%2E/%2E%2E/asgi.py",
    "/static/..%2fconfig/settings.py",
    "/static/frontend/../../../../etc/passwd",
    "/static/frontend/%2e%2e%2f%2e%2e%2fasgi.py",
    "/static/admin/../../../../../../asgi.py",
    "/static//etc/passwd",
    "/static/a\\..\\b",
    "/static/%00",
    "/static/frontend/site.css%00.txt",
    "/static/",
    "/static/frontend/",
    "/%2e%2e/asgi.py",
    "/live/1/..%2f..%2fsecret.txt",
    "/live/%2e%2e/index.m3u8",
    "/live/1/../../config/settings.py",
]


async def asgi_get(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict[bytes, bytes],
                                                                                        bytes]:
    """GET `path` from asgi.application as daphne hands it over: the raw path, and the path percent-decoded."""
    from asgi import application

    scope = {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": unquote(path),
             "raw_path": path.encode(), "query_string": b"", "root_path": "", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 5000), "headers": [(b"host", b"testserver"), *(headers or [])]}
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": b""})
    start = await comm.receive_output(10)
    body = b""
    while True:
        message = await comm.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(10)
    return start["status"], {name.lower(): value for name, value in start["headers"]}, body


@pytest.fixture
def no_media(settings):
    settings.MEDIA_IN_PROCESS = False  # an HTTP request needs no media worker on the test's loop


@pytest.mark.parametrize("path", CLIMBING_PATHS)
async def test_it_answers_404_for_a_path_that_climbs_out_of_its_root(no_media, path):
    status, _, body = await asgi_get(path)
    assert status == 404, (path, body[:300])
    assert b"SECRET_KEY" not in body and b"root:" not in body


async def test_it_serves_the_apps_static_files_from_their_folders(no_media):
    status, headers, body = await asgi_get("/static/frontend/site.css")
    assert status == 200 and headers[b"content-type"].startswith(b"text/css")
    assert body == (ROOT / "frontend/static/frontend/site.css").read_bytes()


# Production: DEBUG=0, collectstatic, daphne ------------------------------------------------------


@pytest.fixture(scope="module")
def production_daphne(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """daphne with DEBUG=0 on its own SQLite file, serving what `collectstatic` wrote to its STATIC_ROOT."""
    tmp = tmp_path_factory.mktemp("static")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SQLITE_TEST_PATH")}
    env.update(DEBUG="0", SECRET_KEY="static-test-" + "k" * 50, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", SQLITE_PATH=str(tmp / "db.sqlite3"), STATIC_ROOT=str(tmp / "static"),
               LIVESTREAM_ROOT=str(tmp / "live"), LIVESTREAM_ENABLED="0", MEDIA_IN_PROCESS="0")
    env["STATIC_ROOT"] = collected_static_root()  # collectstatic's output, shared by every DEBUG=0 server
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    port = free_port()
    log = (tmp / "daphne.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        yield port, Path(env["STATIC_ROOT"])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        print((tmp / "daphne.log").read_text(errors="replace")[-3000:])  # shown when a test failed


def raw_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET exactly `path`: http.client sends it as written, `..` and `%2e` untouched."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_it_answers_404_for_every_climbing_path_under_debug_0(production_daphne):
    port, _ = production_daphne
    statuses = {path: raw_get(port, path)[0] for path in CLIMBING_PATHS}
    assert statuses == dict.fromkeys(statuses, 404)


def test_it_serves_hashed_compressed_immutable_files_under_debug_0(production_daphne):
    port, _ = production_daphne
    status, _, page = raw_get(port, "/")
    assert status == 200
    css = re.search(rb'href="(/static/frontend/site\.[0-9a-f]{12}\.css)"', page)
    assert css, page[:500]
    status, headers, body = raw_get(port, css.group(1).decode(), {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]
    assert gzip.decompress(body) == (ROOT / "frontend/static/frontend/site.css").read_bytes()


def test_it_rewrites_the_pages_module_imports_to_hashed_names_under_debug_0(production_daphne):
    """A fresh module must never import a cached older one: each `./x.js` import names x's hashed file."""
    port, static_root = production_daphne
    names = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    status, headers, room = raw_get(port, f"/static/{names['frontend/room.js']}")
    assert status == 200 and "immutable" in headers["cache-control"]
    imported = re.findall(r'from "\./([^"]+)"', room.decode())
    assert len(imported) >= 5, imported
    unhashed = [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", name) for name in imported]
    assert imported == [names[f"frontend/{name}"].removeprefix("frontend/") for name in unhashed]
    for name in imported:
        status, headers, _ = raw_get(port, f"/static/frontend/{name}")
        assert status == 200 and "immutable" in headers["cache-control"], name
