"""WebSocket consumers for the live meeting: thin, they validate, call one service, and reply.

Delivery guarantee: after a client's `sync {after}`, it receives every event with a larger seq, in
order, exactly once. Consumers handle one message at a time, so a replay from the database and the
live group messages cannot interleave; a live event that arrives ahead of a gap (broadcasts run in
commit callbacks and may overtake each other) triggers a catch-up from the database instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation.trans_real import parse_accept_lang_header

from . import commands, events, protocol, public_feed, public_state, selectors
from .auth import login_is_live
from .exceptions import DomainError, NotFound
from .ids import MAX_ID

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
REPLAY_CHUNK = 500


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def socket_language(scope: Mapping[str, Any]) -> str:
    """The language of a socket's messages, chosen as Django's LocaleMiddleware chooses a page's: a
    `lang` query parameter first (`/ws/meetings/7/?lang=en`), then the language cookie the language
    chooser sets (`django_language`), then the connection's Accept-Language, then LANGUAGE_CODE."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cookies = scope.get("cookies") or {}
    headers = dict(scope.get("headers") or [])
    for candidate in (*query.get("lang", [])[:1], cookies.get(settings.LANGUAGE_COOKIE_NAME)):
        if candidate:
            try:
                return translation.get_supported_language_variant(candidate)
            except LookupError:
                pass
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class _LiveConsumer(AsyncWebsocketConsumer):
    last_seq: int | None  # the newest event this socket has delivered; None until it syncs

    public = False
    allowed_types: set[str] | None = None
    admitted = False  # set once connect() has let the socket in; a refused socket ignores what it receives

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return  # frames sent before the refusal's close frame reached the client
        # The socket's language holds for the whole message: the services' messages (sync_to_async
        # carries the active language into their thread) and the error frame alike. The code stays.
        with translation.override(socket_language(self.scope)):
            try:
                msg = protocol.parse(text_data, max_bytes=settings.WS_MAX_MESSAGE_BYTES, allowed=self.allowed_types,
                                     within_rate=self.bucket.take())
            except protocol.ProtocolError as exc:
                await self.send_json(protocol.error(exc.request_id, exc.code, exc.translated()))
                return
            try:
                await self.handle(msg)
            except DomainError as exc:
                await self.send_json(protocol.error(msg.id, exc.code, exc.as_dict()["message"]))
            except Exception:  # never take the connection or the process down on one message
                log.exception("live message %s failed", msg.type)
                await self.send_json(protocol.error(msg.id, "internal",
                                                    gettext("the server could not handle this message")))

    async def handle(self, msg: protocol.Message) -> None:
        if msg.type == "ping":
            await self.send_json({"type": "pong", "in_response": msg.id})
        elif msg.type == "sync":
            after = msg.payload.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
                raise DomainError("after must be an integer from 0 to %(max)s",
                    params={"max": MAX_ID}, code="invalid_input")
            self.last_seq = after
            replayed = await self.catch_up()
            await self.send_json(protocol.ack(msg.id, {"replayed": replayed}, self.last_seq))
        elif msg.type == "state":
            await self.send_state(msg.id)

    # Delivery --------------------------------------------------------------------------------

    async def log_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if self.last_seq is None or event["seq"] <= self.last_seq:
            return  # not synced yet (the client will sync), or already delivered by a replay
        if self.is_next(event):
            await self.send_json(event)
            self.last_seq = event["seq"]
        else:
            await self.catch_up(upto=event["seq"])

    def is_next(self, event: dict[str, Any]) -> bool:
        return self.last_seq is not None and event["seq"] == self.last_seq + 1

    async def send_state(self, request_id: Any) -> None:
        raise NotImplementedError  # each consumer sends the state its reader may see

    async def catch_up(self, upto: int | None = None) -> int:
        """Send every event after last_seq (up to `upto`) from the log; returns how many were sent."""
        sent = 0
        assert self.last_seq is not None, "catch_up runs only after a sync"
        while True:
            batch = await self.fetch(after=self.last_seq, upto=upto)
            for event in batch:
                await self.send_json(event)
                self.last_seq = event["seq"]
            sent += len(batch)
            if len(batch) < REPLAY_CHUNK:
                break
        if upto is not None and upto > (self.last_seq or 0):
            self.last_seq = upto  # the rest up to `upto` is not visible on this connection
        return sent

    async def fetch(self, *, after: int, upto: int | None) -> list[dict[str, Any]]:
        return await database_sync_to_async(selectors.event_messages)(
            meeting_id=self.meeting_id, after=after, upto=upto, public=self.public, limit=REPLAY_CHUNK)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join_groups(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def setup(self) -> None:
        """Accept the socket and set up its state: every connect() starts here, and refuses by a
        close after it."""
        self.meeting_id: int = self.scope["url_route"]["kwargs"]["meeting_id"]  # bounded by routing.py
        self.last_seq = None
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST)
        # Accepted before anything is decided: daphne answers a close during the handshake with HTTP
        # 403 whatever its code, so a client could not tell 4401, 4403 and 4404 apart. A refusal is
        # a close right after; nothing is sent before it.
        await self.accept()


