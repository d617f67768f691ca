"""E-mail about the work around a meeting: a member's absence to the body's clerks, a summons to a
deputy. Sent after the log's transaction commits (the event is the record; the e-mail only tells),
through Django's mail backend (EMAIL_BACKEND: the console in the embedded default, SMTP in production).
A mail that cannot be sent is logged, never undoing the event."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Meeting, Membership, Person, Role

log = logging.getLogger(__name__)


def _when(meeting: Meeting) -> str:
    return timezone.localtime(meeting.scheduled_start).strftime("%d.%m.%Y kl. %H.%M")


def _send(subject: str, body: str, to: list[str]) -> None:
    to = [a for a in to if a]
    if not to:
        return
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # noqa: BLE001 - the event stands; the clerk sees it on the clerk page
        log.exception("could not send %r to %s", subject, to)


def absence_reported(meeting: Meeting, member: Person, reason: str) -> None:
    clerks = Membership.objects.filter(body=meeting.body, role=Role.CLERK).select_related("person__user")
    _send(f"Forfall: {member.name} – {meeting.body.name} {_when(meeting)}",
          f"{member.name} har meldt forfall til {meeting.body.name}: {meeting.title}, {_when(meeting)}.\n"
          f"Grunn: {reason or '(ikke oppgitt)'}\n\n"
          f"Kall inn vararepresentant: {settings.SITE_URL}/clerk/meetings/{meeting.id}/\n",
          [c.person.user.email for c in clerks if c.person.user])


def deputy_summoned(meeting: Meeting, deputy: Person, for_name: str) -> None:
    user = deputy.user
    _send(f"Innkalling som vararepresentant: {meeting.body.name} {_when(meeting)}",
          f"Du er kalt inn som vararepresentant for {for_name} til {meeting.body.name}: {meeting.title}, "
          f"{_when(meeting)}.\n\nMøtet og sakspapirene: {settings.SITE_URL}/meetings/{meeting.id}/\n"
          f"Møterommet: {settings.SITE_URL}/meetings/{meeting.id}/room/\n",
          [user.email] if user else [])
