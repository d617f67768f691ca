"""REST API (DRF): thin views over selectors (reads) and services/commands (writes)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate, user_logged_in
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import api_json, commands, selectors, visibility
from .api_schema import CommandSchema
from .exceptions import InvalidCredentials, NotFound, TooManyLoginAttempts
from .ids import MAX_ID, query_int
from .models import (
    AgendaItem,
    ApiToken,
    Body,
    Document,
    ExemptionProfile,
    Meeting,
    MeetingEvent,
    MeetingForm,
    Membership,
)
from .services import agenda, meetings, tokens


class BodySerializer(serializers.ModelSerializer):
    municipality = serializers.CharField(source="municipality.name")

    class Meta:
        model = Body
        fields = ["id", "name", "slug", "body_type", "seats", "municipality", "remote_allowed",
                  "remote_decision_ref", "remote_decision_date", "minutes_review_hours"]


class MembershipSerializer(serializers.ModelSerializer):
    person_id = serializers.IntegerField(source="person.id")
    name = serializers.CharField(source="person.name")
    party = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["person_id", "name", "role", "party", "deputy_rank"]

    def get_party(self, obj: Membership) -> str:
        return obj.party.short_name if obj.party else ""


@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}],
                      "description": "A link to the document, or empty when its text is in `text`."})
class LinkField(serializers.CharField):
    pass


class DocumentSerializer(serializers.ModelSerializer):
    url = LinkField(read_only=True)
    file = serializers.SerializerMethodField(help_text="Where an uploaded case paper is read (null when none)")

    class Meta:
        model = Document
        fields = ["id", "title", "url", "text", "public", "exemption_basis", "file", "file_name", "content_type",
                  "size", "sha256"]

    def get_file(self, obj: Document) -> str | None:
        return f"/meetings/{obj.item.meeting_id}/papers/{obj.id}/" if obj.file else None


class ItemSerializer(serializers.ModelSerializer):
    """An agenda item; for the public (context internal=False) as `visibility.item_public` gives it.

    An item planned for closed doors, handled behind them, or added while they are closed keeps its
    case number, public title and public documents in public (§ 11-3: the notice names every case),
    but not its description or recommendation (`content_withheld` says so).
    """

    documents = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()
    content_withheld = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = ["id", "order", "case_number", "title", "description", "recommendation", "planned_closure_ground",
                  "is_late", "state", "documents", "content_withheld"]

    def _internal(self) -> bool:
        return bool(self.context.get("internal"))

    def _public(self, obj: AgendaItem) -> dict[str, Any]:
        """The item as the visibility policy lets the public see it (meetings/visibility.py)."""
        # Cached per response: one log query for the whole agenda, not one per item.
        withheld = self.context.setdefault("withheld_items", {})
        if obj.meeting_id not in withheld:
            withheld[obj.meeting_id] = selectors.items_withheld(meeting_id=obj.meeting_id)
        return visibility.item_public(obj, withheld=withheld[obj.meeting_id])

    def get_content_withheld(self, obj: AgendaItem) -> bool:
        return False if self._internal() else self._public(obj)["content_withheld"]

    def get_title(self, obj: AgendaItem) -> str:
        return obj.title if self._internal() else self._public(obj)["title"]

    def get_description(self, obj: AgendaItem) -> str:
        return obj.description if self._internal() else self._public(obj)["description"]

    def get_recommendation(self, obj: AgendaItem) -> str:
        return obj.recommendation if self._internal() else self._public(obj)["recommendation"]

    def get_documents(self, obj: AgendaItem) -> list[dict[str, Any]]:
        docs = obj.documents.all() if self._internal() else visibility.public_documents(obj)
        return cast("list[dict[str, Any]]", DocumentSerializer(docs, many=True).data)


class MeetingSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.name")
    body_id = serializers.IntegerField()
    chair = serializers.CharField(source="chair.name", default=None)

    class Meta:
        model = Meeting
        fields = ["id", "title", "body", "body_id", "scheduled_start", "location", "form", "state", "chair",
                  "notice_published_at", "last_seq"]


class MeetingDetailSerializer(MeetingSerializer):
    items = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = MeetingSerializer.Meta.fields + ["notice_text", "items"]

    def get_items(self, obj: Meeting) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", ItemSerializer(obj.items.all(), many=True, context=self.context).data)


class EventSerializer(serializers.ModelSerializer):
    """One event of the log. The public get `seq`, `type`, `at` and the public `payload` only
    (meetings/visibility.py); `actor` and the hash chain are the members' (a digest over a closed
    event's payload would let anyone test guesses at it)."""

    class Meta:
        model = MeetingEvent
        fields = ["seq", "type", "at", "actor", "payload", "prev_digest", "digest"]
        members_only = {"help_text": "Members of the body only; absent for the public.", "required": False}
        extra_kwargs = {"actor": members_only, "prev_digest": members_only, "digest": members_only}


