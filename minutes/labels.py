"""Labels of the minutes in bokmål (default) and English."""

LABELS = {
    "nb": {
        "minutes": "Møtebok", "body": "Organ", "time": "Tid", "place": "Sted", "remote": "Fjernmøte",
        "remote_basis": "Fjernmøte etter kommuneloven § 11-7, jf. vedtak", "opened": "Møtet satt", "ended": "Møtet hevet",
        "attended": "Møtt", "absent": "Forfall", "deputies": "Varamedlemmer", "for": "for", "arrived": "kom",
        "left": "gikk", "cases": "Saker behandlet", "case": "Sak", "decision": "Vedtak", "no_decision": "Intet vedtak",
        "proposals": "Forslag", "proposed_by": "fremmet av", "votes": "Votering", "result": "Resultat",
        "adopted": "vedtatt", "rejected": "falt", "named": "Navnestemmer", "quorum": "Beslutningsdyktighet (§ 11-9)",
        "quorum_met": "oppfylt", "quorum_not_met": "ikke oppfylt", "casting": "møteleders dobbeltstemme (§ 11-9 annet ledd)",
        "closures": "Lukkede møter", "closed_from": "Lukket", "closed_to": "åpnet", "ground": "Hjemmel",
        "conflicts": "Habilitet og fritak", "recused": "fratrådte", "not_recused": "erklært habil",
        "media": "Bild og lyd (§ 11-7 annet ledd)", "stream": "Direkteoverføring", "stream_down": "Publikum kunne ikke følge møtet",
        "exemptions": "Unntaksregler brukt", "questions": "Spørsmål til møteleder (§ 11-2 fjerde ledd)",
        "speakers": "Talere", "reply": "replikk", "redacted": "Unntatt offentlighet", "digest": "Kontrollsum for møteloggen",
        "corrections": "Rettelser", "late": "Sak ikke på sakslisten (§ 11-3)", "chair": "Møteleder",
        "closed_decision": "Behandlet for lukkede dører; vedtaket er unntatt offentlighet i den utstrekning loven krever",
        "audio_only": "bare lyd", "cannot_hear": "kunne ikke høre", "cannot_be_heard": "kunne ikke høres",
        "not_seen": "kunne ikke ses", "draft": "Utkast – ikke publisert", "internal": "Intern versjon for medlemmer",
        "public": "Offentlig versjon", "blank": "blank", "elected": "Valgt", "until": "til",
    },
    "en": {
        "minutes": "Minutes", "body": "Body", "time": "Time", "place": "Place", "remote": "Remote meeting",
        "remote_basis": "Remote meeting under the Local Government Act § 11-7, council decision",
        "opened": "Opened", "ended": "Closed", "attended": "Present", "absent": "Absent", "deputies": "Deputies",
        "for": "for", "arrived": "arrived", "left": "left", "cases": "Cases handled", "case": "Case",
        "decision": "Decision", "no_decision": "No decision", "proposals": "Proposals", "proposed_by": "put forward by",
        "votes": "Vote", "result": "Result", "adopted": "adopted", "rejected": "rejected", "named": "Named votes",
        "quorum": "Quorum (§ 11-9)", "quorum_met": "met", "quorum_not_met": "not met",
        "casting": "the chair's casting vote (§ 11-9 (2))", "closures": "Closed sessions", "closed_from": "Closed",
        "closed_to": "reopened", "ground": "Legal basis", "conflicts": "Conflicts of interest and exemptions",
        "recused": "stepped down", "not_recused": "found not disqualified", "media": "See and hear (§ 11-7 (2))",
        "stream": "Live stream", "stream_down": "The public could not follow the meeting",
        "exemptions": "Exemption rules used", "questions": "Questions to the chair (§ 11-2 (4))", "speakers": "Speakers",
        "reply": "reply", "redacted": "Exempt from public access", "digest": "Digest of the meeting log",
        "corrections": "Corrections", "late": "Case not on the notice (§ 11-3)", "chair": "Chair",
        "closed_decision": "Handled behind closed doors; the decision is exempt from public access as far as the law requires",
        "audio_only": "audio only", "cannot_hear": "could not hear", "cannot_be_heard": "could not be heard",
        "not_seen": "could not be seen", "draft": "Draft – not published", "internal": "Internal version for members",
        "public": "Public version", "blank": "blank", "elected": "Elected", "until": "until",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["nb"])