class MeetingConsumer(_LiveConsumer):
    """`/ws/meetings/<id>/`: members, summoned deputies, the chair and the clerk."""

    async def connect(self) -> None:
        await self.setup()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        who = await self.authorize(user)
        if isinstance(who, int):
            await self.close(code=who)
            return
        self.person_id, self.role = who
        self.admitted = True
        self.login_watch = asyncio.ensure_future(self.watch_login())
        await self.join_groups(events.meeting_group(self.meeting_id),
                               events.person_group(self.meeting_id, self.person_id))
        seq = await database_sync_to_async(selectors.meeting_seq)(meeting_id=self.meeting_id)
        await self.send_json({"type": "hello", "meeting": self.meeting_id, "person": self.person_id,
                              "role": self.role, "seq": seq})
        if settings.LIVESTREAM_ENABLED and settings.MEDIA_WORKERS:
            # The meeting's media worker starts following it (and its public stream) now.
            await events.send_media_request(meeting_id=self.meeting_id, person_id=self.person_id,
                                            msg_type="adopt", payload={})

    async def watch_login(self) -> None:
        """Close with 4401 once the login this socket was opened with is over: a token that expired or
        was revoked, a session that expired or was logged out. A login is more than the handshake."""
        while True:
            await asyncio.sleep(settings.WS_LOGIN_CHECK_SECONDS)
            try:
                live = await database_sync_to_async(login_is_live)(dict(self.scope))
            except Exception:  # the database away for a moment: check again next time
                log.exception("checking the login of a member socket failed")
                continue
            if not live:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return

    async def disconnect(self, code: int) -> None:
        watch = getattr(self, "login_watch", None)
        if watch is not None:
            watch.cancel()
        await super().disconnect(code)

    async def authorize(self, user: Any) -> tuple[int, str] | int:
        try:
            return await database_sync_to_async(selectors.live_participant)(user=user, meeting_id=self.meeting_id)
        except NotFound:
            return CLOSE_NOT_FOUND
        except DomainError:  # not of this body, or a deputy not summoned
            return CLOSE_FORBIDDEN

    async def handle(self, msg: protocol.Message) -> None:
        if msg.type in protocol.SESSION_TYPES:
            await super().handle(msg)
        elif msg.type in protocol.MEDIA_TYPES:
            if not settings.MEDIA_WORKERS:  # a server without member media (MEDIA_WORKERS=0)
                raise DomainError("media is not available on this server", code="media_unavailable")
            # The meeting's media worker answers later with a `media.message` (media_message below).
            await events.send_media_request(meeting_id=self.meeting_id, person_id=self.person_id,
                                            msg_type=msg.type, payload=msg.payload,
                                            reply_channel=self.channel_name, request_id=msg.id)
        else:
            user = self.scope["user"]
            result, seq = await self.run_command(user, msg.type, msg.payload)
            await self.send_json(protocol.ack(msg.id, result, seq))

    @database_sync_to_async
    def run_command(self, user: Any, name: str, payload: dict[str, Any]) -> tuple[Any, int]:
        done = commands.execute(name=name, user=user, meeting_id=self.meeting_id, payload=payload)
        return done.result, done.seq

    async def send_state(self, request_id: Any) -> None:
        seq, state = await database_sync_to_async(selectors.member_live_state)(meeting_id=self.meeting_id,
                                                                                person_id=self.person_id)
        await self.send_json({"type": "state", "in_response": request_id, "seq": seq, "state": state})

    async def log_event(self, message: dict[str, Any]) -> None:
        # This person's own part of the patch (their `allowed`), computed with the event (state_patch.py).
        mine = message.get("personal", {}).get(str(self.person_id))
        event = message["event"]
        if mine and "state_patch" in event:
            message = {**message, "event": {**event, "state_patch": [*event["state_patch"], *mine]}}
        await super().log_event(message)

    async def media_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])


