"""Which browser session an OpenID Connect login opened, so that the provider's front-channel logout
(which names the provider's session, `sid`) can end it without the browser's cookie: in a frame from the
provider's site, a SameSite=Lax session cookie is not sent."""

from __future__ import annotations

from django.db import models


class OidcLogin(models.Model):
    session_key = models.CharField(max_length=40, unique=True)
    issuer = models.CharField(max_length=500)
    sid = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["issuer", "sid"])]

    def __str__(self) -> str:
        return f"{self.issuer} {self.sid}"
