"""The one way a JSON request body is read over HTTP: bounded in size and in depth.

Every REST view reads its body through `JSONBodyParser` (the default parser in settings, the token
endpoint's too), and the public WebRTC offer endpoint calls `loads_bounded` itself. Python's own
decoder recurses once per level of nesting, so `[[[[…]]]]` a few thousand levels deep raises
RecursionError (a 500) before any serializer sees it; the nesting is counted here first, without
recursion, and the decoder only ever sees what fits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from .exceptions import DomainError

# The deepest payload a command takes is three levels (`{"order": [{"person": …}]}`); the rest is room.
MAX_DEPTH = 32

# A string (its escapes included) or a bracket: brackets inside strings are not nesting.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')
# A \uD800-\uDFFF escape: half of a surrogate pair, valid only next to its other half.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JSONBodyError(DomainError):
    """A body that is not one bounded JSON text; `code` says which rule it broke."""

    code = "malformed_json"
    http_status = 400


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def max_body_bytes() -> int:
    """The REST bodies' limit: Django's own limit for a request body held in memory."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


def _check_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets: the common case costs two counts
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONBodyError(f"the JSON nests deeper than {max_depth} levels", code="too_deep")
        elif token in "]}":
            depth -= 1


def holds_lone_surrogate(text: str, data: Any) -> bool:
    """Whether `data`, decoded from `text`, holds half of a surrogate pair (an escape such as "\\ud800"
    alone), which no text can hold: echoing or storing it would fail. Only a text with such an escape
    is encoded again to find out, so ordinary messages cost one regex search."""
    if not _SURROGATE_ESCAPE.search(text):
        return False
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads_bounded(body: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Decode one JSON text of at most `max_bytes` UTF-8 bytes and `max_depth` levels of nesting.

    Raises JSONBodyError: `too_large` (413), `too_deep` or `malformed_json` (400). NaN and Infinity
    are refused (they are not JSON), and so is a lone surrogate escape (no text can hold it).
    """
    if len(body) > max_bytes:
        raise JSONBodyError(f"the body is larger than {max_bytes} bytes", code="too_large", http_status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JSONBodyError("the body must be UTF-8 text") from None
    _check_depth(text, max_depth)
    try:
        data = json.loads(text, parse_constant=_strict_constant)
    except RecursionError:  # not reachable through _check_depth; kept so no input can become a 500
        raise JSONBodyError(f"the JSON nests deeper than {max_depth} levels", code="too_deep") from None
    except ValueError as exc:  # JSONDecodeError, and an integer of more than 4300 digits
        raise JSONBodyError(f"the body is not valid JSON: {exc}") from None
    if holds_lone_surrogate(text, data):
        raise JSONBodyError("the JSON holds half of a surrogate pair (\\uD800-\\uDFFF alone)")
    return data


class JSONBodyParser(BaseParser):
    """DRF's JSON parser, bounded: the body goes through `loads_bounded` with Django's body limit."""

    media_type = "application/json"

    def parse(self, stream: IO[bytes], media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = max_body_bytes()
        return loads_bounded(stream.read(limit + 1), max_bytes=limit)  # one byte more tells "too large"
