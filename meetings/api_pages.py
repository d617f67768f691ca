"""The API's pages for people: DRF's browsable API and the Swagger UI at /api/docs/.

Their templates (DRF's and drf-spectacular's) carry inline styles, so these pages, and no others, let
the Content-Security-Policy allow inline style. Inline script stays refused on them too: the Swagger
UI loads its set-up script from a URL of its own (drf-spectacular's split view, in urls.py).

This module is imported by DRF's settings (DEFAULT_RENDERER_CLASSES): it must not import DRF's views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from csp.constants import UNSAFE_INLINE
from rest_framework import renderers

INLINE_STYLE = {"style-src": [UNSAFE_INLINE]}
# What django-csp's `csp_update` decorator sets on a response; the renderer has the response, not a view.
_CSP_UPDATE = "_csp_update"


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> Any:
        html = super().render(data, accepted_media_type, renderer_context)
        response = (renderer_context or {}).get("response")
        if response is not None:
            setattr(response, _CSP_UPDATE, INLINE_STYLE)
        return html
