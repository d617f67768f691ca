"""The demo council created by `manage.py seed_demo`: a realistic Norwegian municipality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .legal import ClosureGround
from .models import Body, ExemptionProfile, Meeting, Membership, Municipality, Party, Person, Role
from .services import agenda, meetings

MUNICIPALITY = "Fjordvik kommune"
PASSWORD = "demo1234"

PARTIES = [("Arbeiderpartiet", "Ap", 8), ("Høyre", "H", 6), ("Senterpartiet", "Sp", 4),
           ("Fremskrittspartiet", "FrP", 3), ("Sosialistisk Venstreparti", "SV", 2), ("Kristelig Folkeparti", "KrF", 1),
           ("Venstre", "V", 1)]  # 25 seats

FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Solveig", "Per", "Astrid", "Knut", "Marit", "Bjørn", "Anne", "Terje",
         "Hilde", "Geir", "Liv", "Tor", "Randi", "Svein", "Berit", "Arne", "Nina", "Jon", "Sigrid", "Espen", "Tone",
         "Magnus", "Eli", "Håkon", "Ragnhild", "Trond", "Ida", "Even", "Kristin", "Øystein", "Guro", "Rune"]
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
        "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl",
        "Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Strand", "Solberg", "Bakken", "Moen", "Lie",
        "Aas", "Nygård", "Ruud", "Myhre", "Holm", "Fjeld"]

AGENDA = [
    ("PS 41/26", "Godkjenning av innkalling og saksliste", "", "Innkalling og saksliste godkjennes."),
    ("PS 42/26", "Økonomirapport 2. tertial 2026", "", "Økonomirapporten for 2. tertial tas til orientering."),
    ("PS 43/26", "Reguleringsplan for Fjordvik sentrum, 2. gangs behandling", "",
     "Reguleringsplan for Fjordvik sentrum vedtas slik den foreligger."),
    ("PS 44/26", "Ny barnehage på Nordsida – investeringsvedtak", "",
     "Det bevilges 48 mill. kr til ny barnehage på Nordsida."),
    ("PS 45/26", "Søknad om skjenkebevilling – enkeltsak", ClosureGround.PRIVACY,
     "Søknaden innvilges på vilkår fastsatt av rådmannen."),
    ("PS 46/26", "Valg av medlem til kontrollutvalget", "", ""),
]


@dataclass
class DemoLogin:
    username: str
    name: str
    role: str


_hash: list[str] = []


def _password_hash() -> str:
    # One hash for every demo login: hashing is deliberately slow, and they share a password.
    if not _hash:
        _hash.append(make_password(PASSWORD))
    return _hash[0]


def _user(username: str, name: str, party: Party | None, *, staff: bool = False) -> Person:
    User = get_user_model()
    # Addresses in a reserved domain (RFC 2606): the notices and summonses have somewhere to go.
    user, created = User.objects.get_or_create(username=username, defaults={
        "is_staff": staff, "email": f"{username}@example.org"})
    if created:
        user.password = _password_hash()
        user.save()
    person, _ = Person.objects.get_or_create(user=user, defaults={"name": name, "party": party})
    return person


def covid_profiles() -> None:
    """The pandemic relaxations, as history: dated, disabled, refused outside their window (LAW.md (b))."""
    for instrument, title, start, end, audio, no_public, closed in [
        ("FOR-2020-03-13-277", "Midlertidig forskrift om gjennomføring av fjernmøter (covid-19)",
         dt.date(2020, 3, 13), dt.date(2020, 8, 1), True, True, True),
        ("LOV-2020-11-06-126", "Midlertidig lov om unntak fra kommuneloven (lukkede fjernmøter)",
         dt.date(2020, 11, 6), dt.date(2021, 6, 1), False, False, True),
        ("FOR-2021-12-10-3483", "Midlertidig forskrift om lukket møte som fjernmøte",
         dt.date(2021, 12, 10), dt.date(2022, 5, 1), False, False, True),
    ]:
        ExemptionProfile.objects.get_or_create(instrument=instrument, defaults={
            "title": title, "valid_from": start, "valid_to": end, "enabled": False, "allows_audio_only": audio,
            "allows_no_public_stream": no_public, "allows_closed_11_5_2_remote": closed})


@transaction.atomic
def seed() -> tuple[Meeting, list[DemoLogin]]:
    """Create the demo council (idempotent) and return today's meeting and the demo logins."""
    muni, _ = Municipality.objects.get_or_create(name=MUNICIPALITY, defaults={"number": "4699"})
    covid_profiles()
    council, _ = Body.objects.get_or_create(slug="kommunestyret", defaults={
        "municipality": muni, "name": "Kommunestyret", "body_type": "kommunestyre", "seats": 25,
        "remote_allowed": True, "remote_decision_ref": "PS 12/24", "remote_decision_date": dt.date(2024, 2, 15)})
    exec_body, _ = Body.objects.get_or_create(slug="formannskapet", defaults={
        "municipality": muni, "name": "Formannskapet", "body_type": "formannskap", "seats": 7,
        "remote_allowed": True, "remote_decision_ref": "PS 12/24", "remote_decision_date": dt.date(2024, 2, 15)})
    logins: list[DemoLogin] = []
    names = iter((FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]) for i in range(10_000))
    used = set(Person.objects.values_list("name", flat=True))
    seat = 0
    for party_name, short, seats in PARTIES:
        party, _ = Party.objects.get_or_create(short_name=short, defaults={"name": party_name})
        for _ in range(seats):
            seat += 1
            first, last = next(names)
            name = f"{first} {last}"
            username = "ordforer" if seat == 1 else "varaordforer" if seat == 9 else f"medlem{seat:02d}"
            person = _user(username, name, party)
            used.add(name)
            role = Role.CHAIR if seat == 1 else Role.DEPUTY_CHAIR if seat == 9 else Role.MEMBER
            Membership.objects.get_or_create(body=council, person=person, defaults={"role": role, "party": party})
            if seat <= 7:
                Membership.objects.get_or_create(body=exec_body, person=person, defaults={
                    "role": Role.CHAIR if seat == 1 else Role.MEMBER, "party": party})
            logins.append(DemoLogin(username, person.name, role.label))
        for rank in range(1, 3):
            first, last = next(names)
            person = _user(f"vara-{short.lower()}{rank}", f"{first} {last}", party)
            Membership.objects.get_or_create(body=council, person=person, defaults={
                "role": Role.DEPUTY, "party": party, "deputy_rank": rank})
            logins.append(DemoLogin(f"vara-{short.lower()}{rank}", person.name, f"Varamedlem {short} nr. {rank}"))
    clerk = _user("sekretar", "Marte Sekretær", None, staff=True)
    for body in (council, exec_body):
        Membership.objects.get_or_create(body=body, person=clerk, defaults={"role": Role.CLERK})
    logins.append(DemoLogin("sekretar", clerk.name, "Sekretær (også Django admin)"))
    clerk_user = clerk.user
    if clerk_user and not clerk_user.is_superuser:
        clerk_user.is_staff = True
        clerk_user.is_superuser = True  # the demo clerk may use every admin page
        clerk_user.save()

    today = timezone.localdate()
    meeting = Meeting.objects.filter(body=council, scheduled_start__date=today,
                                     title__startswith="Kommunestyremøte").first()
    if meeting is None:
        start = timezone.make_aware(dt.datetime.combine(today, dt.time(18, 0)))
        meeting = meetings.meeting_create(user=clerk_user, body_id=council.id,
                                          title=f"Kommunestyremøte {today:%d.%m.%Y}",
                                          scheduled_start=start, form="remote")
        for case, title, ground, recommendation in AGENDA:
            agenda.item_add(user=clerk_user, meeting_id=meeting.id, case_number=case, title=title,
                            planned_closure_ground=ground, recommendation=recommendation,
                            public_title="Søknad om skjenkebevilling (unntatt offentlighet)" if ground else "",
                            description=f"Saksframlegg for {case}.")
        item = meeting.items.get(case_number="PS 43/26")
        agenda.document_add(user=clerk_user, item_id=item.id, title="Planbeskrivelse", text="Planbeskrivelse ...")
        closed = meeting.items.get(case_number="PS 45/26")
        agenda.document_add(user=clerk_user, item_id=closed.id, title="Politiattest for søker", public=False,
                            exemption_basis="offentleglova § 13, jf. forvaltningsloven § 13", text="(unntatt)")
        meetings.meeting_publish_notice(user=clerk_user, meeting_id=meeting.id,
                                        notice_text="Kommunestyret innkalles til fjernmøte. Møtet strømmes direkte.")
    return Meeting.objects.get(id=meeting.id), logins
