"""docs/protocol.md must describe every command the protocol accepts, with every payload field, and
every close code the server sends."""

from __future__ import annotations

import re
from pathlib import Path

from meetings import commands, consumers, protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def command_rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([a-z_.]+)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_it_documents_every_command_in_the_command_table():
    rows = command_rows()
    missing = sorted(set(commands.COMMANDS) - set(rows))
    assert not missing, f"commands missing from docs/protocol.md: {missing}"


def test_it_documents_every_payload_field_of_every_command():
    rows = command_rows()
    undocumented = [f"{name}.{field}" for name, command in commands.COMMANDS.items() if name in rows
                    for field in command.schema().fields if f"`{field}`" not in rows[name]]
    assert not undocumented, f"payload fields missing from docs/protocol.md: {undocumented}"


def test_it_documents_the_session_and_media_messages_and_no_stale_commands():
    rows = command_rows()
    text = DOC.read_text(encoding="utf-8")
    for kind in protocol.SESSION_TYPES | protocol.MEDIA_TYPES:
        assert f"`{kind}" in text, kind
    # Table rows that look like message types (error-code rows have no dot) must exist in the code.
    stale = sorted(r for r in set(rows) - set(commands.COMMANDS) - protocol.MEDIA_TYPES if "." in r)
    assert not stale, f"documented but not in the code: {stale}"


def test_it_documents_every_field_of_the_live_event_messages(monkeypatch):
    import datetime as dt
    from types import SimpleNamespace

    from meetings import events

    sent: list[dict] = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append(message["event"]))
    monkeypatch.setattr(events.transaction, "on_commit", lambda send: send())
    event = SimpleNamespace(meeting_id=1, seq=2, type="floor.granted", at=dt.datetime.now(dt.UTC), actor_id=3,
                            payload={}, public_payload={}, prev_public_seq=1)
    events.broadcast_event_on_commit(event, state_patch=[], public_state_patch=[])
    member, public = sent
    assert "state_patch" in member and "state_patch" in public
    text = DOC.read_text(encoding="utf-8")
    undocumented = sorted(f for f in set(member) | set(public) if f'"{f}"' not in text)
    assert not undocumented, f"event message fields missing from docs/protocol.md: {undocumented}"


def test_it_documents_every_close_code_in_the_close_code_table():
    text = DOC.read_text(encoding="utf-8")
    table = {int(code) for code in re.findall(r"^\| (\d{4}) \|", text, flags=re.MULTILINE)}
    # The consumers' own codes, and what the web server (config/server.py) and the public feed send.
    sent = {value for name, value in vars(consumers).items() if name.startswith("CLOSE_")} | {1002, 1007, 1009, 1011}
    assert sent <= table, f"close codes missing from docs/protocol.md: {sorted(sent - table)}"
