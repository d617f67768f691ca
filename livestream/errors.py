"""The one error type of the public stream's boundary; views map it to `{"error": {code, message}}`."""

from __future__ import annotations


class StreamError(Exception):
    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
