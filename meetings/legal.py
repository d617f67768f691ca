"""Legal grounds and rule constants from kommuneloven (LOV-2018-06-22-83), in one place.

Every constant names the provision it comes from so that the minutes can quote it.
"""

from __future__ import annotations

import math

from django.db import models


class ClosureGround(models.TextChoices):
    # § 11-5 (2): mandatory closure. Not allowed in a remote meeting (§ 11-7 (3)).
    EMPLOYEE_MATTER = "11-5-2-employee", "kommuneloven § 11-5 andre ledd (arbeidstakers tjenstlige forhold)"
    CONFIDENTIALITY = "11-5-2-confidential", "kommuneloven § 11-5 andre ledd (lovbestemt taushetsplikt)"
    # § 11-5 (3): optional closure.
    PRIVACY = "11-5-3-a", "kommuneloven § 11-5 tredje ledd bokstav a (personvern)"
    PUBLIC_INTEREST = "11-5-3-b", "kommuneloven § 11-5 tredje ledd bokstav b (tungtveiende offentlige interesser)"


MANDATORY_CLOSURE_GROUNDS = {ClosureGround.EMPLOYEE_MATTER, ClosureGround.CONFIDENTIALITY}
OPTIONAL_CLOSURE_GROUNDS = {ClosureGround.PRIVACY, ClosureGround.PUBLIC_INTEREST}

CLOSURE_GROUND_EN = {
    ClosureGround.EMPLOYEE_MATTER: "Local Government Act § 11-5 (2) (an employee's service matters)",
    ClosureGround.CONFIDENTIALITY: "Local Government Act § 11-5 (2) (statutory confidentiality)",
    ClosureGround.PRIVACY: "Local Government Act § 11-5 (3) a (privacy)",
    ClosureGround.PUBLIC_INTEREST: "Local Government Act § 11-5 (3) b (weighty public interests)",
}


class VoteKind(models.TextChoices):
    ORDINARY = "ordinary", "Vedtak"
    ELECTION = "election", "Valg"
    APPOINTMENT = "appointment", "Ansettelse"
    CLOSURE = "closure", "Lukking av møtet (§ 11-5 femte ledd)"


# § 8-1 (2): blank votes only in elections and appointments.
BLANK_ALLOWED = {VoteKind.ELECTION, VoteKind.APPOINTMENT}
# § 11-9 (2): the chair's vote decides a tie, except in elections.
CASTING_VOTE_KINDS = {VoteKind.ORDINARY, VoteKind.APPOINTMENT, VoteKind.CLOSURE}

FOR = "for"
AGAINST = "against"
BLANK = "blank"


def quorum_threshold(seats: int) -> int:
    """§ 11-9 (1): at least half of the members present through the debate and voting."""
    return math.ceil(seats / 2)


def late_item_blocked(*, chair_objects: bool, objectors: int, present_members: int) -> bool:
    """§ 11-3 (5): an unlisted case is decided unless the chair or 1/3 of those present object."""
    return chair_objects or (present_members > 0 and objectors * 3 >= present_members)
