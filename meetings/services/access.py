"""Who may do what: resolve the acting user to a person and check roles (DESIGN § 7)."""

from __future__ import annotations

from typing import Any

from .. import preconditions
from ..exceptions import PermissionDenied
from ..models import Meeting, Membership, Person, Role


def person_for_user(user: Any) -> Person:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("log in to do this")
    try:
        return Person.objects.get(user=user)
    except Person.DoesNotExist:
        raise PermissionDenied("your user account is not linked to a person in the council register") from None


def person_or_none(user: Any) -> Person | None:
    """The acting user's person for the log's `actor`, or None: a staff clerk may have no person in
    the register, and the event is then the system's."""
    return Person.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None


def membership(*, person: Person, body_id: int) -> Membership | None:
    return Membership.objects.filter(person=person, body_id=body_id).first()


def is_clerk(*, user: Any, body_id: int) -> bool:
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    person = Person.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    return bool(person and Membership.objects.filter(person=person, body_id=body_id, role=Role.CLERK).exists())


def require_clerk(*, user: Any, body_id: int) -> None:
    if not is_clerk(user=user, body_id=body_id):
        raise PermissionDenied("only the body's clerk may do this")


def chair_id(meeting: Meeting) -> int | None:
    chair = (meeting.live_state or {}).get("meeting", {}).get("chair")
    return int(chair) if chair else meeting.chair_id


def require_chair(*, meeting: Meeting, person: Person) -> None:
    preconditions.chair(chair_id=chair_id(meeting), person_id=person.id)


def require_chair_or_clerk(*, user: Any, meeting: Meeting, person: Person) -> None:
    preconditions.chair_or_clerk(chair_id=chair_id(meeting), person_id=person.id,
                                 clerk=is_clerk(user=user, body_id=meeting.body_id))


def require_participant(*, meeting: Meeting, person: Person) -> Membership:
    m = membership(person=person, body_id=meeting.body_id)
    if m is None:
        raise PermissionDenied("you are not a member, deputy or clerk of this body")
    return m
