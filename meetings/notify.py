"""E-mail about the work around a meeting: a member's absence to the body's clerks, a summons to a
deputy. Sent after the log's transaction commits (the event is the record; the e-mail only tells),
through Django's mail backend (EMAIL_BACKEND: the console in the embedded default, SMTP in production).
A mail that cannot be sent is logged, never undoing the event."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import SEATED_ROLES, Meeting, Membership, Person, Role

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


def _seated_addresses(meeting: Meeting) -> list[str]:
    """The members who sit on the body, and deputies already summoned to this meeting."""
    summoned = {str(a.get("deputy")) for a in (meeting.live_state or {}).get("absent", {}).values() if a.get("deputy")}
    addresses = []
    for m in Membership.objects.filter(body=meeting.body).select_related("person__user"):
        if (m.role in SEATED_ROLES or str(m.person_id) in summoned) and m.person.user and m.person.user.email:
            addresses.append(m.person.user.email)
    return sorted(set(addresses))


def _case_list(meeting: Meeting) -> str:
    lines = []
    for item in meeting.items.order_by("order"):
        postponed = " (utsatt)" if item.state == "deferred" else ""
        lines.append(f"  {item.case_number} {item.title_for_public}{postponed}")
    return "\n".join(lines)


def _links(meeting: Meeting) -> str:
    return (f"Innkallingen og sakspapirene: {settings.SITE_URL}/meetings/{meeting.id}/\n"
            f"Møterommet: {settings.SITE_URL}/meetings/{meeting.id}/room/\n"
            f"Meld forfall: {settings.SITE_URL}/\n")


def _where(meeting: Meeting) -> str:
    place = meeting.location or ("digitalt møterom" if meeting.form == "remote" else "")
    return f"{meeting.get_form_display()}{', ' + place if place else ''}"


def notice_published(meeting: Meeting) -> None:
    """§ 11-3: the notice, to every member of the body (the public notice is the meeting page)."""
    _send(f"Innkalling: {meeting.body.name} {_when(meeting)}",
          f"{meeting.body.name} innkalles til møte: {meeting.title}, {_when(meeting)}.\n"
          f"Sted: {_where(meeting)}\n\n{meeting.notice_text + chr(10) + chr(10) if meeting.notice_text else ''}"
          f"Saksliste:\n{_case_list(meeting)}\n\n{_links(meeting)}",
          _seated_addresses(meeting))


def notice_changed(meeting: Meeting, change: str) -> None:
    """A change to a published notice (a corrected or postponed case, a new case, a new place)."""
    _send(f"Endret innkalling: {meeting.body.name} {_when(meeting)}",
          f"Innkallingen til {meeting.body.name}: {meeting.title}, {_when(meeting)} er endret:\n  {change}\n\n"
          f"Sted: {_where(meeting)}\n\nSaksliste nå:\n{_case_list(meeting)}\n\n{_links(meeting)}",
          _seated_addresses(meeting))
