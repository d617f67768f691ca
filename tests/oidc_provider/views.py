from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .claims import session_id


@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """The provider's own logout with OpenID Connect Front-Channel Logout: a frame per client loads its
    frontchannel_logout_uri with the issuer and the session id, as ID-porten does."""
    query = urlencode({"iss": settings.SPEC["issuer"], "sid": session_id(request.user)})
    frames = [f"{client['frontchannel_logout_uri']}?{query}" for client in settings.SPEC["clients"]]
    logout(request)
    return render(request, "provider/logged_out.html", {"frames": frames})
