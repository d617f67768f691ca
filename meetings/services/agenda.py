"""The agenda: items and documents before the meeting; opening, closing and late items in it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from .. import preconditions
from ..exceptions import InvalidInput, LegalRuleViolation
from ..legal import in_meeting_language, late_item_blocked
from ..models import AgendaItem, Document
from ..preconditions import check_closure_ground_allowed
from ..presence import voting_persons
from ..state import ItemState, MeetingState, next_item_state
from ..visibility import LATE_ITEM_BEHIND_CLOSED_DOORS
from .access import person_for_user, person_or_none, require_chair, require_clerk
from .common import clean_text, item_of, require_in_session
from .log import log_append, meeting_lock


def item_add(*, user: Any, meeting_id: int, case_number: str, title: str, description: str = "",
             recommendation: str = "", planned_closure_ground: str = "", public_title: str = "") -> AgendaItem:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        require_clerk(user=user, body_id=meeting.body_id)
        if meeting.state not in (MeetingState.DRAFT, MeetingState.NOTICE_PUBLISHED):
            raise LegalRuleViolation("once the meeting has opened, new cases are late items (§ 11-3 (5))",
                                     code="use_late_item")
        check_closure_ground_allowed(meeting=meeting, ground=planned_closure_ground)
        order = (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1
        item = AgendaItem.objects.create(
            meeting=meeting, order=order, case_number=clean_text(case_number, field="case_number", max_length=30),
            title=clean_text(title, field="title", max_length=300), description=description,
            recommendation=recommendation, planned_closure_ground=planned_closure_ground,
            public_title=public_title)
        if meeting.state == MeetingState.NOTICE_PUBLISHED:
            # A change to a published notice is itself public.
            log_append(meeting=meeting, type="item.added", payload={
                "item": item.id, "case_number": item.case_number, "title": item.title_for_public,
                "public_title": item.title_for_public, "late": False})
            _tell_members(meeting, f"Ny sak: {item.case_number} {item.title_for_public}")
    return item


def _require_agenda_open_to_the_clerk(meeting: Any) -> None:
    """The clerk prepares the agenda until the meeting opens; in the meeting it changes only by the
    chair's acts (late items under § 11-3 (5), deferral), which the meeting's log records."""
    if meeting.state not in (MeetingState.DRAFT, MeetingState.NOTICE_PUBLISHED):
        raise LegalRuleViolation("once the meeting has opened, the agenda changes only in the meeting: a late item "
                                 "(§ 11-3 (5)) or a deferral by the chair", code="agenda_in_meeting")


def _tell_members(meeting: Any, change: str) -> None:
    """After the transaction commits: the members hear of a change to a published notice by e-mail."""
    from .. import notify

    transaction.on_commit(lambda: notify.notice_changed(meeting, change))


def _clerk_item(*, user: Any, item_id: int) -> tuple[Any, AgendaItem]:
    """The item with its meeting locked, for a clerk of the meeting's body."""
    from ..exceptions import NotFound

    meeting_id = AgendaItem.objects.filter(id=item_id).values_list("meeting_id", flat=True).first()
    if meeting_id is None:
        raise NotFound("agenda item %(item_id)s does not exist", params={"item_id": item_id})
    meeting = meeting_lock(meeting_id)
    require_clerk(user=user, body_id=meeting.body_id)
    _require_agenda_open_to_the_clerk(meeting)
    return meeting, item_of(meeting, item_id)


def _as_noticed(item: AgendaItem) -> dict[str, str]:
    """What the published notice shows of an item (§ 11-3): a change to it after the notice is a
    public, logged correction. The real title of a case planned for closed doors is not on it, nor
    are description and recommendation (the case's papers)."""
    return {"case_number": item.case_number, "title": item.title_for_public,
            "planned_closure_ground": item.planned_closure_ground}


