"""Server-rendered pages. Live parts are filled in by the ES modules in static/frontend/."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from captions.selectors import captions_approved, captions_available, captions_language
from captions.selectors import job_of as caption_job_of
from livestream.health import stream_dir
from meetings import clock, papers, presence, selectors
from meetings.exceptions import DomainError, TooManyLoginAttempts
from meetings.exemptions import profile_coverage
from meetings.ids import parse_int
from meetings.legal import (
    MANDATORY_CLOSURE_GROUNDS,
    ClosureGround,
    VoteKind,
    ground_words,
    rules_for,
)
from meetings.models import AgendaItem, Body, Document, Meeting, Membership, Role
from meetings.models import MeetingForm as MeetingKind  # not the clerk form class below
from meetings.services import access, agenda, meetings
from meetings.services import attendance as attendance_services
from meetings.state import LIVE_STATES, MeetingState
from minutes import approval as minutes_approval
from minutes import noark5
from minutes import services as minutes_services
from minutes.labels import labels
from minutes.models import MinutesRecord, MinutesStatus
from minutes.render import approval_text


def _public_documents() -> Prefetch:
    """Only an item's public documents (§ 11-3)."""
    return Prefetch("documents", queryset=Document.objects.public(),
                    to_attr="public_documents")


def home(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - dt.timedelta(hours=12)
    upcoming = (Meeting.objects.select_related("body").prefetch_related(
                    Prefetch("items", queryset=AgendaItem.objects.prefetch_related(_public_documents())))
                .exclude(state__in=[MeetingState.DRAFT, MeetingState.ENDED]).filter(scheduled_start__gte=since)
                .order_by("scheduled_start")[:50])
    # The meetings where this person holds a seat and has not yet reported an absence.
    seated_in = set()
    if request.user.is_authenticated:
        bodies = {m.body_id for m in Membership.objects.filter(person__user=request.user).select_related("person")
                  if m.is_seated}
        person = str(getattr(getattr(request.user, "person", None), "id", ""))
        seated_in = {m.id for m in upcoming
                     if m.body_id in bodies and person not in (m.live_state or {}).get("absent", {})}
    return render(request, "frontend/home.html", {"meetings": upcoming, "seated_in": seated_in})


def meeting_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    except DomainError:
        raise Http404("no such meeting") from None
    minutes = MinutesRecord.objects.filter(meeting=meeting, status=MinutesStatus.PUBLISHED).exists()
    participant = selectors.is_participant(user=request.user, meeting=meeting)
    items = meeting.items.prefetch_related(_public_documents())
    ended = meeting.state == MeetingState.ENDED
    # The phase the page opens in; public.js follows the public state's meeting.state from there.
    phase = "ended" if ended else "before" if meeting.state == MeetingState.NOTICE_PUBLISHED else "live"
    return render(request, "frontend/meeting.html", {
        "meeting": meeting, "items": items, "minutes": minutes, "participant": participant, "ended": ended,
        "phase": phase, "recording": ended and (stream_dir(meeting.id) / "recording.m3u8").is_file(),
        "captions": ended and captions_available(meeting_id=meeting.id), "captions_lang": captions_language(),
        "captions_approved": ended and captions_approved(meeting_id=meeting.id),
        "papers": papers.readable(user=request.user, meeting=meeting).exclude(file="").exists()})


def public_document(request: HttpRequest, meeting_id: int, document_id: int) -> HttpResponse:
    """A public case document's text, for documents stored in the platform rather than linked."""
    document = (Document.objects.public().select_related("item__meeting__body")
                .filter(id=document_id, item__meeting_id=meeting_id,
                        item__meeting__notice_published_at__isnull=False).first())
    if document is None:
        raise Http404("no such public document")
    return render(request, "frontend/document.html", {"document": document, "meeting": document.item.meeting})


def paper_file(request: HttpRequest, meeting_id: int, document_id: int) -> HttpResponse:
    """One uploaded case paper, for whoever may read it (meetings/papers.py); else 404, exempt or not."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    paper = meeting and papers.readable_paper(user=request.user, meeting=meeting, document_id=document_id)
    if not paper:
        raise Http404("no such paper")
    response = FileResponse(paper.file.open("rb"), content_type=paper.content_type,
                            as_attachment=request.GET.get("download") == "1", filename=paper.file_name)
    # An exempt paper must not stay in a shared cache; a public one may.
    response["Cache-Control"] = "public, max-age=300" if paper.public and not paper.exemption_basis \
        else "private, no-store"
    return response


def papers_zip(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Every paper of the meeting this person may read, as one zip ("download all papers")."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    readable = papers.readable(user=request.user, meeting=meeting) if meeting else None
    if readable is None or not readable.exclude(file="").exists():
        raise Http404("no papers")
    response = HttpResponse(papers.zip_of(readable), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="saksdokumenter-{meeting_id}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_absence(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A member reports their absence (forfall) from the meeting list; the clerks are told."""
    if request.method == "POST":
        try:
            attendance_services.absence_report(user=request.user, meeting_id=meeting_id,
                                               reason=request.POST.get("reason", ""))
            messages.success(request, _("Your absence is registered; the clerk is told."))
        except DomainError as exc:
            messages.error(request, exc.translated())
    return redirect("home")


def _closure_grounds(meeting: Meeting, *, every: bool = False) -> list[tuple[str, str]]:
    """The grounds the chair may pick: § 11-7 (3) rules out mandatory closure in a remote meeting
    unless an exemption profile covers it now (`exemptions.profile_coverage`; the service refuses it
    anyway, this keeps the console from offering it). `every`: all of them, to name a ground the log
    already holds. Labels in the page's language."""
    covered = profile_coverage(meeting.exemption_profile, meeting, allows="closed_11_5_2_remote",
                               at=clock.now()) is None
    allowed = [g for g in ClosureGround if every or g not in MANDATORY_CLOSURE_GROUNDS
               or meeting.form != MeetingKind.REMOTE or covered]
    return [(g.value, ground_words(g)) for g in allowed]


@login_required
def room(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        meeting = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    except DomainError:
        raise Http404("no such meeting") from None
    person = selectors.person_for(request.user)
    membership = Membership.objects.filter(person=person, body=meeting.body).first() if person else None
    if membership is None:
        return render(request, "frontend/forbidden.html", {"meeting": meeting}, status=403)
    ice = [{"urls": settings.MEDIA_ICE_SERVERS, "username": settings.MEDIA_TURN_USERNAME,
            "credential": settings.MEDIA_TURN_PASSWORD}] if settings.MEDIA_ICE_SERVERS else []
    members = selectors.body_members(body=meeting.body)
    # The chair's roll call lists every seated member, also those who never connect.
    roster = [{"id": str(m.person_id), "name": m.person.name, "party": m.party.short_name if m.party else "",
               "role": m.role} for m in members if m.is_seated]
    items = list(meeting.items.prefetch_related("documents"))
    # The agenda and each item's papers for the member room's side panel. Members read the exempt
    # papers too (they handle the case); the page marks them exempt from public access.
    agenda = [{"id": str(i.id), "case_number": i.case_number, "title": i.title,
               "documents": [{"title": d.title, "text": d.text, "public": d.public and not d.exemption_basis,
                              "exemption_basis": d.exemption_basis,
                              "href": d.url or (reverse("public-document", args=[meeting.id, d.id])
                                                if d.public and not d.exemption_basis else "")}
                             for d in i.documents.all()]} for i in items]
    return render(request, "frontend/room.html", {
        "meeting": meeting, "items": items, "agenda": agenda, "person": person, "role": membership.role,
        "grounds": _closure_grounds(meeting), "ice_servers": ice,
        "grounds_data": dict(_closure_grounds(meeting, every=True)), "roster": roster,
        "is_chair": access.chair_id(meeting) == person.id, "members": members,
        "vote_kinds": _vote_kinds(meeting), "reasons": _presence_reasons(),
        "quorum_required": rules_for(meeting.body.body_type).quorum_required(meeting.body.seats)})


def _presence_reasons() -> dict[str, str]:
    """The texts of meetings/presence.py's reason codes, in the page's language: the pages show the
    server's `state.presence` facts in these words and keep no copy of their own."""
    return {code: presence.reason_text(code) for code in presence.REASONS}


# The chair may put to the vote what this body's rule set allows (§ 11-1, § 11-9 (3)); the vote on
# closing the doors has its own step in the console.
_VOTE_KIND_LABELS = {VoteKind.ORDINARY: _("Decision"), VoteKind.ELECTION: _("Election"),
                     VoteKind.APPOINTMENT: _("Appointment"),
                     VoteKind.BUDGET: _("Budget or financial plan (§ 11-9 (3))")}


def _vote_kinds(meeting: Meeting) -> list[tuple[str, Any]]:
    allowed = rules_for(meeting.body.body_type).vote_kinds
    return [(str(kind), label) for kind, label in _VOTE_KIND_LABELS.items() if kind in allowed]


class MeetingForm(forms.Form):
    body = forms.ModelChoiceField(queryset=Body.objects.all(), label=_("Body"))
    title = forms.CharField(max_length=300, label=_("Title"))
    scheduled_start = forms.DateTimeField(label=_("Start"),
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    form = forms.ChoiceField(choices=[("remote", _("Remote meeting")), ("physical", _("Physical meeting"))],
                             label=_("Form"))
    location = forms.CharField(max_length=300, required=False, label=_("Place (for a physical meeting)"))


class ItemForm(forms.Form):
    case_number = forms.CharField(max_length=30, label=_("Case number"))
    title = forms.CharField(max_length=300, label=_("Title"))
    recommendation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                     label=_("Recommendation"))
    planned_closure_ground = forms.ChoiceField(choices=[("", "–"), *ClosureGround.choices], required=False,
                                               label=_("Planned closure"))
    public_title = forms.CharField(max_length=300, required=False, label=_("Public title (if closed)"))


def _clerk_bodies(user: Any) -> list[int]:
    if user.is_staff:
        return list(Body.objects.values_list("id", flat=True))
    return list(Membership.objects.filter(person__user=user, role=Role.CLERK).values_list("body_id", flat=True))


@login_required
def clerk(request: HttpRequest) -> HttpResponse:
    bodies = _clerk_bodies(request.user)
    if not bodies:
        return render(request, "frontend/forbidden.html", {}, status=403)
    form = MeetingForm(request.POST or None)
    form.fields["body"].queryset = Body.objects.filter(id__in=bodies)
    if request.method == "POST" and form.is_valid():
        try:
            m = meetings.meeting_create(user=request.user, body_id=form.cleaned_data["body"].id,
                                        title=form.cleaned_data["title"], form=form.cleaned_data["form"],
                                        scheduled_start=form.cleaned_data["scheduled_start"],
                                        location=form.cleaned_data["location"])
            return redirect("clerk-meeting", meeting_id=m.id)
        except DomainError as exc:
            form.add_error(None, exc.translated())
    rows = Meeting.objects.filter(body_id__in=bodies).select_related("body").order_by("-scheduled_start")[:100]
    return render(request, "frontend/clerk.html", {"form": form, "meetings": rows})


@login_required
def clerk_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = (Meeting.objects.select_related("body")
               .filter(id=meeting_id, body_id__in=_clerk_bodies(request.user)).first())
    if meeting is None:
        raise Http404("no such meeting")
    item_form = ItemForm(request.POST if request.POST.get("action") == "add_item" else None)
    edited = _int_or_none(request.POST.get("item")) if request.POST.get("action") == "edit_item" else None
    edit_form = ItemForm(request.POST, prefix=f"edit{edited}") if edited else None
    try:
        if request.method == "POST":
            action = request.POST.get("action")
            done = _clerk_action(request, meeting, action, edit_form)
            if done:
                messages.success(request, done)
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action == "add_item" and item_form.is_valid():
                agenda.item_add(user=request.user, meeting_id=meeting.id, **item_form.cleaned_data)
                messages.success(request, _("Item added."))
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action == "upload_paper":
                agenda.paper_upload(user=request.user, item_id=_int_field(request.POST.get("item"), name="item"),
                                    title=request.POST.get("title", ""), upload=request.FILES.get("file"),
                                    public=request.POST.get("exempt") != "1",
                                    exemption_basis=request.POST.get("exemption_basis", ""))
                messages.success(request, _("The paper is uploaded."))
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action == "register_absence":
                attendance_services.absence_register(user=request.user, meeting_id=meeting.id,
                                            person_id=_int_field(request.POST.get("person"), name="member"),
                                            reason=request.POST.get("reason", ""))
                messages.success(request, _("The absence is registered."))
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action == "summon_deputy":
                deputy = attendance_services.deputy_summon(
                    user=request.user, meeting_id=meeting.id,
                    for_member_id=_int_field(request.POST.get("member"), name="member"))
                messages.success(request,
                                 _("%(name)s is summoned as deputy and told by e-mail.") % {"name": deputy.name})
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action == "publish_notice":
                meetings.meeting_publish_notice(user=request.user, meeting_id=meeting.id,
                                                notice_text=request.POST.get("notice_text", ""))
                messages.success(request, _("The notice is published."))
                return redirect("clerk-meeting", meeting_id=meeting.id)
            if action in ("publish_minutes", "correct_minutes", "release_decision"):
                if action == "release_decision":
                    minutes_services.minutes_release_decision(
                        user=request.user, meeting_id=meeting.id, vote=_int_field(request.POST.get("vote")),
                        reason=request.POST.get("reason", ""))
                    messages.success(request, _("The decision is released in the public minutes."))
                elif action == "publish_minutes":
                    minutes_services.minutes_publish(meeting_id=meeting.id, user=request.user)
                    messages.success(request, _("The minutes are published."))
                else:
                    minutes_services.minutes_correct(user=request.user, meeting_id=meeting.id,
                                                     text=request.POST.get("text", ""),
                                                     section=request.POST.get("section", ""))
                    messages.success(request, _("The correction is added."))
                return redirect("clerk-meeting", meeting_id=meeting.id)
    except DomainError as exc:
        messages.error(request, exc.translated())
    meeting.refresh_from_db()
    state = meeting.live_state or {}
    reasons = _presence_reasons()
    facts = state.get("presence", {})
    attendance = sorted(({**a, "presence": _presence_words(facts.get(pid), reasons)}
                         for pid, a in state.get("attendance", {}).items()), key=lambda a: a["name"])
    record = MinutesRecord.objects.filter(meeting=meeting).first()
    approval = minutes_approval.approval_of(meeting.id)
    return render(request, "frontend/clerk_meeting.html", {
        "caption_job": caption_job_of(meeting_id=meeting.id) if meeting.state == MeetingState.ENDED else None,
        "approval": approval, "approval_text": approval_text(approval, labels(translation.get_language()),
                                                             translation.get_language()),
        "signatory_choices": [(pid, state["attendance"][pid]["name"]) for pid in presence.voting_persons(state)]
        if meeting.state in LIVE_STATES else [],
        "later_meetings": minutes_approval.approvable_at(meeting)
        if meeting.state == MeetingState.ENDED and approval["method"] == "next_meeting" else [],
        "absences": _absences(meeting), "seated": _seated_not_absent(meeting),
        "meeting": meeting, "item_form": item_form,
        "items": [(i, edit_form if edit_form and i.id == edited else _edit_form(i))
                  for i in meeting.items.prefetch_related("documents")],
        "agenda_editable": meeting.state in (MeetingState.DRAFT, MeetingState.NOTICE_PUBLISHED),
        "attendance": attendance,
        "stream": state.get("stream", {"up": True}), "doors": state.get("doors", {}), "minutes": record,
        "closed_decisions": minutes_services.releasable_decisions(meeting_id=meeting.id) if record else []})


def clerk_archive_package(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The Noark 5 package of the published minutes, internal version included: for the body's clerks."""
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?next={request.path}")
    try:
        blob = noark5.package_for_clerk(user=request.user, meeting_id=meeting_id)
    except Meeting.DoesNotExist:
        raise Http404("no such meeting") from None
    except DomainError as exc:
        return HttpResponse(exc.translated(), status=exc.http_status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(blob, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="noark5-moete-{meeting_id}.zip"'
    return response


def _absences(meeting: Meeting) -> list[dict[str, Any]]:
    """Each registered absence, with the deputy summoned or the one next in the party's order."""
    names = dict(Membership.objects.filter(body=meeting.body).values_list("person_id", "person__name"))
    rows = []
    for pid, absence in (meeting.live_state or {}).get("absent", {}).items():
        nxt = None if absence.get("deputy") else attendance_services.next_deputy(meeting, int(pid))
        rows.append({"member": pid, "name": names.get(int(pid), pid), "reason": absence.get("reason", ""),
                     "deputy": names.get(int(absence["deputy"])) if absence.get("deputy") else None,
                     "next": nxt})
    return sorted(rows, key=lambda r: str(r["name"]))


def _seated_not_absent(meeting: Meeting) -> list[Any]:
    absent = set((meeting.live_state or {}).get("absent", {}))
    return [m for m in Membership.objects.filter(body=meeting.body).select_related("person").order_by("person__name")
            if m.is_seated and str(m.person_id) not in absent]


def _presence_words(fact: dict[str, Any] | None, reasons: dict[str, str]) -> str:
    if fact is None:
        return "–"
    if fact["sees_and_hears"]:
        return str(_("sees and hears"))
    return reasons.get(fact["reason"] or "", fact["reason"] or "")


def _edit_form(item: AgendaItem) -> ItemForm:
    return ItemForm(prefix=f"edit{item.id}", initial={f: getattr(item, f) for f in ItemForm.base_fields})


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _clerk_action(request: HttpRequest, meeting: Meeting, action: str | None, edit_form: ItemForm | None) -> str:
    """The clerk's agenda work (edit, move, delete or postpone an item, the place): the success message,
    or "" when the action is not one of these or its form is not valid (the page shows the errors)."""
    item = _int_or_none(request.POST.get("item"))
    if action == "edit_item" and item and edit_form is not None and edit_form.is_valid():
        agenda.item_edit(user=request.user, item_id=item, **edit_form.cleaned_data)
        return str(_("The item is saved."))
    if action in ("move_up", "move_down"):
        agenda.item_move(user=request.user, item_id=_int_field(request.POST.get("item"), name="item"),
                         by=-1 if action == "move_up" else 1)
        return str(_("The item is moved."))
    if action == "remove_item":
        removed = agenda.item_remove(user=request.user, item_id=_int_field(request.POST.get("item"), name="item"),
                                     reason=request.POST.get("reason", ""))
        return str(_("The item is postponed; the members are told.") if removed else _("The item is deleted."))
    if action == "choose_signatories":
        minutes_approval.signatories_choose(user=request.user, meeting_id=meeting.id, person_ids=[
            _int_field(request.POST.get(f"signatory{n}"), name="member") for n in (1, 2)])
        return str(_("The protocol signatories are recorded."))
    if action == "approve_minutes":
        minutes_approval.approve_at_meeting(user=request.user, meeting_id=meeting.id,
                                            at_meeting_id=_int_field(request.POST.get("at_meeting"), name="meeting"),
                                            case_number=request.POST.get("case_number", ""))
        return str(_("The approval of the minutes is recorded."))
    if action == "set_location":
        meetings.meeting_set_location(user=request.user, meeting_id=meeting.id,
                                      location=request.POST.get("location", ""))
        return str(_("The place is saved."))
    return ""


_FIELD_CHOICES = {"vote": "choose a vote", "item": "choose an item", "member": "choose a member",
                  "meeting": "choose a meeting"}


def _int_field(value: str | None, *, name: str = "vote") -> int:
    try:
        return parse_int(value or "", name=name, minimum=1)
    except DomainError:
        raise DomainError(_FIELD_CHOICES[name], code="invalid_input") from None


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """django-axes' answer to a login refused after too many failures (AXES_LOCKOUT_CALLABLE): the page,
    in the user's language, with 429. axes passes the original response and the credentials; unused."""
    refused = TooManyLoginAttempts()
    response = render(request, "registration/locked_out.html", {"message": refused.message}, status=refused.http_status)
    response["Retry-After"] = str(refused.retry_after)
    return response
