"""Exports and terminal tables: formula cells neutralised in CSV/XLSX, binary formats
need --out, terminal columns never cut below their content."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from rich.console import Console

from econsec.reports.tables import (
    OutputFormat,
    emit,
    fit_columns,
    print_table,
    render_text,
    rich_table,
    write,
    write_xlsx,
)

CELLS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx",
         "plain", "-0.5", "-84%", "-"]
# by the documented rule: text starting with = + - @ or a tab gets a leading apostrophe,
# unless it is a plain number or a lone "-"
EXPECTED = ["'" + CELLS[0], "'" + CELLS[1], "'-2+3", "'@SUM(A1)", "'\tx",
            "plain", "-0.5", "-84%", "-"]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": CELLS, "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0,
                                                    -9.25]})


def test_csv_cells_are_neutralised_and_numbers_stay_numbers() -> None:
    text = render_text(frame(), OutputFormat.csv)
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert back["text"].tolist() == EXPECTED
    assert back["number"].tolist() == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, -9.25]
    assert "\n=" not in text and ",=" not in text


def test_xlsx_cells_are_text_not_formulas(tmp_path: Path) -> None:
    out = write(frame(), OutputFormat.xlsx, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    texts = [sheet.cell(row=r, column=1) for r in range(2, 2 + len(CELLS))]
    assert [c.value for c in texts] == EXPECTED
    assert all(c.data_type == "s" for c in texts)  # never "f" (formula)
    assert sheet.cell(row=2, column=2).value == -1.5
    assert sheet.cell(row=2, column=2).data_type == "n"


def test_xlsx_keeps_urls_and_numeric_text_as_text() -> None:
    """Source URLs stay plain text (no hyperlink: Excel caps a sheet at 65,530 links) and
    text that looks like a number stays text, in every workbook (CLI and API alike)."""
    buf = io.BytesIO()
    write_xlsx(buf, {"a": pd.DataFrame({"url": ["https://www.usgs.gov/mcs", "0123"]}),
                     "b" * 40: pd.DataFrame({"x": [1.5]})})
    book = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert book.sheetnames == ["a", "b" * 31]  # Excel's 31-character limit
    url, text = book["a"].cell(row=2, column=1), book["a"].cell(row=3, column=1)
    assert (url.value, url.hyperlink, url.data_type) == ("https://www.usgs.gov/mcs", None, "s")
    assert (text.value, text.data_type) == ("0123", "s")


@pytest.mark.parametrize("fmt", [OutputFormat.parquet, OutputFormat.xlsx])
def test_binary_format_without_out_is_a_named_error(
    fmt: OutputFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        emit(frame(), fmt, None)
    assert info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--format {fmt.value} writes a binary file: give --out PATH" in err


def _render(df: pd.DataFrame, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(rich_table(df, "t", width=width))
    return console.export_text()


def test_terminal_columns_keep_numbers_and_codes_whole_at_80_columns() -> None:
    df = pd.DataFrame({
        "replay": ["chn_ree_japan_2010_long_identifier", "jpn_kor_2019"],
        "outcome": ["imports KOR<-JPN hydrogen_fluoride, 2019-07 vs 2019-06 " * 2, "x"],
        "documented": [-0.8412, 1234567.0],
        "simulated": [-0.9, 7654321.0],
        "note": ["a long note that is of low value in a narrow terminal " * 3, ""],
    })
    text = _render(df, 80)
    # numbers as _fmt_cell formats them: 3 significant digits below 100, else thousands
    for cell in ("-0.841", "1,234,567", "-0.9", "7,654,321",
                 "chn_ree_japan_2010_long_identifier", "documented", "simulated"):
        assert cell in text, cell
    assert "note" not in text.split("column hidden")[0]  # the note column went first
    assert ("1 column hidden to fit the terminal: note; use --wide or --format csv"
            in " ".join(text.split()))
    assert max(len(line) for line in text.splitlines()) <= 80


def test_fit_columns_drops_low_value_then_rightmost() -> None:
    # content widths; each column costs width + 3, plus 1 for the last border
    widths = {"id": 20, "a": 10, "b": 10, "url": 30}
    # 23 + 13 + 13 + 33 + 1 = 83 > 80: url goes; 50 fits
    assert fit_columns(widths, set(), 80) == ["url"]
    # 23 + 13 + 13 + 1 = 50 > 40: then b (rightmost), 37 fits
    assert fit_columns(widths, set(), 40) == ["url", "b"]
    # a free-text column needs only 12 (+3): 23 + 13 + 13 + 15 + 1 = 65 fits 70
    assert fit_columns(widths, {"url"}, 70) == []


def test_fit_columns_drops_the_kept_answer_columns_last() -> None:
    # the replay table's case: the answer (simulated) is the rightmost but one column
    widths = {"id": 20, "period": 30, "simulated": 9, "reason": 10}
    # without keep: 23 + 33 + 12 + 13 + 1 = 82 > 50: reason (69 > 50), then the rightmost,
    # simulated (57 > 50), then period (24): the answer is lost first
    assert fit_columns(widths, set(), 50) == ["reason", "simulated", "period"]
    # with simulated kept: reason (69), then period: 23 + 12 + 1 = 36 fits 50
    assert fit_columns(widths, set(), 50, ("simulated",)) == ["reason", "period"]
    # kept columns go last: at 30, 36 > 30 so simulated goes too (the first column stays)
    assert fit_columns(widths, set(), 30, ("simulated",)) == ["reason", "period",
                                                              "simulated"]


def test_an_80_column_replay_table_shows_documented_and_simulated() -> None:
    df = pd.DataFrame({"scenario": ["jpn_kor_2019"], "outcome": ["hf_share_2020"],
                       "role": ["validation"], "period": ["Japan's share of Korea's HF"],
                       "unit": ["share"], "documented": [-0.65], "simulated": [-0.522],
                       "tolerance": [0.02], "within_tolerance": [False],
                       "direction_ok": [True], "status": ["known miss"],
                       "reason": ["x"], "source": ["s_a"]})
    df.attrs["keep_columns"] = ("outcome", "documented", "simulated", "tolerance")
    console = Console(width=80, record=True, file=io.StringIO())
    print_table(df, "t", console=console)
    text = console.export_text()
    for cell in ("hf_share_2020", "-0.65", "-0.522", "0.02"):
        assert cell in text, cell
    assert max(len(line) for line in text.splitlines()) <= 80


def test_wide_table_keeps_every_column_and_whole_text() -> None:
    note = "a long note that is of low value in a narrow terminal " * 3
    df = pd.DataFrame({"id": ["a"], "value": [0.25], "note": [note]})
    console = Console(width=40, record=True, file=io.StringIO())
    print_table(df, "t", wide=True, console=console)
    text = console.export_text()
    # note.strip() is 161 characters: the row is wider than the 40-column console, uncut
    row = next(line for line in text.splitlines() if line.startswith("│ a "))
    assert note.strip() in row and "0.25" in row
    assert "hidden" not in text


def test_source_ids_print_as_footnote_numbers_with_their_legend() -> None:
    from econsec.reports.tables import footnote_sources, rich_table

    # ids numbered in order of first appearance: a -> 1, b -> 2, c -> 3
    cells = {"good": ["x", "y", "z", "w"], "source": ["a", "b", "a;c", ""]}
    legend = footnote_sources(cells, {"c": "USGS MCS 2025"})
    assert cells["source"] == ["[1]", "[2]", "[1,3]", ""]
    assert cells["good"] == ["x", "y", "z", "w"]
    assert legend == ["[1] a", "[2] b", "[3] c: USGS MCS 2025"]
    frame = pd.DataFrame({"good": ["x", "y"], "share": [0.5, 0.25],
                          "source": ["s_long_source_id_2024", "s_long_source_id_2024"]})
    table = rich_table(frame, width=120)
    assert "sources: [1] s_long_source_id_2024" in str(table.caption)
    assert [c.header for c in table.columns] == ["good", "share", "source"]


def test_text_exports_round_floats_to_twelve_significant_digits(tmp_path) -> None:
    from econsec.reports.tables import OutputFormat, render_text, write

    # 1 - 0.98 in float64 is 0.020000000000000018: noise in the 17th digit
    frame = pd.DataFrame({"good": ["gallium", "x", "y"],
                          "share": [1 - 0.98, 12688.05392, float("nan")],
                          "runs": [1, 2, 3]})
    csv = render_text(frame, OutputFormat.csv)
    assert csv.splitlines()[1] == "gallium,0.02,1"
    assert csv.splitlines()[2] == "x,12688.05392,2"
    rows = json.loads(render_text(frame, OutputFormat.json))
    assert rows[0]["share"] == 0.02 and rows[2]["share"] is None and rows[1]["runs"] == 2
    # 1234567.891234567 has 16 significant digits: 12 are kept
    assert "1234567.89123" in render_text(pd.DataFrame({"v": [1234567.891234567]}),
                                          OutputFormat.csv)
    out = write(frame, OutputFormat.parquet, tmp_path / "f.parquet")
    assert pd.read_parquet(out)["share"].iloc[0] == 1 - 0.98  # parquet: as computed
