"""One error type for the domain, mapped once at each boundary (HTTP handler, WebSocket consumer)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext, ngettext


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status

    def as_dict(self) -> dict[str, str]:
        """The error at a boundary: the stable code, and the message in the active language (the
        request's or the socket's). The message is the msgid, so a raise stays plain English."""
        return {"code": self.code, "message": gettext(self.message)}


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
