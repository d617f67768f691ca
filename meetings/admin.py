"""Django admin for clerks: bodies, people, memberships, meetings and agendas. The log is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    AgendaItem,
    Body,
    Document,
    ExemptionProfile,
    Meeting,
    MeetingEvent,
    Membership,
    Municipality,
    Party,
    Person,
)
from .state import MeetingState


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["name", "body_type", "seats", "remote_allowed", "remote_decision_ref"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "party", "user"]
    search_fields = ["name"]


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["case_number", "title", "meeting", "state", "planned_closure_ground"]
    list_filter = ["meeting__body"]
    inlines = [DocumentInline]
    readonly_fields = ["state"]

    # Once the notice is out, the case list is public and changes only through the clerk's pages,
    # which log each change (item.corrected, item.postponed, agenda.reordered); the admin only shows.
    def has_change_permission(self, request: Any, obj: AgendaItem | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.meeting.state == MeetingState.DRAFT)

    def has_delete_permission(self, request: Any, obj: AgendaItem | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.meeting.state == MeetingState.DRAFT)


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 0
    fields = ["order", "case_number", "title", "public_title", "description", "recommendation",
              "planned_closure_ground"]

    # obj is the meeting: after its notice the inline only shows (see AgendaItemAdmin).
    def has_add_permission(self, request: Any, obj: Meeting | None = None) -> bool:
        return super().has_add_permission(request, obj) and (obj is None or obj.state == MeetingState.DRAFT)

    def has_change_permission(self, request: Any, obj: Meeting | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.state == MeetingState.DRAFT)

    def has_delete_permission(self, request: Any, obj: Meeting | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.state == MeetingState.DRAFT)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "body", "scheduled_start", "form", "state"]
    list_filter = ["body", "state", "form"]
    inlines = [AgendaItemInline]
    # State, log position and live state change only through the services.
    readonly_fields = ["state", "live_state", "last_seq", "last_digest", "notice_published_at"]

    def get_readonly_fields(self, request: Any, obj: Meeting | None = None) -> list[str]:
        # Once the notice is out, applying an exemption is a logged act (POST /api/meetings/<id>/exemption/).
        # What the notice says (body, title, time, place, form) changes only through logged services.
        if obj is not None and obj.state != MeetingState.DRAFT:
            return [*self.readonly_fields, "exemption_profile", "body", "title", "scheduled_start", "location",
                    "form"]
        return list(self.readonly_fields)


@admin.register(MeetingEvent)
class MeetingEventAdmin(admin.ModelAdmin):
    list_display = ["meeting", "seq", "type", "at", "actor"]
    list_filter = ["type"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


admin.site.register(Municipality)
admin.site.register(Party)
admin.site.register(Membership)
admin.site.register(ExemptionProfile)
admin.site.site_header = "Møteplattform – administrasjon"
