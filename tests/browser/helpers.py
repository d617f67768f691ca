"""Shared steps of the browser tests: the REST API for set-up, and waiting for text in a page."""

from __future__ import annotations

import json
import urllib.request

NOTICE = "Formannskapet innkalles til fjernmøte. Møtet strømmes direkte."


def api(base: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(base + path, data=json.dumps(body or {}).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Token {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def token(base: str, username: str) -> str:
    return api(base, "/api/auth/token/", {"username": username, "password": "demo1234"})["token"]


def formannskap_meeting(base: str) -> int:
    """The clerk sets up a meeting of the 7-member Formannskapet over the API, so that three browsers
    and one more member (over the API) make a quorum (§ 11-9: 4 of 7)."""
    clerk = token(base, "sekretar")
    body = next(b for b in api(base, "/api/bodies/")["results"] if b["slug"] == "formannskapet")
    meeting = api(base, "/api/meetings/", {"body_id": body["id"], "title": "Formannskapsmøte (test)",
                                           "scheduled_start": "2026-11-23T18:00:00+01:00"}, clerk)
    for case, title in [("FS 1/26", "Budsjettjustering"), ("FS 2/26", "Havneplan"), ("FS 3/26", "Tomtesalg")]:
        item = api(base, f"/api/meetings/{meeting['id']}/items/", {"case_number": case, "title": title,
                                                                   "recommendation": f"{title} vedtas."}, clerk)
        api(base, f"/api/items/{item['id']}/documents/",
            {"title": f"Saksframlegg {case}", "text": f"Rådmannens saksframlegg om {title.lower()}."}, clerk)
        api(base, f"/api/items/{item['id']}/documents/", {"title": f"Unntatt vedlegg {case}", "public": False,
                                                          "exemption_basis": "offentleglova § 13"}, clerk)
    api(base, f"/api/meetings/{meeting['id']}/publish-notice/", {"notice_text": NOTICE}, clerk)
    return meeting["id"]


def wait_text(page, selector: str, text: str) -> None:
    try:
        page.wait_for_function("([s, t]) => (document.querySelector(s)?.innerText || '').includes(t)",
                               arg=[selector, text])
    except Exception:
        shown = page.evaluate("(s) => document.querySelector(s)?.innerText", selector)
        errors = page.evaluate("() => document.getElementById('errors')?.innerText")
        raise AssertionError(f"{selector} never showed {text!r}; it shows {shown!r} (errors: {errors!r})") from None


def cast_everywhere(pages, choice_label: str) -> None:
    for page in pages:
        page.wait_for_selector("#vote button.option")
        page.click(f"#vote button.option:has-text('{choice_label}')")
        wait_text(page, "#vote", "Du stemte")


def join_over_api(base: str, meeting: int, member_token: str) -> tuple[str, str]:
    """A member registers as present over the REST API (`member.join`, no media); their person id and name."""
    before = set(api(base, f"/api/meetings/{meeting}/state/", token=member_token)["state"]["attendance"])
    api(base, f"/api/meetings/{meeting}/actions/member.join/", {}, member_token)
    after = api(base, f"/api/meetings/{meeting}/state/", token=member_token)["state"]["attendance"]
    pid = next(p for p in after if p not in before)
    return pid, after[pid]["name"]


def enter_rooms(base: str, meeting: int, pages) -> None:
    """Each page opens the meeting room and waits until its live socket is connected."""
    for page in pages:
        page.goto(f"{base}/meetings/{meeting}/room/")
        wait_text(page, "#conn-status", "Tilkoblet")
