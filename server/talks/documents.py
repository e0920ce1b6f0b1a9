"""Documents of the talk loop: the record form of annex 5 (党员谈心谈话记录表) as DOCX and the
talk ledger (谈心谈话台账) as XLSX.

The DOCX sets an East Asian font on every run (宋体 / SimSun, with Noto CJK as a common
substitute), so Word, WPS and LibreOffice render the Chinese text. The confidential part is
printed only for a viewer entitled to read it; the ledger never contains it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import spreadsheets
from server.calendar.due import SHANGHAI
from server.org.models import OrgUnit, Person
from server.talks.coverage import Period
from server.talks.models import Talk, TalkBreach
from server.talks.permissions import read_confidential
from server.talks.terms import FOLLOW_UP_RESULTS, KIND_LABELS, STATE_LABELS, TRIGGERS, WAY_LABELS, today

EAST_ASIAN_FONT = "宋体"
LATIN_FONT = "SimSun"
WITHHELD = "（保密内容，按规定另行存档，本件不予显示）"
NONE = "无"


def _set_font(run: Any, size: float | None = None, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _write(cell: Any, text: str, bold: bool = False, center: bool = False) -> None:
    cell.text = ""
    lines = text.split("\n") if text else [""]
    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            paragraph = cell.add_paragraph()
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(paragraph.add_run(line), 11, bold)


def _fmt_moment(talk: Talk) -> str:
    if talk.scheduled_at is not None:
        local = talk.scheduled_at.astimezone(SHANGHAI)
        if talk.held_on is None or local.date() == talk.held_on:
            return local.strftime("%Y年%m月%d日 %H:%M")
    return talk.held_on.strftime("%Y年%m月%d日") if talk.held_on else ""


def _reason(talk: Talk) -> str:
    if talk.kind == "must" and talk.trigger:
        text = f"八必谈：{TRIGGERS.get(talk.trigger, talk.trigger)}"
        return text + (f"\n{talk.note}" if talk.note else "")
    return talk.topic or talk.note or ""


def _problems_text(talk: Talk) -> str:
    if not talk.problems:
        return NONE
    return "\n".join(
        f"{p.seq}. {p.description}（责任人：{p.owner.display_name}；整改措施：{p.measure}；"
        f"整改期限：{p.deadline.strftime('%Y年%m月%d日')}）"
        for p in talk.problems
    )


def _progress_text(talk: Talk) -> str:
    lines = [talk.measures] if talk.measures else []
    on = today()
    for p in talk.problems:
        if p.state == "closed" and p.closed_at is not None:
            status = f"已销号（{p.closed_at.astimezone(SHANGHAI).strftime('%Y年%m月%d日')}）：{p.close_note or ''}"
        else:
            status = "整改中" + ("，已逾期" if p.deadline < on else "")
            if p.follow_ups:
                last = p.follow_ups[-1]
                status += f"；回头看（{last.at.astimezone(SHANGHAI).strftime('%m月%d日')}）：" \
                          f"{FOLLOW_UP_RESULTS.get(last.result, last.result)}，{last.note}"
        lines.append(f"{p.seq}. {status}")
    if talk.close_note:
        lines.append(f"小结：{talk.close_note}")
    return "\n".join(lines) or NONE


def record_docx(session: Session, viewer: Person, talk: Talk) -> bytes:
    """The annex-5 record form of one talk, for ``viewer``."""
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run("党员谈心谈话记录表"), 18, bold=True)
    meta = doc.add_paragraph()
    _set_font(meta.add_run(f"党组织：{talk.org_unit.name}　　　　编号：谈-{talk.id:05d}"), 11)

    rows = 9
    table = doc.add_table(rows=rows, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    pairs = [
        ("谈话时间", _fmt_moment(talk), "谈话地点", talk.place or ""),
        ("谈话人", talk.talker.display_name if talk.talker else "", "谈话对象", talk.subject.display_name),
        ("谈话方式", WAY_LABELS.get(talk.way or "", talk.way or ""), "谈话类型", KIND_LABELS.get(talk.kind, talk.kind)),
    ]
    for r, (a, b, c, d) in enumerate(pairs):
        for col, (text, bold) in enumerate(((a, True), (b, False), (c, True), (d, False))):
            _write(table.cell(r, col), text, bold=bold, center=bold)
    allowed, secret = read_confidential(session, viewer, talk)
    long_rows = [
        ("谈话事由", _reason(talk)),
        ("谈话主要内容", talk.main_content or ""),
        ("反映的突出问题", _problems_text(talk)),
        ("整改落实情况", _progress_text(talk)),
        ("需保密内容", (secret or NONE) if allowed else WITHHELD),
    ]
    for offset, (label, text) in enumerate(long_rows):
        r = len(pairs) + offset
        _write(table.cell(r, 0), label, bold=True, center=True)
        merged = table.cell(r, 1).merge(table.cell(r, 3))
        _write(merged, text)
    sign = rows - 1
    for col, text in enumerate(("谈话人签字", "", "谈话对象签字", "")):
        _write(table.cell(sign, col), text, bold=bool(text), center=True)
    for row in table.rows:
        row.cells[0].width = Cm(3.2)
    foot = doc.add_paragraph()
    recorded = talk.recorded_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日") if talk.recorded_at else ""
    _set_font(foot.add_run(f"记录时间：{recorded}　　　　打印时间：{today().strftime('%Y年%m月%d日')}"), 10)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- ledger --------------------------------------------------------------------------------------

TALK_COLUMNS = [
    ("序号", 6), ("谈话编号", 10), ("类型", 16), ("必谈情形", 22), ("谈话对象", 10), ("谈话人", 14),
    ("申请时间", 18), ("答复期限", 18), ("答复时间", 18), ("超时答复", 8), ("约定时间", 18), ("地点", 16),
    ("方式", 8), ("谈话日期", 12), ("事由/主题", 30), ("主要内容", 40), ("问题数", 8), ("已销号", 8),
    ("状态", 10),
]
PROBLEM_COLUMNS = [
    ("序号", 6), ("谈话编号", 10), ("谈话对象", 10), ("问题", 36), ("责任人", 10), ("整改措施", 36),
    ("整改期限", 12), ("状态", 8), ("逾期", 6), ("回头看次数", 10), ("最近回头看", 30), ("销号时间", 18),
    ("销号说明", 30),
]


def _local(value: Any) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def ledger_xlsx(session: Session, unit: OrgUnit, half: Period | None) -> bytes:
    """The talk ledger of a branch (optionally one half year): talks and problem items. No
    confidential part is ever written to it."""
    stmt = select(Talk).where(Talk.org_unit_id == unit.id).order_by(Talk.created_at, Talk.id)
    talks = [
        t for t in session.scalars(stmt)
        if half is None or _in_half(t, half)
    ]
    late = {b.talk_id for b in session.scalars(select(TalkBreach).where(TalkBreach.org_unit_id == unit.id))}
    on = today()
    talk_rows: list[list[Any]] = []
    problem_rows: list[list[Any]] = []
    for n, t in enumerate(talks, start=1):
        closed = sum(1 for p in t.problems if p.state == "closed")
        talk_rows.append([
            n, t.id, KIND_LABELS.get(t.kind, t.kind), TRIGGERS.get(t.trigger or "", ""), t.subject.display_name,
            t.talker.display_name if t.talker else "", _local(t.created_at) if t.kind == "request" else "",
            _local(t.answer_due_at), _local(t.answered_at),
            "是" if t.id in late else ("否" if t.kind == "request" else ""),
            _local(t.scheduled_at), t.place or "", WAY_LABELS.get(t.way or "", ""),
            t.held_on.isoformat() if t.held_on else "", t.topic or t.note or "", t.main_content or "",
            len(t.problems), closed, STATE_LABELS.get(t.state, t.state),
        ])
        for p in t.problems:
            last = p.follow_ups[-1] if p.follow_ups else None
            problem_rows.append([
                len(problem_rows) + 1, t.id, t.subject.display_name, p.description, p.owner.display_name, p.measure,
                p.deadline.isoformat(), "已销号" if p.state == "closed" else "整改中",
                "是" if p.state != "closed" and p.deadline < on else "否", len(p.follow_ups),
                f"{_local(last.at)} {FOLLOW_UP_RESULTS.get(last.result, last.result)}：{last.note}" if last else "",
                _local(p.closed_at), p.close_note or "",
            ])
    return spreadsheets.workbook(
        spreadsheets.Sheet("谈心谈话台账", [c for c, _ in TALK_COLUMNS], talk_rows,
                           widths=[w for _, w in TALK_COLUMNS], center_header=True),
        spreadsheets.Sheet("问题清单", [c for c, _ in PROBLEM_COLUMNS], problem_rows,
                           widths=[w for _, w in PROBLEM_COLUMNS], center_header=True),
    )


def _in_half(talk: Talk, half: Period) -> bool:
    day: date = talk.held_on or talk.created_at.astimezone(SHANGHAI).date()
    return half.start <= day <= half.end
