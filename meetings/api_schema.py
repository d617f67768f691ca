"""What the OpenAPI schema (drf-spectacular, `GET /api/schema/`) says beyond what it reads from a view.

`AutoSchema` (the default schema class in settings) adds to every operation each error status it can
answer, all in the one error shape of meetings/api_errors.py; `CommandSchema` describes each meeting
command as its own operation, with that command's payload as the request body. Schemathesis holds the
running API to this schema (tests/test_api_schema.py).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken

from .commands import COMMANDS


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, safe to match on: docs/protocol.md lists them.")
    message = serializers.CharField(help_text="In plain words, for people.")


class Error(serializers.Serializer):
    error = ErrorDetail()


ERRORS = {
    400: "Bad input: `invalid_input` (a field or parameter out of range, missing or unknown), `malformed_json`, "
         "`too_deep`, `unknown_type`, or a more precise code of the refusal.",
    401: "No valid credentials: the token is unknown or the user is inactive.",
    403: "Not allowed: `forbidden` for this role, `not_eligible`, or a token or session that is not valid.",
    404: "`not_found`: no such meeting, body, item, vote or person here (or not visible to this user).",
    409: "`illegal_transition`: the meeting, item or vote is not in a state that allows it.",
    413: "`too_large`: the body is larger than the limit.",
    415: "`unsupported_media_type`: the body is not JSON.",
    422: "`legal_rule`, `quorum_not_met` or a more precise code: a rule of kommuneloven refuses it.",
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: Any) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        ref = self.resolve_serializer(Error, "response").ref
        for status in self.error_statuses(operation):
            operation["responses"].setdefault(str(status), {
                "description": ERRORS[status], "content": {"application/json": {"schema": ref}}})
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> list[int]:
        """Every status but success that this operation can answer, from what it takes."""
        parameters = operation.get("parameters", [])
        statuses = {403}  # any request: a bad token or session, or a role that may not do this
        if self._answers_401():
            statuses.add(401)
        if any(p["in"] == "path" for p in parameters):
            statuses.add(404)
        if any(p["in"] == "query" and p.get("schema", {}).get("type") == "integer" for p in parameters):
            statuses.add(400)  # meetings/ids.py: not an integer in range
        if self.method in ("POST", "PATCH", "DELETE"):  # a body is read whether the operation takes one or not
            statuses |= {400, 413, 415}
            if not isinstance(self.view, ObtainAuthToken):
                statuses |= {404, 409, 422}  # every other write runs a domain service and its rules
        return sorted(statuses)

    def _answers_401(self) -> bool:
        # DRF answers 401 rather than 403 only when the first authentication class names a scheme
        # for WWW-Authenticate (TokenAuthentication does, SessionAuthentication does not).
        classes = getattr(self.view, "authentication_classes", [])
        return bool(classes and classes[0]().authenticate_header(None))


class CommandResult(serializers.Serializer):
    result = serializers.JSONField(help_text="What the command's service answers.", allow_null=True)
    seq = serializers.IntegerField(help_text="The log's last seq after the command: its events are at or before it.")


class CommandSchema(AutoSchema):
    """One operation per meeting command (`view.command`, set per URL in meetings/urls.py)."""

    def _name(self) -> str:
        return str(getattr(self.view, "command", ""))

    def _command(self) -> Any:
        return COMMANDS[self._name()]

    def get_operation_id(self) -> str:
        return "meetings_actions_" + self._name().replace(".", "_")

    def get_description(self) -> str:  # type: ignore[override]
        return f"{self._command().doc}. The payload is the command's, as over the live socket (docs/protocol.md)."

    def get_request_serializer(self) -> Any:
        return self._command().schema

    def get_response_serializers(self) -> Any:
        return CommandResult
