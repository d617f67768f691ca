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
from ..state import MeetingState, next_item_state
from ..visibility import LATE_ITEM_BEHIND_CLOSED_DOORS
from .access import person_for_user, require_chair, require_clerk
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
