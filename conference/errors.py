"""The one error type the media tier raises at its boundary."""

from __future__ import annotations


class MediaError(Exception):
    """A request the media tier refuses; ``code`` is stable and safe to show to the client.

    Raised for bad input (malformed or hostile SDP, unknown message types, unsupported codecs).
    The room that raised it stays healthy: other members are not affected.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
