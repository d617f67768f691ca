"""System checks that keep a production server safe, and running them where Django does not.

`demo_logins` is a deployment check (`manage.py check --deploy`): with DEBUG=0, a login whose password
is the demo's published one (`meetings.demo.PASSWORD`, printed by `seed_demo` and in the README) is an
error, unless DEMO_SITE=1 says the server is a public demo. daphne runs no system checks when it
starts (runserver would), so `asgi.py` calls `refuse_to_serve_on_security_errors` under DEBUG=0.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password
from django.core import checks
from django.core.management.base import SystemCheckError
from django.db import DatabaseError
from django.db.models import Count

log = logging.getLogger(__name__)

# The usernames `meetings.demo.seed` creates.
DEMO_USERNAME = re.compile(r"ordforer|varaordforer|sekretar|medlem\d+|vara-[a-z]+\d+")


def _demo_password_users() -> list[str]:
    """Usernames of active users whose password is the demo password, in order.

    Password hashes are slow on purpose (about 0.4 s each here), so not every user is tried: each
    distinct hash of a demo username, and each hash that several users share (a copied hash: the demo
    gives every login the same one, a person choosing a password never does), is tried once.
    """
    from .demo import PASSWORD

    users = get_user_model().objects.filter(is_active=True).exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    shared = set(users.values("password").annotate(n=Count("id")).filter(n__gt=1).values_list("password", flat=True))
    candidates = list(users.values_list("username", "password"))
    hashes = shared | {encoded for username, encoded in candidates if DEMO_USERNAME.fullmatch(username)}
    matching = {encoded for encoded in hashes if check_password(PASSWORD, encoded)}
    return sorted(username for username, encoded in candidates if encoded in matching)


def demo_logins(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG or settings.DEMO_SITE:
        return []
    try:
        found = _demo_password_users()
    except DatabaseError:
        return []  # no tables yet (before `migrate`): no users either
    if not found:
        return []
    shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    return [checks.Error(
        f"{len(found)} login(s) have the demo password from seed_demo, which is published: {shown}.",
        hint="Delete these users (the demo council's) or give each a new password (manage.py changepassword "
             "<username>); set DEMO_SITE=1 only for a public demonstration server.",
        id="meetings.E001")]


def refuse_to_serve_on_security_errors() -> None:
    """Run the security checks, deployment ones included; log the warnings, raise on an error."""
    found = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
    for message in found:
        if not message.is_serious():
            log.warning("%s", message)
    errors = [message for message in found if message.is_serious()]
    if errors:
        raise SystemCheckError("refusing to serve with DEBUG=0:\n" + "\n".join(str(e) for e in errors))
