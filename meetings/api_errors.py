"""Map every error at the HTTP boundary to {"error": {"code", "message"}}; never a raw 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .exceptions import DomainError, TooManyLoginAttempts

log = logging.getLogger(__name__)


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(v) for v in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        domain = Response({"error": exc.as_dict()}, status=exc.http_status)
        if isinstance(exc, TooManyLoginAttempts):
            domain["Retry-After"] = str(exc.retry_after)
        return domain
    if isinstance(exc, DjangoValidationError):
        return Response({"error": {"code": "invalid_input", "message": " ".join(exc.messages)}}, status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response({"error": {"code": "too_large", "message": str(exc)}}, status=413)
    if isinstance(exc, SuspiciousOperation):  # e.g. more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return Response({"error": {"code": "bad_request", "message": str(exc)}}, status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not bad input: log it in full, but still answer in the API's own error shape.
        view = context.get("view")
        log.error("unhandled error in %s", type(view).__name__ if view else "API view", exc_info=exc)
        set_rollback()
        return Response({"error": {"code": "internal", "message": gettext("the server could not handle this request")}},
                        status=500)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, drf.ParseError):
        code = "malformed_json"
    elif isinstance(exc, drf.ValidationError):
        code = "invalid_input"
    detail = getattr(exc, "detail", str(exc))
    response.data = {"error": {"code": code, "message": _flatten(detail)}}
    return response


@csrf_exempt  # it changes nothing; without this a POST would get the CSRF check's HTML 403 instead
def not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Any /api/ path that names no endpoint: the API's JSON error, not Django's HTML page."""
    return JsonResponse({"error": {"code": "not_found", "message": f"no API endpoint at {request.path}"}},
                        status=404)
