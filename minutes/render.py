"""Minutes as HTML, JSON and PDF. Every format is a pure function of the minutes data: the same
log gives the same bytes (the PDF uses reportlab's invariant mode: fixed dates and document id)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.template.loader import render_to_string

from .labels import labels


def _with_media_labels(data: dict[str, Any]) -> dict[str, Any]:
    L = labels(data["lang"])
    for period in data["media_periods"]:
        period["label"] = L.get(period["state"], period["state"])
    return data


def to_html(data: dict[str, Any], *, meeting_id: int, published: bool) -> bytes:
    data = _with_media_labels(json.loads(json.dumps(data)))
    return render_to_string("minutes/minutes.html", {"m": data, "L": labels(data["lang"]), "published": published,
                                                     "meeting_id": meeting_id}).encode()


def to_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()


def to_pdf(data: dict[str, Any]) -> bytes:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape

    rl_config.invariant = 1  # reproducible bytes: no creation date, fixed document id
    L = labels(data["lang"])
    styles = getSampleStyleSheet()
    story: list[Any] = []

    def para(text: str, style: str = "BodyText") -> None:
        story.append(Paragraph(escape(str(text)), styles[style]))

    m = data["meeting"]
    para(f"{L['minutes']}: {m.get('body', '')}", "Title")
    para(m.get("title", ""), "Heading2")
    para(f"{L['opened']}: {m.get('opened', '')}  {L['ended']}: {m.get('ended', '')}")
    place = m.get("location", "")
    if m.get("form") == "remote" and m.get("remote_decision"):
        place += f" – {L['remote_basis']} {m['remote_decision'].get('ref')} ({m['remote_decision'].get('date')})"
    para(f"{L['place']}: {place}")
    para(f"{L['chair']}: {m.get('chair', '')}")
    para(L["attended"], "Heading2")
    for p in data["attendance"]["present"]:
        periods = "; ".join(f"{x['from']} – {x['to'] or ''}" for x in p["periods"])
        sub = f" ({L['for']} {p['substitute_for']})" if p.get("substitute_for") else ""
        para(f"{p['name']} ({p['party']}){sub}: {periods}")
    para(L["absent"], "Heading2")
    for a in data["attendance"]["absent"]:
        deputy = f" – {L['deputies']}: {a['deputy']}" if a.get("deputy") else ""
        reason = f": {a['reason']}" if a.get("reason") else ""
        para(f"{a['name']} ({a['party']}){reason}{deputy}")
    para(L["cases"], "Heading2")
    for it in data["agenda_items"]:
        para(f"{it['case_number']} {it['title']}", "Heading3")
        if it.get("closed_session"):
            para(f"{L['closures']}: {L['ground']} {it['closed_session']['ground_text']}")
        for c in it["conflicts"]:
            para(f"{L['conflicts']}: {c['name']} {L['recused'] if c['recused'] else L['not_recused']} – "
                 f"{L['ground']}: {c['legal_basis']}")
        if it["speakers"]:
            para(f"{L['speakers']}: " + ", ".join(s["name"] + (f" ({L['reply']})" if s["kind"] == "reply" else "")
                                                    for s in it["speakers"]))
        for p in it["proposals"]:
            para(f"{L['proposals']} {p['number']} ({L['proposed_by']} {p['by']}): {p['text']}")
        for v in it["votes"]:
            counts = ", ".join(f"{c['option']}: {c['votes']}" for c in v["counts"])
            outcome = L["adopted"] if v["adopted"] else L["rejected"]
            casting = f" – {L['casting']}" if v["casting_vote"] else ""
            quorum = L["quorum_met"] if v["quorum"]["met"] else L["quorum_not_met"]
            para(f"{L['votes']} {v['number']} ({v['title']}): {counts}. {outcome}{casting}. {L['quorum']}: {quorum}")
            if v.get("named"):
                para(f"{L['named']}: " + ", ".join(f"{n['name']}: {n['choice']}" for n in v["named"]))
        decision = it.get("decision") or (L["closed_decision"] if it.get("decision_redacted") else L["no_decision"])
        para(f"{L['decision']}: {decision}")
    sections = [("closures", lambda c: f"{L['closed_from']} {c['from']} – {L['closed_to']} {c['to'] or ''}: "
                                       f"{L['ground']} {c['ground_text']}"),
                ("media_periods", lambda p: f"{p['name']}: {labels(data['lang']).get(p['state'], p['state'])} "
                                            f"{p['from']} – {p['to'] or ''}"),
                ("stream_outages", lambda o: f"{L['stream_down']}: {o['from']} – {o['to'] or ''} {o['reason']}"),
                ("exemptions", lambda e: f"{e['at']}: {e.get('instrument') or ''} {e.get('title') or e.get('mode', '')}"),
                ("questions", lambda q: f"{q['name']}: {q['text']}"),
                ("corrections", lambda c: f"{c['at']} ({c['by']}) {c['section']}: {c['text']}")]
    titles = {"closures": L["closures"], "media_periods": L["media"], "stream_outages": L["stream"],
              "exemptions": L["exemptions"], "questions": L["questions"], "corrections": L["corrections"]}
    for key, fmt in sections:
        if data[key]:
            para(titles[key], "Heading2")
            for entry in data[key]:
                para(fmt(entry))
    story.append(Spacer(1, 12))
    para(f"{L['digest']}: {data['log']['last_digest']} (#{data['log']['last_seq']})")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"{L['minutes']} {m.get('body', '')} {m.get('title', '')}",
                            author=m.get("body", ""), subject=L["minutes"], lang=data["lang"])
    doc.build(story)
    return out.getvalue()