def item_edit(*, user: Any, item_id: int, case_number: str, title: str, description: str | None = None,
              recommendation: str = "", planned_closure_ground: str = "", public_title: str = "") -> AgendaItem:
    """Before the notice the clerk edits an item freely; after it, a change to what the notice shows
    is logged as `item.corrected` (by the item's public title), so the record says what was noticed."""
    with transaction.atomic():
        meeting, item = _clerk_item(user=user, item_id=item_id)
        check_closure_ground_allowed(meeting=meeting, ground=planned_closure_ground)
        before = _as_noticed(item)
        item.case_number = clean_text(case_number, field="case_number", max_length=30)
        item.title = clean_text(title, field="title", max_length=300)
        item.public_title = clean_text(public_title, field="public_title", max_length=300, required=False)
        if description is not None:  # the clerk page's form leaves the description to the papers
            item.description = description
        item.recommendation = recommendation
        item.planned_closure_ground = planned_closure_ground
        item.save()
        after = _as_noticed(item)
        changed = [f for f in after if after[f] != before[f]]
        if meeting.state == MeetingState.NOTICE_PUBLISHED and changed:
            log_append(meeting=meeting, type="item.corrected", actor=person_or_none(user), payload={
                "item": item.id, "case_number": item.case_number, "title": item.title_for_public,
                "public_title": item.title_for_public,
                "planned_closure_ground": item.planned_closure_ground or None,
                "changed": changed})
            _tell_members(meeting, f"Rettet: {item.case_number} {item.title_for_public}")
    return item


def item_move(*, user: Any, item_id: int, by: int) -> AgendaItem:
    """Moves an item one place up (by=-1) or down (by=1). After the notice the new order is logged."""
    if by not in (-1, 1):
        raise InvalidInput("an item moves one place up (-1) or down (1)", code="invalid_move")
    with transaction.atomic():
        meeting, item = _clerk_item(user=user, item_id=item_id)
        items = list(meeting.items.order_by("order"))
        at = next(i for i, other in enumerate(items) if other.id == item.id)
        to = at + by
        if not 0 <= to < len(items):
            raise InvalidInput("the item is already first or last on the agenda", code="invalid_move")
        other = items[to]
        # Swap through a free position: (meeting, order) is unique.
        mine, theirs = item.order, other.order
        free = max(i.order for i in items) + 1
        AgendaItem.objects.filter(id=item.id).update(order=free)
        AgendaItem.objects.filter(id=other.id).update(order=mine)
        AgendaItem.objects.filter(id=item.id).update(order=theirs)
        item.order = theirs
        if meeting.state == MeetingState.NOTICE_PUBLISHED:
            log_append(meeting=meeting, type="agenda.reordered", actor=person_or_none(user), payload={
                "items": list(meeting.items.order_by("order").values_list("id", flat=True))})
            _tell_members(meeting, f"Ny rekkefølge: {item.case_number} er flyttet")
    return item


def item_remove(*, user: Any, item_id: int, reason: str = "") -> AgendaItem | None:
    """Before the notice an item is deleted. After it the case stays on the published case list,
    postponed (`item.postponed`, logged with the reason): the public was told it would be handled."""
    with transaction.atomic():
        meeting, item = _clerk_item(user=user, item_id=item_id)
        if meeting.state == MeetingState.DRAFT:
            item.delete()
            return None
        if item.state == ItemState.DEFERRED:
            raise InvalidInput("the item is already postponed", code="already_postponed")
        item.state = next_item_state(item.state, "defer")
        item.save(update_fields=["state"])
        log_append(meeting=meeting, type="item.postponed", actor=person_or_none(user), payload={
            "item": item.id, "case_number": item.case_number, "title": item.title_for_public,
            "reason": clean_text(reason, field="reason", max_length=500, required=False)})
        _tell_members(meeting, f"Utsatt: {item.case_number} {item.title_for_public}")
    return item


def document_add(*, user: Any, item_id: int, title: str, url: str = "", text: str = "", public: bool = True,
                 exemption_basis: str = "") -> Document:
    item = AgendaItem.objects.select_related("meeting").filter(id=item_id).first()
    if item is None:
        from ..exceptions import NotFound
        raise NotFound("agenda item %(item_id)s does not exist", params={"item_id": item_id})
    require_clerk(user=user, body_id=item.meeting.body_id)
    if not public and not exemption_basis:
        raise InvalidInput("an exempt document needs its legal basis (e.g. offentleglova § 13)")
    return Document.objects.create(item=item, title=clean_text(title, field="title", max_length=300), url=url,
                                   text=text, public=public, exemption_basis=exemption_basis)


