"""One error type for the domain, mapped once at each boundary (HTTP handler, WebSocket consumer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, ngettext


class Text(str):
    """Words said later in the reader's language: a catalogue msgid and what fills its `%(name)s`
    placeholders. As a string it is the English (logs, records, the admin's checks); `translated()`
    words it, and any Text among its params, in the active language (the request's or socket's)."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> Text:
        filled = dict(params or {})
        text = super().__new__(cls, msgid % filled if filled else msgid)
        text.msgid, text.params = msgid, filled
        return text

    def translated(self) -> str:
        words = gettext(self.msgid)
        if not self.params:
            return words
        return words % {k: v.translated() if isinstance(v, Text) else v for k, v in self.params.items()}


Words = Text  # a param that is itself words (a state, a kind of vote): a Text with nothing to fill in


class DomainError(Exception):
    """`message` is a catalogue msgid in plain English (or a Text); what varies (an id, a name, a
    list of choices) goes in `params` and fills its `%(name)s` placeholders, so that the msgid stays
    one catalogue entry. The message is worded in the reader's language at the boundary."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        self.text = message if isinstance(message, Text) and params is None else Text(message, params)
        self.message = str(self.text)  # English: logs, records
        super().__init__(self.message)
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status

    def translated(self) -> str:
        """The message in the active language (the request's or the socket's)."""
        return self.text.translated()

    def as_dict(self) -> dict[str, str]:
        """The error at a boundary: the stable code, and the message in the active language."""
        return {"code": self.code, "message": self.translated()}


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403


class NotEligible(DomainError):
    code = "not_eligible"
    http_status = 403


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 400


class LegalRuleViolation(DomainError):
    """A rule of kommuneloven refuses the action; the message names the section."""

    code = "legal_rule"
    http_status = 422


class QuorumNotMet(DomainError):
    code = "quorum_not_met"
    http_status = 422


class LogTampered(DomainError):
    code = "log_tampered"
    http_status = 409


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    http_status = 400


class TooManyLoginAttempts(DomainError):
    """Locked out after repeated failed logins (django-axes, AXES_* settings), for `retry_after` seconds."""

    code = "too_many_attempts"
    http_status = 429

    def __init__(self) -> None:
        self.retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
        minutes = max(1, -(-self.retry_after // 60))
        super().__init__(ngettext("Too many failed logins. Try again in %(minutes)d minute.",
                                  "Too many failed logins. Try again in %(minutes)d minutes.",
                                  minutes) % {"minutes": minutes})