class Pages(LimitOffsetPagination):
    """`?limit=&offset=` pages, `{"count", "next", "previous", "results"}`, for every list.

    Both are read by `ids.query_int` like every other integer parameter (DRF reads "abc", "null" or
    "-5" as "no limit given"); the schema says what is taken."""

    default_limit = 100
    max_limit = 500

    def get_limit(self, request: Request) -> int:
        return query_int(request.query_params, self.limit_query_param, default=self.default_limit, minimum=1,
                         cap=self.max_limit)

    def get_offset(self, request: Request) -> int:
        return query_int(request.query_params, self.offset_query_param, default=0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.limit_query_param, "required": False, "in": "query",
             "description": f"Results per page (default {self.default_limit}; a larger number than "
                            f"{self.max_limit} is read as {self.max_limit}).",
             "schema": {"type": "integer", "minimum": 1}},
            {"name": self.offset_query_param, "required": False, "in": "query",
             "description": "How many results to skip.",
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}},
        ]


class BodyList(generics.ListAPIView):
    queryset = Body.objects.select_related("municipality").order_by("name")
    serializer_class = BodySerializer
    pagination_class = Pages


class BodyDetail(generics.RetrieveAPIView):
    queryset = Body.objects.select_related("municipality")
    serializer_class = BodySerializer


class BodyMembers(generics.GenericAPIView):
    serializer_class = MembershipSerializer
    pagination_class = Pages

    # Also asked by the browsable API's page (its filter form), which fails without it.
    def get_queryset(self) -> QuerySet[Membership]:
        pk = self.kwargs["pk"]
        body = Body.objects.filter(pk=pk).first()
        if body is None:
            raise NotFound("body %(pk)s does not exist", params={"pk": pk})
        return selectors.body_members(body=body)

    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)


class MeetingList(generics.GenericAPIView):
    serializer_class = MeetingSerializer
    pagination_class = Pages

    class MeetingListInput(serializers.Serializer):
        body_id = commands.id_field()
        title = serializers.CharField(max_length=300)
        scheduled_start = serializers.DateTimeField()
        form = serializers.ChoiceField(choices=MeetingForm.choices, default=MeetingForm.REMOTE)
        location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        speaking_time_seconds = serializers.IntegerField(min_value=10, max_value=3600, default=180)

    # Also asked by the browsable API's page (its filter form), which fails without it.
    def get_queryset(self) -> QuerySet[Meeting]:
        params = self.request.query_params
        body_id = query_int(params, "body", default=0, minimum=1) if "body" in params else None
        return selectors.meeting_list(user=self.request.user, body_id=body_id)

    @extend_schema(parameters=[OpenApiParameter("body", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                                description="Only this body's meetings.")],
                   responses=MeetingSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MeetingSerializer(page, many=True).data)

    @extend_schema(request=MeetingListInput, responses={201: MeetingSerializer})
    def post(self, request: Request) -> Response:
        data = commands.validate(self.MeetingListInput, request.data)
        meeting = meetings.meeting_create(user=request.user, **data)
        return Response(MeetingSerializer(meeting).data, status=201)