def paper_upload(*, user: Any, item_id: int, title: str, upload: Any, public: bool = True,
                 exemption_basis: str = "") -> Document:
    """A case paper uploaded to an agenda item by a clerk of its body, before the meeting ends.
    An exempt paper needs its legal basis (offentleglova); type and size are checked by papers.py."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from .. import papers

    item = AgendaItem.objects.select_related("meeting").filter(id=item_id).first()
    if item is None:
        from ..exceptions import NotFound
        raise NotFound("agenda item %(item_id)s does not exist", params={"item_id": item_id})
    require_clerk(user=user, body_id=item.meeting.body_id)
    if item.meeting.state == MeetingState.ENDED:
        raise LegalRuleViolation("the meeting has ended; its papers are in the archive", code="meeting_ended")
    basis = clean_text(exemption_basis, field="exemption_basis", max_length=200, required=False) \
        if exemption_basis else ""
    if not public and not basis:
        raise InvalidInput("an exempt paper needs its legal basis (e.g. offentleglova § 13)",
                           code="exemption_basis_missing")
    kind, name, content = papers.check_upload(upload)
    document = Document(item=item, title=clean_text(title or name.rsplit(".", 1)[0], field="title", max_length=300),
                        public=public, exemption_basis=basis, file_name=name, content_type=kind.content_type,
                        size=len(content), sha256=papers.sha256(content), uploaded_at=timezone.now())
    document.file.save(f"{papers.sha256(content)[:16]}.{kind.extension}", ContentFile(content), save=False)
    document.save()
    return document


def item_add_late(*, user: Any, meeting_id: int, case_number: str, title: str, description: str = "",
                  chair_objects: bool = False, objecting_person_ids: list[int] | None = None,
                  public_title: str = "") -> AgendaItem | None:
    """§ 11-3 (5): a case not on the notice is decided unless the chair or 1/3 of those present object.

    The chair records the objections (a show of hands); returns None when the case is refused. A case
    added behind closed doors is known to the public by `public_title`, or by a neutral title when
    none is given: its real title may itself be what the closed session protects (§ 11-5).
    """
    objectors = set(objecting_person_ids or [])
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        require_in_session(meeting)
        present = voting_persons(meeting.live_state)
        unknown = {str(p) for p in objectors} - set(present)
        if unknown:
            raise InvalidInput("objectors must be members present: %(values)s are not",
                params={"values": ', '.join(sorted(unknown))})
        title = clean_text(title, field="title", max_length=300)
        if late_item_blocked(chair_objects=chair_objects, objectors=len(objectors), present_members=len(present)):
            log_append(meeting=meeting, type="late_item.refused", actor=person, payload={
                "case_number": case_number, "title": title, "chair_objects": chair_objects,
                "objectors": sorted(objectors), "present": len(present)})
            return None
        order = (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1
        public_title = clean_text(public_title, field="public_title", max_length=300, required=False)
        if not public_title and meeting.live_state["doors"]["closed"]:
            public_title = in_meeting_language(lambda: str(LATE_ITEM_BEHIND_CLOSED_DOORS))
        item = AgendaItem.objects.create(meeting=meeting, order=order, is_late=True, description=description,
                                         case_number=clean_text(case_number, field="case_number", max_length=30),
                                         title=title, public_title=public_title)
        log_append(meeting=meeting, type="item.added", actor=person, payload={
            "item": item.id, "case_number": item.case_number, "title": item.title,
            "public_title": public_title or item.title,
            "late": True, "objectors": sorted(objectors), "present": len(present)})
    return item


def item_open(*, user: Any, meeting_id: int, item_id: int) -> AgendaItem:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        require_in_session(meeting)
        item = item_of(meeting, item_id)
        preconditions.no_item_open(meeting.live_state)
        check_closure_ground_allowed(meeting=meeting, ground=item.planned_closure_ground)
        item.state = next_item_state(item.state, "open")
        item.save(update_fields=["state"])
        log_append(meeting=meeting, type="item.opened", actor=person, payload={
            "item": item.id, "case_number": item.case_number, "title": item.title,
            "public_title": item.title_for_public, "recommendation": item.recommendation,
            "planned_closure_ground": item.planned_closure_ground or None})
    return item


def item_close(*, user: Any, meeting_id: int, item_id: int, defer: bool = False) -> AgendaItem:
    with transaction.atomic():
        meeting = meeting_lock(meeting_id)
        person = person_for_user(user)
        require_chair(meeting=meeting, person=person)
        item = item_of(meeting, item_id)
        preconditions.no_open_vote(meeting.live_state)
        item.state = next_item_state(item.state, "defer" if defer else "close")
        item.save(update_fields=["state"])
        log_append(meeting=meeting, type="item.closed", actor=person, payload={"item": item.id, "state": item.state})
    return item