class PublicMeetingConsumer(_LiveConsumer):
    """`/ws/public/meetings/<id>/`: anyone, read-only, public events only.

    Viewers do not join the channel-layer group themselves: `public_feed` holds one subscription
    per process and meeting and hands each event, serialised once, to every local viewer, so a
    thousand viewers cost one Redis message per event per process, not a thousand.
    """

    public = True
    allowed_types = protocol.PUBLIC_TYPES

    async def connect(self) -> None:
        await self.setup()
        if await database_sync_to_async(selectors.meeting_seq)(meeting_id=self.meeting_id) is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.admitted = True
        self.delivery = asyncio.Lock()  # the feed and a client's `sync` must not interleave sends
        # Subscribe first, then read the document: an event committed in between is either in the
        # document or queued for us, never lost.
        self.subscription = await public_feed.subscribe(self.meeting_id)
        await self.send_state(None)
        self.feed_task = asyncio.ensure_future(self.follow_feed())

    async def follow_feed(self) -> None:
        try:
            while True:
                try:
                    event, text = await self.subscription.next()
                except public_feed.Lagging:  # fell behind: the state document replaces what was dropped
                    async with self.delivery:
                        await self.send_state(None)
                    continue
                async with self.delivery:
                    if event["seq"] <= self.last_seq:
                        continue  # already in the document or delivered by a replay
                    if self.is_next(event):
                        await self.send(text_data=text)
                        self.last_seq = event["seq"]
                    else:
                        await self.catch_up(upto=event["seq"])
        except asyncio.CancelledError:
            raise
        except Exception:  # a viewer must never sit on an open socket that no longer follows
            log.exception("public feed of meeting %s stopped for a viewer", self.meeting_id)
            await self.close(code=1011)

    async def handle(self, msg: protocol.Message) -> None:
        async with self.delivery:
            if msg.type == "sync" and await self.far_behind(msg.payload.get("after")):
                # An anonymous client must not make the server replay a long log into a socket it
                # may never read: far behind, it gets the state document, which is complete.
                await self.send_state(msg.id)
                return
            await super().handle(msg)

    async def far_behind(self, after: Any) -> bool:
        if not isinstance(after, int) or isinstance(after, bool):
            return False  # the base handler answers the bad value with an error
        current = await database_sync_to_async(selectors.meeting_seq)(meeting_id=self.meeting_id)
        return current is not None and current - after > public_feed.VIEWER_QUEUE

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "feed_task", None)
        if task is not None:
            task.cancel()
        subscription = getattr(self, "subscription", None)
        if subscription is not None:
            await public_feed.unsubscribe(subscription)

    def is_next(self, event: dict[str, Any]) -> bool:
        prev = event.get("prev_public_seq")
        return prev is not None and prev <= self.last_seq

    async def send_state(self, request_id: Any) -> None:
        doc = await database_sync_to_async(public_state.public_state_for)(self.meeting_id)
        seq = doc["seq"] if doc else 0
        # The document is the state at its seq; live events continue from there.
        self.last_seq = max(self.last_seq or 0, seq)
        await self.send_json({"type": "state", "in_response": request_id, "seq": seq, "state": doc})


class NoSuchSocket(AsyncWebsocketConsumer):
    """Every WebSocket path that names no live socket (meetings/routing.py): accepted and closed
    with 4404 at once, like a meeting that does not exist."""

    async def connect(self) -> None:
        await self.accept()  # a close during the handshake would reach the client as HTTP 403
        await self.close(code=CLOSE_NOT_FOUND)
