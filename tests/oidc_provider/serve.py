"""Start the test provider on 127.0.0.1:PORT: migrate its own SQLite file, create the spec's users and
clients, and serve (`python -m tests.oidc_provider.serve PORT`, with OP_SPEC and OP_DB set)."""

from __future__ import annotations

import os
import sys

import django


def create_spec_records() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import Application

    for record in settings.SPEC["users"]:
        get_user_model().objects.create_user(username=record["username"], password=record["password"])
    for client in settings.SPEC["clients"]:
        Application.objects.create(
            name=client["client_id"], client_id=client["client_id"],
            # A private_key_jwt client gets a secret nobody knows: it can only log in with its key.
            client_secret=client.get("secret") or os.urandom(24).hex(),
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=client["redirect_uri"], post_logout_redirect_uris=client["post_logout_redirect_uri"],
            algorithm=Application.RS256_ALGORITHM, skip_authorization=True)


def main(port: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    create_spec_records()
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main(sys.argv[1])
