"""Decoded copies of forwarded media, for the public-stream composer (``livestream/``).

The member tier never decodes. The composer, however, needs pictures and samples, so each
publisher's encoded frames can be decoded **once** here (in the default thread pool, off the event
loop) and handed to any number of :class:`DecodedTrack` subscribers as ``av.AudioFrame`` /
``av.VideoFrame``. Nothing is decoded while nobody subscribes.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

import av
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .forwarding import EncodedFrame

logger = logging.getLogger(__name__)

INPUT_FRAMES = 15  # encoded frames waiting for the decoder thread
OUTPUT_FRAMES = 15  # decoded frames waiting for a slow subscriber (oldest dropped)


class DecodedTrack(MediaStreamTrack):
    """A plain aiortc track of decoded frames; ends (``MediaStreamError``) when the publisher
    stops publishing or the member leaves. Call ``stop()`` when done to stop decoding."""

    def __init__(self, kind: str, fanout: DecodeFanout) -> None:
        super().__init__()
        self.kind = kind
        self._fanout = fanout
        self._queue: asyncio.Queue[av.AudioFrame | av.VideoFrame | None] = asyncio.Queue()

    def _put(self, frame: Any) -> None:
        if self._queue.qsize() >= OUTPUT_FRAMES:
            self._queue.get_nowait()
        self._queue.put_nowait(frame)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        self._fanout.unsubscribe(self)


class DecodeFanout:
    """Decodes one publisher's track of one kind for all its :class:`DecodedTrack` subscribers."""

    def __init__(self, kind: str, request_keyframe: Any) -> None:
        self.kind = kind
        self._request_keyframe = request_keyframe
        self._subscribers: list[DecodedTrack] = []
        self._input: collections.deque[EncodedFrame] = collections.deque()
        self._wakeup = asyncio.Event()
        self._need_keyframe = kind == "video"
        self._decoder: Decoder | None = None
        self._codec_name = ""
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def subscribe(self) -> DecodedTrack:
        track = DecodedTrack(self.kind, self)
        self._subscribers.append(track)
        if self._task is None:
            self._need_keyframe = self.kind == "video"
            self._task = asyncio.ensure_future(self._run())
            if self.kind == "video":
                self._request_keyframe()
        return track

    def unsubscribe(self, track: DecodedTrack) -> None:
        if track in self._subscribers:
            self._subscribers.remove(track)
        if not self._subscribers and self._task is not None:
            self._task.cancel()
            self._task = None
            self._decoder = None
            self._input.clear()

    @property
    def wanted(self) -> bool:
        """Whether anyone subscribes (the publisher's tap reassembles frames only then)."""
        return bool(self._subscribers)

    def push(self, frame: EncodedFrame) -> None:
        if not self._subscribers:
            return
        if self._need_keyframe:
            if not frame.keyframe:
                return
            self._need_keyframe = False
        if len(self._input) >= INPUT_FRAMES:
            self._input.clear()
            if self.kind == "video" and not frame.keyframe:
                self._need_keyframe = True  # decoder fell behind: skip to a clean picture
                self._request_keyframe()
                return
        self._input.append(frame)
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        for track in list(self._subscribers):
            track._put(None)
        self._subscribers.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._input:
                self._wakeup.clear()
                await self._wakeup.wait()
            frame = self._input.popleft()
            if self._decoder is None or frame.codec.name != self._codec_name:
                self._decoder = get_decoder(frame.codec)
                self._codec_name = frame.codec.name
            try:
                decoded = await loop.run_in_executor(
                    None, self._decoder.decode, JitterFrame(frame.data, frame.timestamp)
                )
            except av.FFmpegError:
                logger.info("decoding a forwarded %s frame failed; waiting for a keyframe", self.kind)
                self._need_keyframe = self.kind == "video"
                self._request_keyframe()
                continue
            for picture in decoded:
                for track in self._subscribers:
                    track._put(picture)
