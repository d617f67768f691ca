"""The council domain: who sits where, what is on the agenda, and the meeting log.

Live state (attendance, floor, votes, doors) is not stored in mutable tables: it is derived from
the append-only log (`MeetingEvent`) by `meetings.projection`, and a snapshot of that derivation is
kept on `Meeting.live_state`, updated in the same transaction as each appended event.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock
from .exemptions import profile_coverage
from .legal import MANDATORY_CLOSURE_GROUNDS, ClosureGround, rules_for
from .state import ItemState, MeetingState


class Municipality(models.Model):
    name = models.CharField(max_length=200)
    number = models.CharField(max_length=4, blank=True, help_text="Kommunenummer, e.g. 0301")

    def __str__(self) -> str:
        return self.name


class Party(models.Model):
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=20)

    class Meta:
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.short_name


class Person(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=200)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL)
    # What the OpenID provider's OIDC_PERSON_CLAIM says for this person (accounts/oidc.py): for ID-porten's
    # pid the national identity number (fødselsnummer), for sub the provider's id; empty: no such login.
    login_id = models.CharField(
        max_length=200, blank=True, default="",
        help_text="The person's id at the OpenID provider: for ID-porten, the national identity number")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["login_id"], condition=~models.Q(login_id=""),
                                               name="person_login_id_unique")]

    def __str__(self) -> str:
        return self.name


class BodyType(models.TextChoices):
    COUNCIL = "kommunestyre", "Kommunestyre / fylkesting"
    EXECUTIVE = "formannskap", "Formannskap / fylkesutvalg"
    COMMITTEE = "utvalg", "Utvalg"
    CONTROL = "kontrollutvalg", "Kontrollutvalg"
    ENTERPRISE_BOARD = "kf-styre", "Styre for kommunalt foretak"


class Body(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="bodies")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    body_type = models.CharField(max_length=20, choices=BodyType.choices, default=BodyType.COMMITTEE)
    seats = models.PositiveIntegerField(help_text="Number of members; the base of the quorum (§ 11-9)")
    # § 11-7 (1): remote meetings only where the council has allowed them.
    remote_allowed = models.BooleanField(default=False)
    remote_decision_ref = models.CharField(max_length=100, blank=True, help_text="Case number of the council decision")
    remote_decision_date = models.DateField(null=True, blank=True)
    minutes_review_hours = models.PositiveIntegerField(
        default=0, help_text="Hours the clerk may review minutes before automatic publication (0: at once)"
    )
    # How the published minutes are approved (the body's rules of procedure, § 11-12): "" for none
    # (the automatic publication is the minutes), by two members chosen in the meeting who sign them,
    # or by the body at its next meeting. Until then the minutes say they are not yet approved.
    minutes_approval = models.CharField(max_length=20, blank=True, default="", choices=[
        ("", "Ingen godkjenning (publisert protokoll er endelig)"),
        ("signatories", "Underskrives av to medlemmer valgt i møtet"),
        ("next_meeting", "Godkjennes i neste møte")])
    # Kommuneloven 2018 has no rule on written ballots (legal.py): only the body's own rules of
    # procedure (§ 11-12) can provide for one. Blank: none is held.
    written_ballot_basis = models.CharField(
        max_length=200, blank=True,
        help_text="The provision of the body's rules of procedure (§ 11-12) that lets one member demand a written "
                  "ballot in elections and appointments, e.g. 'Reglement for kommunestyret § 14'; blank: none")

    class Meta:
        verbose_name_plural = "bodies"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Medlem"
    DEPUTY = "deputy", "Varamedlem"
    CHAIR = "chair", "Leder"
    DEPUTY_CHAIR = "deputy_chair", "Nestleder"
    CLERK = "clerk", "Sekretær"


SEATED_ROLES = {Role.MEMBER, Role.CHAIR, Role.DEPUTY_CHAIR}


class Membership(models.Model):
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL)
    deputy_rank = models.PositiveIntegerField(null=True, blank=True, help_text="Order in which deputies are summoned")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["body", "person"], name="one_membership_per_body")]
        ordering = ["role", "deputy_rank", "person__name"]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}, {self.body})"

    @property
    def is_seated(self) -> bool:
        return self.role in SEATED_ROLES


class ExemptionProfile(models.Model):
    """A dated legal relaxation under § 11-7 (4) (e.g. the COVID-era regulation). Off by default."""

    instrument = models.CharField(max_length=100, help_text="e.g. FOR-2020-03-13-277")
    title = models.CharField(max_length=300)
    valid_from = models.DateField()
    valid_to = models.DateField()
    enabled = models.BooleanField(default=False)
    allows_audio_only = models.BooleanField(default=False)
    allows_no_public_stream = models.BooleanField(default=False)
    allows_closed_11_5_2_remote = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.instrument}: {self.title}"


class MeetingForm(models.TextChoices):
    PHYSICAL = "physical", "Fysisk møte"
    REMOTE = "remote", "Fjernmøte"


class Meeting(models.Model):
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(max_length=300)
    scheduled_start = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True, help_text="For a remote meeting: the digital meeting room")
    form = models.CharField(max_length=10, choices=MeetingForm.choices, default=MeetingForm.REMOTE)
    state = models.CharField(max_length=20, choices=MeetingState.choices, default=MeetingState.DRAFT)
    chair = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    exemption_profile = models.ForeignKey(ExemptionProfile, null=True, blank=True, on_delete=models.PROTECT)
    speaking_time_seconds = models.PositiveIntegerField(default=180)
    notice_text = models.TextField(blank=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    # Snapshot of meetings.projection over the log, kept in step inside each append's transaction.
    live_state = models.JSONField(default=dict, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    last_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheduled_start"]

    def __str__(self) -> str:
        return f"{self.body}: {self.title}"

    # Validation for the admin (ModelForm.full_clean). The services check the same rules and log what
    # they change; the admin writes rows directly, so here it must at least not get round the rules.
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.form == MeetingForm.REMOTE and self.body_id and not self.body.remote_allowed \
                and not rules_for(self.body.body_type).own_remote_decision:
            errors["form"] = _("%(body)s may not meet remotely: the council has not allowed remote meetings "
                               "for it (kommuneloven § 11-7 (1)).") % {"body": self.body.name}
        if self.exemption_profile_id and self._exemption_profile_changed():
            problem = profile_coverage(self.exemption_profile, self)
            if problem:
                errors["exemption_profile"] = problem
        if self.pk and self.form == MeetingForm.REMOTE:
            mandatory = self.items.filter(planned_closure_ground__in=MANDATORY_CLOSURE_GROUNDS)
            problem = profile_coverage(self.exemption_profile, self, allows="closed_11_5_2_remote", at=clock.now())
            if problem and mandatory.exists():
                cases = ", ".join(mandatory.values_list("case_number", flat=True))
                errors.setdefault("form", _("%(cases)s must be closed under § 11-5 (2), which a remote meeting cannot "
                                            "do without an exemption that covers it (§ 11-7 (3)): %(problem)s.")
                                  % {"cases": cases, "problem": problem})
        if errors:
            raise ValidationError(errors)

    def _exemption_profile_changed(self) -> bool:
        if self.pk is None:
            return True
        stored = Meeting.objects.filter(pk=self.pk).values_list("exemption_profile_id", flat=True).first()
        return stored != self.exemption_profile_id


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField()
    case_number = models.CharField(max_length=30, help_text='e.g. "PS 12/26"')
    title = models.CharField(max_length=300)
    # The public title, used while the doors are closed if the title itself would reveal exempt content.
    public_title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    recommendation = models.TextField(blank=True, help_text="Innstilling / proposed decision")
    planned_closure_ground = models.CharField(max_length=30, choices=ClosureGround.choices, blank=True)
    is_late = models.BooleanField(default=False, help_text="Added in the meeting under § 11-3 (5)")
    state = models.CharField(max_length=20, choices=ItemState.choices, default=ItemState.PENDING)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="one_item_per_position")]

    def __str__(self) -> str:
        return f"{self.case_number} {self.title}"

    @property
    def title_for_public(self) -> str:
        return self.public_title or self.title

    def clean(self) -> None:
        """Admin validation: the same agenda rules as `services.agenda.item_add`."""
        if not self.meeting_id:
            return
        meeting = self.meeting
        if self.pk is None and meeting.state != MeetingState.DRAFT:
            raise ValidationError(_(
                "The notice of this meeting is published, so the case list is public (§ 11-3). Add the case from the "
                "clerk's agenda page before the meeting opens (the change is logged), or in the meeting as a late item "
                "(§ 11-3 (5)), which the chair or a third of the members can object to."))
        if self.planned_closure_ground in MANDATORY_CLOSURE_GROUNDS and meeting.form == MeetingForm.REMOTE:
            problem = profile_coverage(meeting.exemption_profile, meeting, allows="closed_11_5_2_remote",
                                       at=clock.now())
            if problem:
                raise ValidationError({"planned_closure_ground": _(
                    "A case that must be closed under § 11-5 (2) cannot be handled in a remote meeting (kommuneloven "
                    "§ 11-7 (3)) without an exemption that covers it; move it to a physical meeting (%(problem)s).")
                    % {"problem": problem}})


class DocumentQuerySet(models.QuerySet):
    def public(self) -> DocumentQuerySet:
        """Documents the public may read (§ 11-3 (3)): one with an exemption basis is exempt even
        if it was left marked public."""
        return self.filter(public=True, exemption_basis="")


class Document(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    url = models.URLField(blank=True)
    text = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    exemption_basis = models.CharField(max_length=200, blank=True, help_text="e.g. offentleglova § 13")
    # An uploaded case paper (meetings/papers.py checks its type and size); stored through Django's
    # storage API, never served as a static file: meetings/papers.py decides who may read it.
    file = models.FileField(upload_to="papers/%Y/%m/", blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True, help_text="The name it was uploaded with")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title


class MeetingEvent(models.Model):
    """One entry of a meeting's append-only, hash-chained log. Only meetings.services.log writes it."""

    # Not stored: the previous public event's seq, set on an event as it is written or replayed so
    # that a public client can spot a gap (services/log.py, selectors.event_messages).
    prev_public_seq: int | None

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=50)
    at = models.DateTimeField()
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField(default=dict)
    # What the anonymous public may see of this event; null means nothing (member-only or closed doors).
    public_payload = models.JSONField(null=True, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="one_event_per_seq")]
        indexes = [models.Index(fields=["meeting", "seq"])]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.seq} {self.type}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("meeting events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("meeting events are append-only")


class WrittenBallotTally(models.Model):
    """The running totals of one written ballot, kept outside the log so that nothing links a member
    to a choice: the log records *that* each member voted (`vote.cast` without a choice), this row
    holds only counts per option, overwritten in place, and `vote.closed` carries the totals."""

    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="written_tallies")
    vote = models.PositiveIntegerField()
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "vote"], name="one_tally_per_vote")]

    def __str__(self) -> str:
        return f"{self.meeting_id} vote {self.vote} (written ballot)"


class ApiToken(models.Model):
    """A login for one device over the API and the member socket (`Authorization: Token <key>`).

    Only the SHA-256 digest of the key is stored: the key is shown once, when the owner logs in, and
    a copy of the database cannot be used to log in. The token stops working at `expires` or when
    its owner revokes it (services/tokens.py).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True, help_text="The device or client, named by its owner")
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} {self.label or self.pk}"
