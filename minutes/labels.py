"""Labels and time formats of the minutes, in every language of settings.LANGUAGES.

The texts are gettext messages (English msgids, translations in minutes/locale/<lang>), resolved under
`translation.override(lang)` so that the minutes never depend on the request's or the server's
locale. Dates go through Django's formats (config/formats/<lang>) under the same override:
`25. november 2026 kl. 18.02` in bokmål and nynorsk, `25 November 2026, 18:02` in English.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext, pgettext

from .generator import LOCAL_TZ

LANGS = tuple(code for code, _name in settings.LANGUAGES)

_MESSAGES = {
    "minutes": "Minutes", "body": "Body", "time": "Time", "place": "Place",
    "in_recording": "In the recording from %(time)s",
    "remote_basis": "Remote meeting under the Local Government Act § 11-7, council decision",
    "opened": "Opened", "ended": "Ended", "attended": "Present", "absent": "Absent", "deputies": "Deputy",
    "for": "for", "cases": "Cases handled", "decision": "Decision", "no_decision": "No decision",
    "proposals": "Proposals", "proposed_by": "put forward by", "withdrawn": "withdrawn", "votes": "Vote",
    "result": "Result", "count": "Number of votes", "adopted": "adopted", "rejected": "rejected",
    "named": "Named votes",
    "quorum": "Quorum (§ 11-9)", "quorum_met": "met", "quorum_not_met": "not met",
    "quorum_not_applicable": "does not apply to this body (§ 11-1; its own regulations govern)",
    "casting": "the chair's casting vote (§ 11-9 (2))",
    "not_eligible": "Could not vote", "voted_before": "voted before", "not_voted": "Eligible, did not vote",
    "not_in_quorum": "In the count, not in the quorum", "round": "Round",
    "new_round": "Nobody had more than half of the votes cast: a new vote was held",
    "lot": "Tie decided by lot drawn by the system from the meeting log", "drawn": "drawn",
    "written": "Written ballot: only the totals are recorded", "blank_votes": "blank", "closures": "Closed sessions",
    "closed_debate": "Debate on closing held in closed session (§ 11-5 (5))",
    "closed_session": "Closed session", "ground": "Legal basis",
    "conflicts": "Conflicts of interest and exemptions", "recused": "stepped down",
    "not_recused": "found not disqualified", "conflict_of_interest": "Conflict of interest",
    "personal_exemption": "Personal exemption (§ 11-11)", "media": "See and hear (§ 11-7 (2))",
    "stream": "Live stream", "stream_down": "The public could not follow the meeting",
    "exemptions": "Exemption rules used", "questions": "Questions to the chair (§ 11-2 (4))",
    "speakers": "Speakers", "reply": "reply", "digest": "Digest of the meeting log",
    "corrections": "Corrections", "late": "Case not on the notice (§ 11-3)", "chair": "Chair",
    "closed_decision": "The decision was made behind closed doors and is exempt from public access",
    "closed_vote": "Vote held behind closed doors; exempt from public access",
    "audio_only": "audio only", "cannot_hear": "could not hear", "cannot_be_heard": "could not be heard",
    "not_seen": "could not be seen", "draft": "Draft – not published", "internal": "Internal version for members",
    "public": "Public version", "name": "Name", "party": "Party", "role": "Role",
    "arrived_left": "Arrived – left", "option": "Option", "member": "Member", "deputy": "Deputy member",
    "deputy_chair": "Deputy chair", "clerk": "Clerk", "elected": "Elected", "proposal": "Proposal",
    "archive": "Archive", "meetings": "Meetings", "date": "Date", "meeting": "Meeting", "notice": "Notice",
    "notice_link": "Notice and agenda", "recording": "Recording", "chapters": "chapters",
    "no_meetings": "No meetings yet.", "atom": "Atom feed of published minutes",
    "ics": "Meeting calendar (iCalendar)", "not_available": "The minutes are not available",
    "other_language": "Norsk", "mode": "Mode", "valid": "in force",
    "mode:normal": "Ordinary meeting", "mode:audio_only": "Audio-only meeting (all members)",
    "mode:no_public_stream": "Meeting without a public stream",
    "error:minutes_not_published": "The minutes of this meeting are not published yet.",
    "error:meeting_not_ended": "The meeting has not ended yet.",
    "error:not_found": "There is no such meeting.",
    "approval": "Approval", "not_approved": "Not yet approved",
    "to_be_signed_by": "to be signed by the protocol signatories", "signed_on": "signed",
    "not_signed": "not signed yet", "signatories_not_chosen": "the protocol signatories are not chosen yet",
    "approved_signed": "Approved: signed by the protocol signatories",
    "to_be_approved_next": "to be approved at the body's next meeting",
    "approved_at_meeting": "Approved at the meeting", "sign": "Sign the minutes",
    "you_sign": "You are a protocol signatory of these minutes.", "case": "case",
}

# Vote options are codes in the data; these are their labels (candidates' names stay as they are).
_OPTIONS = {"for": "For", "against": "Against", "blank": "Blank"}


def lang_of(lang: str | None) -> str:
    """The supported language (settings.LANGUAGES) a code names: `nn`, `en-GB` -> `en`, else bokmål."""
    try:
        return translation.get_supported_language_variant(lang or "")
    except LookupError:
        return settings.LANGUAGE_CODE


@lru_cache(maxsize=8)
def labels(lang: str) -> dict[str, str]:
    with translation.override(lang_of(lang)):
        table = {key: gettext(msgid) for key, msgid in _MESSAGES.items()}
        table.update({f"option:{code}": pgettext("vote option", msgid) for code, msgid in _OPTIONS.items()})
    return table


def option_label(option: str, lang: str) -> str:
    if option.startswith("p") and option[1:].isdigit():
        return f"{labels(lang)['proposal']} {option[1:]}"
    return labels(lang).get(f"option:{option}", option)


def _local(value: str | dt.datetime) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL_TZ)


def _format(value: dt.date | dt.datetime, fmt: str, lang: str) -> str:
    # Django's formats (config/formats/<lang>) and its month names, under the minutes' own language.
    with translation.override(lang_of(lang)):
        return formats.date_format(value, fmt, use_l10n=True)


def format_datetime(value: str | dt.datetime | None, lang: str) -> str:
    """`25. november 2026 kl. 18.02` (nb, nn) or `25 November 2026, 18:02` (en), in Oslo time."""
    if not value:
        return ""
    return _format(_local(value), "DATETIME_FORMAT", lang)


def format_date(value: str | dt.date | dt.datetime | None, lang: str) -> str:
    """A day: a moment in Oslo time, or a plain date (`2026-01-15`) as it is."""
    if not value:
        return ""
    if isinstance(value, str) and len(value) == 10:
        t: dt.date = dt.date.fromisoformat(value)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        t = value
    else:
        t = _local(value)
    return _format(t, "DATE_FORMAT", lang)


def format_time(value: str | dt.datetime | None, lang: str) -> str:
    """The clock time alone (`18.02` / `18:02`), for periods within the meeting's day."""
    if not value:
        return ""
    return _format(_local(value), "TIME_FORMAT", lang)


def format_period(start: str | None, end: str | None, lang: str) -> str:
    """`kl. 18.02–18.40` within one day, full dates otherwise; an open end stays open."""
    if not start:
        return ""
    if end and _local(start).date() == _local(end).date():
        with translation.override(lang_of(lang)):
            # Translators: a period within one day; Norwegian writes "kl. 18.02–18.40".
            return gettext("%(start)s–%(end)s") % {"start": format_time(start, lang), "end": format_time(end, lang)}
    return f"{format_datetime(start, lang)} – {format_datetime(end, lang)}"
