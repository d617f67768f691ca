"""Minutes as HTML, JSON and PDF. Every format is a pure function of the minutes data: the same
log gives the same bytes (the PDF's dates are the meeting's own and its identifier is derived from its content).

The data carries codes and ISO times; `display()` adds the human texts (labels, local times) once,
so the HTML template and the PDF say the same thing and neither depends on the server's locale.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from .labels import format_date, format_datetime, format_period, labels, option_label


def display(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the minutes with display texts added (`*_text` keys); the input is left as it is."""
    d = json.loads(json.dumps(data))
    lang = d["lang"]
    L = labels(lang)
    m = d["meeting"]
    m["opened_text"] = format_datetime(m.get("opened"), lang)
    m["ended_text"] = format_datetime(m.get("ended"), lang)
    m["chair_name"] = (m.get("chair") or {}).get("name", "")
    decision = m.get("remote_decision") or {}
    m["place_text"] = m.get("location", "")
    if m.get("form") == "remote" and decision.get("ref"):
        m["place_text"] += f" – {L['remote_basis']} {decision['ref']} ({format_date(decision.get('date'), lang)})"
    for p in d["attendance"]["present"]:
        p["role_text"] = L.get(p.get("role") or "", p.get("role") or "")
        p["periods_text"] = "; ".join(format_period(x["from"], x["to"], lang) for x in p["periods"])
    for it in d["agenda_items"]:
        for s in it["closed_sessions"]:
            s["period_text"] = format_period(s["from"], s["to"], lang)
        for c in it["conflicts"]:
            c["kind_text"] = L.get(c["kind"], c["kind"])
        for v in it["votes"]:
            v["period_text"] = format_datetime(v["end"], lang)
            if v["redacted"]:
                continue
            for c in v["counts"]:
                c["label"] = option_label(c["option"], lang)
            for b in v["votes"]:
                b["label"] = option_label(b["option"], lang)
            v["winner_text"] = option_label(v["winner"], lang) if v.get("winner") else ""
            v["explanation"] = vote_explanation(v, L, lang)
    for c in d["closures"]:
        c["period_text"] = format_period(c["from"], c["to"], lang)
    for p in d["media_periods"]:
        p["label"] = L.get(p["state"], p["state"])
        p["period_text"] = format_period(p["from"], p["to"], lang)
    for o in d["stream_outages"]:
        o["period_text"] = format_period(o["from"], o["to"], lang)
    d.setdefault("approval", {"method": ""})  # minutes built before approval existed
    d["approval"]["text"] = approval_text(d["approval"], L, lang)
    for key in ("exemptions", "corrections", "questions"):
        for e in d[key]:
            e["at_text"] = format_datetime(e["at"], lang)
    for e in d["exemptions"]:
        if e["kind"] == "mode":
            e["text"] = f"{L['mode']}: {L.get('mode:' + e['mode'], e['mode'])}"
            e["text"] += f" ({L['ground']}: {e['instrument']})" if e.get("instrument") else ""
        else:
            e["text"] = f"{e['instrument']} {e['title']}"
            if e.get("valid_from"):
                e["text"] += (f" ({L['valid']} {format_date(e['valid_from'], lang)} – "
                              f"{format_date(e.get('valid_to'), lang)})")
        e["text"] += f". {e['reason']}" if e.get("reason") else ""
    return d


def approval_text(a: dict[str, Any], L: dict[str, str], lang: str) -> str:
    """One line on how the minutes are approved, and how far that has come; "" when the body approves
    nothing beyond the publication."""
    if not a.get("method"):
        return ""
    signatures = "; ".join(f"{s['name']} ({L['signed_on']} {format_datetime(s['signed_at'], lang)})"
                           if s.get("signed_at") else f"{s['name']} ({L['not_signed']})"
                           for s in a.get("signatories", []))
    if a.get("approved"):
        if a["method"] == "signatories":
            return f"{L['approved_signed']}: {signatures}."
        at = a.get("at_meeting") or {}
        case = f", {L['case']} {at['case_number']}" if at.get("case_number") else ""
        return f"{L['approved_at_meeting']} {at.get('title', '')} {format_date(at.get('start'), lang)}{case}."
    if a["method"] == "signatories":
        return f"{L['not_approved']}: {L['to_be_signed_by']}: {signatures}." if signatures else \
            f"{L['not_approved']}: {L['signatories_not_chosen']}."
    return f"{L['not_approved']}: {L['to_be_approved_next']}."


