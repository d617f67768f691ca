"""daphne as this project runs it: `python -m config.server [daphne's options] asgi:application`.

Every place that starts the web server (`make run`, the production sketch in README.md, the tests
and the bench) starts it through here, because daphne's own command line breaks two promises of the
live protocol (docs/protocol.md, "Limits"):

- Its WebSocket message limit is a fixed 1 MiB, unrelated to `WS_MAX_MESSAGE_BYTES`. Here it is
  `WS_TRANSPORT_MAX_BYTES` (at least `WS_MAX_MESSAGE_BYTES`): a message up to it reaches the
  consumer, which answers `too_large` above `WS_MAX_MESSAGE_BYTES`; a larger one is refused by the
  transport before it is buffered.
- autobahn fails a connection by dropping TCP (its `failByDrop` option, on by default and not
  exposed by daphne), so a client sees 1006 and no reason for a message over the limit (1009), a
  text frame that is not UTF-8 (1007) or a broken frame (1002). Here autobahn sends the close code
  and runs the closing handshake instead.
- daphne decodes the `Sec-WebSocket-Protocol` header as ASCII and answers anything else with HTTP
  500 and a traceback; here such a handshake is refused with 400.

Every other daphne option works as with `daphne` itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from autobahn.websocket.types import ConnectionDeny
from daphne.cli import CommandLineInterface
from daphne.server import Server as DaphneServer
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocketProtocol

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402


class WebSocketProtocol(DaphneWebSocketProtocol):
    def onConnect(self, request: Any) -> Any:
        for name, value in request.headers.items():
            if name.lower() == "sec-websocket-protocol" and not value.isascii():
                raise ConnectionDeny(ConnectionDeny.BAD_REQUEST, "Sec-WebSocket-Protocol must be ASCII")
        return super().onConnect(request)


class Server(DaphneServer):
    def __init__(self, *args: Any, websocket_max_message_size: int, websocket_max_frame_size: int,
                 **kwargs: Any) -> None:
        least = settings.WS_MAX_MESSAGE_BYTES
        for name, value in (("--websocket-max-message-size", websocket_max_message_size),
                            ("--websocket-max-frame-size", websocket_max_frame_size)):
            # 0 is daphne's "no limit": every client could make the server buffer without end.
            if not value or value < least:
                raise ImproperlyConfigured(f"{name} {value} is below WS_MAX_MESSAGE_BYTES ({least}): "
                                           "the consumer could not answer too_large")
        super().__init__(*args, websocket_max_message_size=websocket_max_message_size,
                         websocket_max_frame_size=websocket_max_frame_size, **kwargs)

    # daphne creates its autobahn factory inside run() and sets only the options it knows; an
    # option set on the factory is copied into every connection it builds, so it is set here, the
    # moment daphne stores the factory and before anything can connect.
    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        factory.setProtocolOptions(failByDrop=False)
        factory.protocol = WebSocketProtocol
        self._ws_factory = factory


class CommandLine(CommandLineInterface):
    server_class = Server

    def __init__(self) -> None:
        super().__init__()
        self.parser.set_defaults(websocket_max_message_size=settings.WS_TRANSPORT_MAX_BYTES,
                                 websocket_max_frame_size=settings.WS_TRANSPORT_MAX_BYTES)


if __name__ == "__main__":
    from captions.embedded import start_embedded

    start_embedded()  # the embedded default's captions worker process (a no-op unless CAPTIONS_IN_PROCESS)
    CommandLine().run(sys.argv[1:])