class MeetingDetail(APIView):
    @extend_schema(responses=MeetingDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        internal = selectors.is_participant(user=request.user, meeting=meeting)
        return Response(MeetingDetailSerializer(meeting, context={"internal": internal}).data)


class MeetingNotice(APIView):
    """§ 11-3: the public notice with its case list and public documents."""

    @extend_schema(responses=MeetingDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        if meeting.notice_published_at is None:
            raise NotFound("the notice for this meeting is not published yet", code="notice_not_published")
        return Response(MeetingDetailSerializer(meeting, context={"internal": False}).data)


class PublishNotice(APIView):
    class PublishNoticeInput(serializers.Serializer):
        notice_text = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")

    @extend_schema(request=PublishNoticeInput, responses=MeetingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.PublishNoticeInput, request.data)
        return Response(MeetingSerializer(meetings.meeting_publish_notice(user=request.user, meeting_id=pk,
                                                                           **data)).data)


class MeetingItems(APIView):
    class MeetingItemsInput(serializers.Serializer):
        case_number = serializers.CharField(max_length=30)
        title = serializers.CharField(max_length=300)
        public_title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        description = serializers.CharField(max_length=50000, required=False, allow_blank=True, default="")
        recommendation = serializers.CharField(max_length=50000, required=False, allow_blank=True, default="")
        planned_closure_ground = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    @extend_schema(responses=ItemSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        internal = selectors.is_participant(user=request.user, meeting=meeting)
        return Response(ItemSerializer(meeting.items.all(), many=True, context={"internal": internal}).data)

    @extend_schema(request=MeetingItemsInput, responses={201: ItemSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.MeetingItemsInput, request.data)
        item = agenda.item_add(user=request.user, meeting_id=pk, **data)
        return Response(ItemSerializer(item, context={"internal": True}).data, status=201)


class ItemDetail(APIView):
    """The clerk's agenda work on one item (meetings/services/agenda.py): before the notice a change or
    deletion leaves no trace; after it a change to what the notice shows is `item.corrected`, and a
    deletion postpones the case (`item.postponed`); once the meeting opens, `agenda_in_meeting`."""

    class ItemEditInput(serializers.Serializer):
        case_number = serializers.CharField(max_length=30, required=False)
        title = serializers.CharField(max_length=300, required=False)
        public_title = serializers.CharField(max_length=300, required=False, allow_blank=True)
        description = serializers.CharField(max_length=50000, required=False, allow_blank=True)
        recommendation = serializers.CharField(max_length=50000, required=False, allow_blank=True)
        planned_closure_ground = serializers.CharField(max_length=30, required=False, allow_blank=True)

    class ItemRemoveInput(serializers.Serializer):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(request=ItemEditInput, responses=ItemSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ItemEditInput, request.data)
        item = _item_for_clerk(request, pk)
        fields = {f: getattr(item, f) for f in ("case_number", "title", "public_title", "description",
                                                 "recommendation", "planned_closure_ground")}
        item = agenda.item_edit(user=request.user, item_id=pk, **(fields | data))
        return Response(ItemSerializer(item, context={"internal": True}).data)

    @extend_schema(request=ItemRemoveInput, responses={200: ItemSerializer, 204: None})
    def delete(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ItemRemoveInput, request.data or {})
        _item_for_clerk(request, pk)
        item = agenda.item_remove(user=request.user, item_id=pk, **data)
        if item is None:
            return Response(status=204)
        return Response(ItemSerializer(item, context={"internal": True}).data)


class ItemMove(APIView):
    class ItemMoveInput(serializers.Serializer):
        by = serializers.ChoiceField(choices=[-1, 1], help_text="-1: one place up, 1: one place down.")

    @extend_schema(request=ItemMoveInput, responses=ItemSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ItemMoveInput, request.data)
        _item_for_clerk(request, pk)
        item = agenda.item_move(user=request.user, item_id=pk, by=int(data["by"]))
        return Response(ItemSerializer(item, context={"internal": True}).data)


def _item_for_clerk(request: Request, pk: int) -> AgendaItem:
    """The item, if the caller may see its meeting (404 otherwise, as for any meeting they may not see)."""
    item = AgendaItem.objects.select_related("meeting").filter(id=pk).first()
    if item is None:
        raise NotFound("agenda item %(item_id)s does not exist", params={"item_id": pk})
    selectors.meeting_get(user=request.user, meeting_id=item.meeting_id)
    return item


class MeetingLocation(APIView):
    class MeetingLocationInput(serializers.Serializer):
        location = serializers.CharField(max_length=300, allow_blank=True)

    @extend_schema(request=MeetingLocationInput, responses=MeetingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.MeetingLocationInput, request.data)
        return Response(MeetingSerializer(meetings.meeting_set_location(user=request.user, meeting_id=pk,
                                                                         **data)).data)


class ItemDocuments(APIView):
    class ItemDocumentsInput(serializers.Serializer):
        title = serializers.CharField(max_length=300)
        url = serializers.URLField(required=False, allow_blank=True, default="")
        text = serializers.CharField(max_length=200000, required=False, allow_blank=True, default="")
        public = serializers.BooleanField(default=True)
        exemption_basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(request=ItemDocumentsInput, responses={201: DocumentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ItemDocumentsInput, request.data)
        return Response(DocumentSerializer(agenda.document_add(user=request.user, item_id=pk, **data)).data,
                        status=201)


class MeetingEvents(APIView):
    """The meeting log, in order, after `?after=<seq>`: full for members of the body, public form otherwise."""

    @extend_schema(parameters=[OpenApiParameter("after", {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                                                description="Events after this seq (default 0: from the start)."),
                               OpenApiParameter("limit", {"type": "integer", "minimum": 1},
                                                description="Events per page (default 500; a larger number than "
                                                            "2000 is read as 2000).")],
                   responses=inline_serializer("EventPage", {"results": EventSerializer(many=True),
                                                             "next_after": serializers.IntegerField(),
                                                             "has_more": serializers.BooleanField()}))
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        after = query_int(request.query_params, "after", default=0)
        limit = query_int(request.query_params, "limit", default=500, minimum=1, cap=2000)
        qs, full = selectors.event_list(user=request.user, meeting=meeting, after=after)
        page = list(qs[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        results: list[dict[str, Any]]
        if full:
            results = cast("list[dict[str, Any]]", EventSerializer(page, many=True).data)
        else:
            results = [{"seq": e.seq, "type": e.type, "at": e.at.isoformat(), "payload": e.public_payload}
                       for e in page]
        return Response({"results": results, "next_after": page[-1].seq if page else after, "has_more": has_more})


class MeetingState(APIView):
    @extend_schema(responses=inline_serializer("LiveState", {"seq": serializers.IntegerField(),
                                                            "state": serializers.DictField()}))
    def get(self, request: Request, pk: int) -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        if not selectors.is_participant(user=request.user, meeting=meeting):
            from .exceptions import PermissionDenied
            raise PermissionDenied("the full live state is for members; the public state is at "
                                   "/public/meetings/<id>/state.json")
        # The same document as the member socket's `state`: with the caller's own `allowed` commands.
        person = selectors.person_for(request.user)
        if person is None:  # staff without a person in the register
            return Response({"seq": meeting.last_seq, "state": {**meeting.live_state, "allowed": []}})
        seq, state = selectors.member_live_state(meeting_id=meeting.id, person_id=person.id)
        return Response({"seq": seq, "state": state})


class MeetingAction(APIView):
    """Run one meeting command (the same table as the WebSocket protocol, docs/protocol.md).

    One URL per command (meetings/urls.py), so that the schema gives each its own payload."""

    command = ""
    schema = CommandSchema()

    def post(self, request: Request, pk: int, command: str = "") -> Response:
        meeting = selectors.meeting_get(user=request.user, meeting_id=pk)
        done = commands.execute(name=command or self.command, user=request.user, meeting_id=meeting.id,
                                payload=request.data)
        return Response({"result": done.result, "seq": done.seq})


@extend_schema(exclude=True)
class UnknownMeetingAction(MeetingAction):
    """Any other name under actions/ (commands.execute answers `unknown_type`): no operation of the API."""


class ApplyExemption(APIView):
    class ApplyExemptionInput(serializers.Serializer):
        profile_id = commands.id_field()

    @extend_schema(request=ApplyExemptionInput, responses=MeetingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = commands.validate(self.ApplyExemptionInput, request.data)
        return Response(MeetingSerializer(meetings.meeting_apply_exemption(user=request.user, meeting_id=pk,
                                                                            **data)).data)


class ExemptionProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExemptionProfile
        fields = ["id", "instrument", "title", "valid_from", "valid_to", "enabled", "allows_audio_only",
                  "allows_no_public_stream", "allows_closed_11_5_2_remote"]


class ExemptionProfileList(generics.ListAPIView):
    queryset = ExemptionProfile.objects.order_by("valid_from")
    serializer_class = ExemptionProfileSerializer
    pagination_class = Pages


class CommandList(APIView):
    """The meeting commands and what each does (for clients and for the docs)."""

    @extend_schema(responses=inline_serializer("Commands", {"commands": serializers.DictField()}))
    def get(self, request: Request) -> Response:
        return Response({"commands": {name: c.doc for name, c in commands.COMMANDS.items()}})


class ApiRoot(APIView):
    """`/api/`: where to start (the collections, the schema and the browsable docs)."""

    permission_classes = [permissions.AllowAny]

    NAMES = ("bodies", "meetings", "exemption-profiles", "commands", "schema", "docs")

    @extend_schema(responses=inline_serializer("ApiRoot", {name.replace("-", "_"): serializers.URLField()
                                                           for name in NAMES}))
    def get(self, request: Request) -> Response:
        names = self.NAMES
        return Response({name.replace("-", "_"): request.build_absolute_uri(reverse(f"api-{name}")) for name in names})


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "label", "created", "expires", "last_used"]


class OwnTokenSerializer(TokenSerializer):
    """A token in its owner's list; `current`: the request was made with it."""

    current = serializers.SerializerMethodField()

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "current"]

    def get_current(self, obj: ApiToken) -> bool:
        return obj.id == self.context.get("current")


class TokenObtain(APIView):
    """Log in with username and password: a new token for this device, valid for API_TOKEN_TTL_HOURS.

    AXES_FAILURE_LIMIT failures in a row lock the username out from this address with a 429, even for
    the right password, until AXES_COOLOFF_MINUTES have passed; a successful login resets the count.
    """

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    # A login form may post form fields as well as JSON; the JSON is read by the bounded parser.
    parser_classes = [api_json.JSONBodyParser, FormParser, MultiPartParser]

    class TokenObtainInput(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        # A declared field is taken out of the class by DRF's metaclass; the stubs see Field.label.
        label = serializers.CharField(  # type: ignore[assignment]
            max_length=tokens.LABEL_MAX_LENGTH, required=False, allow_blank=True)

    class TokenObtainOutput(TokenSerializer):
        token = serializers.CharField()

        class Meta(TokenSerializer.Meta):
            fields = ["token", *TokenSerializer.Meta.fields]

    @extend_schema(request=TokenObtainInput, responses={200: TokenObtainOutput})
    def post(self, request: Request) -> Response:
        data = commands.validate(self.TokenObtainInput, request.data)
        # axes' backend (first in AUTHENTICATION_BACKENDS) refuses a locked-out login before the password
        # is checked, counts each failure, and flags the request it was given when the limit is reached.
        user = authenticate(request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            raise TooManyLoginAttempts()
        if user is None:
            raise InvalidCredentials(_("Wrong username or password."))
        # As a session login does: the failure count is reset and last_login set.
        user_logged_in.send(sender=type(user), request=request, user=user)
        label = data.get("label") or request.headers.get("User-Agent", "")
        token, key = tokens.token_create(user=user, label=label)
        return Response({"token": key, **TokenSerializer(token).data})


class TokenList(APIView):
    """The caller's own tokens that still work (never their keys); DELETE revokes them all."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OwnTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        current = request.auth.id if isinstance(request.auth, ApiToken) else None
        return Response(OwnTokenSerializer(selectors.token_list(user=request.user), many=True,
                                           context={"current": current}).data)

    @extend_schema(operation_id="auth_tokens_revoke_all", request=None,
                   responses={200: inline_serializer("Revoked", {"revoked": serializers.IntegerField()})})
    def delete(self, request: Request) -> Response:
        return Response({"revoked": tokens.token_revoke_all(user=request.user)})


class TokenDetail(APIView):
    """Revoke one of the caller's own tokens (a lost device, or logging this one out)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="auth_tokens_revoke", request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        tokens.token_revoke(user=request.user, token_id=pk)
        return Response(status=204)
