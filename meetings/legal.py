"""Legal grounds and rule constants from kommuneloven (LOV-2018-06-22-83), in one place.

Every constant names the provision it comes from so that the minutes can quote it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy


class ClosureGround(models.TextChoices):
    # § 11-5 (2): mandatory closure. Not allowed in a remote meeting (§ 11-7 (3)).
    EMPLOYEE_MATTER = "11-5-2-employee", "kommuneloven § 11-5 andre ledd (arbeidstakers tjenstlige forhold)"
    CONFIDENTIALITY = "11-5-2-confidential", "kommuneloven § 11-5 andre ledd (lovbestemt taushetsplikt)"
    # § 11-5 (3): optional closure.
    PRIVACY = "11-5-3-a", "kommuneloven § 11-5 tredje ledd bokstav a (personvern)"
    PUBLIC_INTEREST = "11-5-3-b", "kommuneloven § 11-5 tredje ledd bokstav b (tungtveiende offentlige interesser)"


MANDATORY_CLOSURE_GROUNDS = {ClosureGround.EMPLOYEE_MATTER, ClosureGround.CONFIDENTIALITY}
OPTIONAL_CLOSURE_GROUNDS = {ClosureGround.PRIVACY, ClosureGround.PUBLIC_INTEREST}

# The grounds in words, as every output says them (vote titles, decisions, the public page and slate, the
# minutes, the feeds): one gettext message per ground, English msgids, translations in locale/<lang>. The
# TextChoices labels above stay bokmål because the migrations hold them; say a ground through these.
_GROUND_WORDS = {
    ClosureGround.EMPLOYEE_MATTER: gettext_lazy("Local Government Act § 11-5 (2) (an employee's service matters)"),
    ClosureGround.CONFIDENTIALITY: gettext_lazy("Local Government Act § 11-5 (2) (statutory confidentiality)"),
    ClosureGround.PRIVACY: gettext_lazy("Local Government Act § 11-5 (3) a (privacy)"),
    ClosureGround.PUBLIC_INTEREST: gettext_lazy("Local Government Act § 11-5 (3) b (weighty public interests)"),
}


def ground_words(ground: str | None) -> str:
    """A closure ground in words, in the active language; an unknown code is shown as it is."""
    try:
        return str(_GROUND_WORDS[ClosureGround(ground or "")])
    except ValueError:
        return ground or ""


def in_languages(text: Callable[[], str]) -> dict[str, str]:
    """One text in every language of settings.LANGUAGES ({"nb": ..., "nn": ..., "en": ...}), for facts the
    server states once for readers in any language (the public document, a vote's quorum in words)."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = text()
    return out


def in_meeting_language(text: Callable[[], str]) -> str:
    """A text written into the meeting's record (a vote's title, a decision): in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return text()


class VoteKind(models.TextChoices):
    ORDINARY = "ordinary", "Vedtak"
    ELECTION = "election", "Valg"
    APPOINTMENT = "appointment", "Ansettelse"
    CLOSURE = "closure", "Lukking av møtet (§ 11-5 femte ledd)"
    BUDGET = "budget", "Årsbudsjett / økonomiplan (§ 11-9 tredje ledd)"


# § 8-1 (2): blank votes only in elections and appointments.
BLANK_ALLOWED = {VoteKind.ELECTION, VoteKind.APPOINTMENT}
# § 11-9 (2): the chair's vote decides a tie, except in elections.
CASTING_VOTE_KINDS = {VoteKind.ORDINARY, VoteKind.APPOINTMENT, VoteKind.CLOSURE}

FOR = "for"
AGAINST = "against"
BLANK = "blank"
WRITTEN = "written"  # what the log holds for a written ballot's choice: nothing (see votes.py)

# Elections by majority (flertallsvalg) and appointments (ansettelser). The statute's words are in
# docs/law/elections-and-appointments.md.
# § 7-8: «Ved flertallsvalg er den personen valgt som har fått mer enn halvparten av de avgitte
# stemmene. Hvis ingen får mer enn halvparten av stemmene, holdes en ny avstemning. Den som får flest
# stemmer ved den nye avstemningen, blir valgt. Hvis to eller flere kandidater får like mange
# stemmer, avgjøres valget ved loddtrekning.»
# § 11-9 (2): a decision needs the majority of the votes cast; «I andre saker enn de som gjelder valg,
# er møtelederens stemme avgjørende» on a tie, so in an appointment the chair decides the tie of the
# new vote. The statute is silent on a new round for appointments; the platform holds it as § 7-8
# does (as the 1992 act § 38 did, KMD letter 2014, case 14/6300).
# Blank ballots: § 8-1 (2) allows them in elections and appointments. The statute does not say
# whether they are «avgitte stemmer»; the platform does not count them for the majority (a blank
# ballot supports nobody) but counts the member as having voted for the quorum (§ 11-9 (1)
# «avgitt stemme») and for the duty to vote (§ 8-1 (2)).
ROUND_KINDS = {VoteKind.ELECTION, VoteKind.APPOINTMENT}
ELECTION_RULE = "kommuneloven § 7-8"
APPOINTMENT_RULE = "kommuneloven § 11-9 andre ledd"

# Written (secret) ballots. Kommuneloven 2018 has no rule on them: the 1992 act's § 35 nr. 5 («Ved valg
# og ansettelse kan hvert enkelt medlem kreve skriftlig avstemning») was not carried over, and the
# ministry (KMD to Ulstein kommune, 27 Sept 2019) has said the ordfører and varaordfører elections
# cannot be held in writing. So the platform holds one on one member's demand only in an election or
# an appointment, only where the body's own rules of procedure (§ 11-12) provide for it
# (`Body.written_ballot_basis`), and never for ordfører or varaordfører.
OFFICES_NEVER_WRITTEN = {"ordforer": "ordfører", "varaordforer": "varaordfører"}
WRITTEN_BALLOT_MINISTRY = "KMD 27. september 2019 (brev til Ulstein kommune)"


def quorum_threshold(seats: int) -> int:
    """§ 11-9 (1): at least half of the members present through the debate and voting."""
    return math.ceil(seats / 2)


def late_item_blocked(*, chair_objects: bool, objectors: int, present_members: int) -> bool:
    """§ 11-3 (5): an unlisted case is decided unless the chair or 1/3 of those present object."""
    return chair_objects or (present_members > 0 and objectors * 3 >= present_members)


@dataclass(frozen=True)
class RuleSet:
    """Which rules of kommuneloven chapter 11 bind one type of body (§ 11-1).

    Services look the set up once (`rules_for(body_type)`) and ask it; no service tests a body
    type itself. `title` goes into every vote result so the minutes can say which rules applied.
    """

    key: str
    title: str
    own_remote_decision: bool  # § 11-7 (1): the council may decide its own remote meetings itself
    quorum_rule: bool  # § 11-9 (1)
    casting_vote: bool  # § 11-9 (2)
    vote_kinds: frozenset[str]

    def allows_vote(self, kind: str) -> bool:
        return kind in self.vote_kinds

    def quorum_required(self, seats: int) -> int:
        """§ 11-9 (1) where it binds the body; where it does not (§ 11-1), the platform sets none."""
        return quorum_threshold(seats) if self.quorum_rule else 0

    def summary(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "quorum_rule": self.quorum_rule,
                "casting_vote": self.casting_vote}


_ORDINARY_KINDS = frozenset({VoteKind.ORDINARY, VoteKind.ELECTION, VoteKind.APPOINTMENT, VoteKind.CLOSURE})

GENERAL_RULES = RuleSet(
    key="chapter-11", title="kommuneloven kapittel 11", own_remote_decision=False, quorum_rule=True,
    casting_vote=True, vote_kinds=_ORDINARY_KINDS)
# § 11-9 (3): only the council adopts the annual budget and the financial plan.
COUNCIL_RULES = RuleSet(
    key="council", title="kommuneloven kapittel 11 (kommunestyret / fylkestinget)", own_remote_decision=True,
    quorum_rule=True, casting_vote=True, vote_kinds=_ORDINARY_KINDS | {VoteKind.BUDGET})
# § 11-1: the board of a municipal enterprise is bound only by § 11-3 (2)-(3), §§ 11-4 to 11-7, 11-10
# and 11-11, so quorum and ties (§ 11-9) follow the enterprise's own regulations, not the platform.
ENTERPRISE_BOARD_RULES = RuleSet(
    key="enterprise-board",
    title="kommuneloven § 11-1: styret i kommunalt foretak (bare § 11-3 andre og tredje ledd, §§ 11-4 til 11-7, "
          "11-10 og 11-11; vedtaksførhet og stemmelikhet etter foretakets vedtekter)",
    own_remote_decision=False, quorum_rule=False, casting_vote=False,
    vote_kinds=frozenset({VoteKind.ORDINARY, VoteKind.CLOSURE}))

# Keyed by models.BodyType values (models imports this module, so the keys are spelled out here).
RULE_SETS: dict[str, RuleSet] = {
    "kommunestyre": COUNCIL_RULES,
    "formannskap": GENERAL_RULES,
    "utvalg": GENERAL_RULES,
    "kontrollutvalg": GENERAL_RULES,
    "kf-styre": ENTERPRISE_BOARD_RULES,
}


def rules_for(body_type: str) -> RuleSet:
    # § 11-1: chapter 11 covers every municipal body unless a law says otherwise, so a type without
    # a set of its own gets the general rules.
    return RULE_SETS.get(body_type, GENERAL_RULES)


# § 11-7 (1): what the log and the minutes give as the basis of a council's own remote meeting.
OWN_REMOTE_DECISION = "kommunestyrets eget vedtak (kommuneloven § 11-7 første ledd), jf. innkallingen"
