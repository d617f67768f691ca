"""Minutes as HTML, JSON and PDF. Every format is a pure function of the minutes data: the same
log gives the same bytes (the PDF uses reportlab's invariant mode: fixed dates and document id).

The data carries codes and ISO times; `display()` adds the human texts (labels, local times) once,
so the HTML template and the PDF say the same thing and neither depends on the server's locale.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

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


def to_html(data: dict[str, Any], *, meeting_id: int, published: bool) -> bytes:
    """The minutes as an HTML fragment (an <article>): the page view places it in the site layout."""
    d = display(data)
    with translation.override(d["lang"]):
        return render_to_string("minutes/minutes_body.html", {
            "m": d, "L": labels(d["lang"]), "published": published, "meeting_id": meeting_id}).encode()


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()


def to_pdf(data: dict[str, Any]) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    rl_config.invariant = 1  # reproducible bytes: no creation date, fixed document id
    d = display(data)
    L = labels(d["lang"])
    styles = getSampleStyleSheet()
    story: list[Any] = []

    def para(text: str, style: str = "BodyText") -> None:
        story.append(Paragraph(escape(str(text)), styles[style]))

    m = d["meeting"]
    para(f"{L['minutes']}: {m.get('body', '')}", "Title")
    para(m.get("title", ""), "Heading2")
    para(L["public"] if d["visibility"] == "public" else L["internal"])
    para(f"{L['opened']}: {m['opened_text']}. {L['ended']}: {m['ended_text']}")
    para(f"{L['place']}: {m['place_text']}")
    para(f"{L['chair']}: {m['chair_name']}")
    para(L["attended"], "Heading2")
    for p in d["attendance"]["present"]:
        sub = f" ({L['for']} {p['substitute_for']['name']})" if p.get("substitute_for") else ""
        para(f"{p['name']} ({p['party']}), {p['role_text']}{sub}: {p['periods_text']}")
    para(L["absent"], "Heading2")
    for a in d["attendance"]["absent"]:
        deputy = f" – {L['deputies']}: {a['deputy']['name']}" if a.get("deputy") else ""
        reason = f": {a['reason']}" if a.get("reason") else ""
        para(f"{a['name']} ({a['party']}){reason}{deputy}")
    para(L["cases"], "Heading2")
    for it in d["agenda_items"]:
        para(f"{it['case_number']} {it['title']}", "Heading3")
        for s in it["closed_sessions"]:
            kind = L["closed_debate"] if s["debate_only"] else L["closed_session"]
            para(f"{kind} {s['period_text']}. {L['ground']}: {s['ground_text']}")
        for c in it["conflicts"]:
            para(f"{c['kind_text']}: {c['name']} {L['recused'] if c['recused'] else L['not_recused']} – "
                 f"{L['ground']}: {c['legal_basis']}")
        if it["speakers"]:
            para(f"{L['speakers']}: " + ", ".join(s["name"] + (f" ({L['reply']})" if s["kind"] == "reply" else "")
                                                    for s in it["speakers"]))
        for p in it["proposals"]:
            withdrawn = f" ({L['withdrawn']})" if p["withdrawn"] else ""
            para(f"{L['proposal']} {p['number']} ({L['proposed_by']} {p['by']}): {p['text']}{withdrawn}")
        for v in it["votes"]:
            if v["redacted"]:
                para(f"{L['votes']} {v['number']} ({v['period_text']}): {L['closed_vote']}")
                continue
            counts = ", ".join(f"{c['label']}: {c['value']}" for c in v["counts"])
            outcome = L["adopted"] if v["adopted"] else L["rejected"]
            casting = f" – {L['casting']}" if v["casting_vote"] else ""
            if v.get("rules") and not v["rules"].get("quorum_rule", True):
                quorum = L["quorum_not_applicable"]
            else:
                quorum = L["quorum_met"] if v["quorum"]["met"] else L["quorum_not_met"]
            para(f"{L['votes']} {v['number']} ({v['title']}): {counts}. {outcome}{casting}. {L['quorum']}: {quorum}")
            for line in v["explanation"]:
                para(line)
            if v["votes"]:
                para(f"{L['named']}: " + ", ".join(f"{b['name']}: {b['label']}" for b in v["votes"]))
        decision = it["decision"] or (L["closed_decision"] if it["decision_redacted"] else L["no_decision"])
        para(f"{L['decision']}: {decision}")
    sections = [
        ("closures", lambda c: f"{L['closed_debate'] if c['debate_only'] else L['closed_session']} {c['period_text']}"
                               f"{' (' + c['case_number'] + ')' if c['case_number'] else ''}: "
                               f"{L['ground']} {c['ground_text']}"),
        ("media_periods", lambda p: f"{p['name']}: {p['label']} {p['period_text']}"),
        ("stream_outages", lambda o: f"{L['stream_down']}: {o['period_text']} {o['reason']}"),
        ("exemptions", lambda e: f"{e['at_text']}: {e['text']}"),
        ("questions", lambda q: f"{q['name']}: {q['text']}"),
        ("corrections", lambda c: f"{c['at_text']} ({c['by']}) {c['section']}: {c['text']}"),
    ]
    titles = {"closures": L["closures"], "media_periods": L["media"], "stream_outages": L["stream"],
              "exemptions": L["exemptions"], "questions": L["questions"], "corrections": L["corrections"]}
    for key, fmt in sections:
        if d[key]:
            para(titles[key], "Heading2")
            for entry in d[key]:
                para(fmt(entry))
    story.append(Spacer(1, 12))
    para(f"{L['digest']}: {d['log']['last_digest']} (#{d['log']['last_seq']})")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"{L['minutes']} {m.get('body', '')} {m.get('title', '')}",
                            author=m.get("body", ""), subject=L["minutes"], lang=d["lang"])
    doc.build(story)
    return out.getvalue()


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