def to_html(data: dict[str, Any], *, meeting_id: int, published: bool,
            moments: dict[int, int] | None = None) -> bytes:
    """The minutes as an HTML fragment (an <article>): the page view places it in the site layout.
    `moments` (vote number -> seconds into the public recording, where it holds the vote) gives each
    such vote and the decision it made a link to that moment on the meeting page (`?t=`)."""
    d = display(data)
    L = labels(d["lang"])
    for it in d["agenda_items"]:
        for v in it["votes"]:
            seconds = None if v["redacted"] else (moments or {}).get(v["number"])
            v["moment"] = None if seconds is None else {
                "seconds": seconds, "text": L["in_recording"] % {"time": _clock(seconds)}}
            if it.get("decision") and it.get("decision_vote") == v["number"]:
                it["decision_moment"] = v["moment"]
    with translation.override(d["lang"]):
        return render_to_string("minutes/minutes_body.html", {
            "m": d, "L": labels(d["lang"]), "published": published, "meeting_id": meeting_id}).encode()


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()


def to_pdf(data: dict[str, Any], *, meeting_id: int | None = None, published: bool = True) -> bytes:
    """The minutes as PDF/A-3a (archival, tagged for screen readers, fonts embedded, XMP metadata)
    with page numbers: the same HTML fragment as the web page, laid out for print by WeasyPrint.

    Reproducible: the dates in the metadata are the meeting's own (its end, and the last correction),
    and the document identifier is derived from the content, so the same log gives the same bytes."""
    import hashlib

    import weasyprint
    from django.utils.safestring import mark_safe

    lang = data["lang"]
    L = labels(lang)
    m = data["meeting"]
    fragment = to_html(data, meeting_id=meeting_id or 0, published=published).decode()
    corrected = [c["at"] for c in data.get("corrections", []) if c.get("at")]
    title = f"{L['minutes']}: {m.get('body', '')} – {m.get('title', '')}"
    with translation.override(lang):
        page = render_to_string("minutes/print.html", {
            "lang": lang, "title": title, "author": m.get("body", ""), "body": mark_safe(fragment),  # noqa: S308 - our own autoescaped template
            "description": L["public"] if data["visibility"] == "public" else L["internal"],
            "created": m.get("ended") or m.get("opened") or "", "modified": max(corrected) if corrected else "",
            "running_head": f"{m.get('body', '')} – {m.get('title', '')}", "page_word": gettext("Page")})
    identifier = hashlib.sha256(page.encode()).hexdigest()[:32].encode()
    return weasyprint.HTML(string=page).write_pdf(  # type: ignore[no-any-return]
        pdf_variant="pdf/a-3a", pdf_identifier=identifier)
def vote_explanation(v: dict[str, Any], L: dict[str, str], lang: str) -> list[str]:
    """The vote's legal facts in words, one line each, for the HTML and the PDF alike: the quorum, who
    could not vote and why, who did not vote, whose ballot is outside the quorum, and the round."""
    from meetings.presence import reason_text

    lines = []
    text = (v.get("quorum") or {}).get("text")
    if text:
        lines.append(f"{L['quorum']}: {text.get(lang) or text.get('nb')}.")
    if v.get("round"):
        line = f"{L['round']} {v['round']} ({v.get('rule')})"
        if v.get("blank"):
            line += f"; {v['blank']} {L['blank_votes']}"
        lines.append(line + ".")
    if v.get("written"):
        lines.append(L["written"] + ".")
    if v.get("new_round"):
        lines.append(L["new_round"] + ".")
    if v.get("lot"):
        lines.append(f"{L['lot']}: {', '.join(v['lot']['candidates'])}; {L['drawn']}: {v['lot']['drawn']}.")
    if v.get("not_eligible"):
        lines.append(f"{L['not_eligible']}: " + "; ".join(
            f"{e['name']} ({reason_text(e['reason'], lang)}{', ' + L['voted_before'] if e['voted'] else ''})"
            for e in v["not_eligible"]) + ".")
    if v.get("not_voted"):
        lines.append(f"{L['not_voted']}: " + ", ".join(e["name"] for e in v["not_voted"]) + ".")
    if v.get("not_in_quorum"):
        lines.append(f"{L['not_in_quorum']}: " + "; ".join(
            f"{e['name']} ({reason_text(e['reason'], lang)})" for e in v["not_in_quorum"]) + ".")
    return lines
