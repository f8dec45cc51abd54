"""The strict CSV reader: every bad input names the file, the line and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from econsec.data.importers.csvread import (
    check_unique,
    parse_number,
    read_csv_strict,
    to_bool,
    to_date,
    to_float,
    to_int,
)
from econsec.errors import DataError


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_bom_blank_rows_trailing_empty_columns_and_multiline(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufeffid,name,value,,\n1,"two\nlines",3,,\n,,,,\n2,b,"72,000",,\n')
    table = read_csv_strict(path, required=["id", "value"], key=["id"])
    assert table.header == ["id", "name", "value"]
    assert len(table) == 2
    assert table.lines == [2, 5]  # the multi-line record starts on line 2
    assert to_float(table, "value").tolist() == [3.0, 72000.0]


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,a\n")
    with pytest.raises(DataError) as err:
        read_csv_strict(path, required=["id", "share"])
    assert (err.value.line, err.value.field) == (1, "share")
    assert str(err.value).startswith(f"{path}, line 1, field share: missing column")


def test_non_numeric_value(tmp_path: Path) -> None:
    path = write(tmp_path, "id,share\n1,0.5\n2,lots\n")
    table = read_csv_strict(path)
    with pytest.raises(DataError) as err:
        to_float(table, "share")
    assert (err.value.line, err.value.field) == (3, "share")
    assert "'lots' is not a number" in str(err.value)
    assert "t.csv, line 3, field share" in str(err.value)


def test_out_of_range_value(tmp_path: Path) -> None:
    table = read_csv_strict(write(tmp_path, "id,share\n1,0.5\n2,101\n"))
    with pytest.raises(DataError, match=r"line 3, field share: 101.0 is outside \[0, 100\]"):
        to_float(table, "share", low=0, high=100)


def test_truncated_last_line_fewer_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,share\n1,a,0.5\n2,b")
    with pytest.raises(DataError) as err:
        read_csv_strict(path)
    assert (err.value.line, err.value.field) == (3, "share")
    assert "truncated record" in str(err.value)


def test_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,name,share\n1,a,0.5\n2,"cut off\nby the download')
    with pytest.raises(DataError) as err:
        read_csv_strict(path)
    assert (err.value.line, err.value.field) == (3, "name")
    assert "unterminated quoted field" in str(err.value)


def test_too_many_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,a\n2,b,extra\n")
    with pytest.raises(DataError) as err:
        read_csv_strict(path)
    assert (err.value.line, err.value.field) == (3, "column 3")


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, "id,year,share\nA,2020,1\nB,2020,2\nA,2020,3\n")
    with pytest.raises(DataError) as err:
        read_csv_strict(path, key=["id", "year"])
    assert (err.value.line, err.value.field) == (4, "id,year")
    assert "first seen on line 2" in str(err.value)
    table = read_csv_strict(path)
    check_unique(table, ["id", "share"])  # no error


def test_duplicate_header_and_unnamed_values(tmp_path: Path) -> None:
    dup = write(tmp_path, "a,b,a\n1,2,3\n", "dup.csv")
    with pytest.raises(DataError, match="line 1, field a: column appears twice"):
        read_csv_strict(dup)
    lenient = read_csv_strict(dup, lenient_header=True)
    assert lenient.header == ["a", "b", "a.2"] and lenient.warnings
    unnamed = write(tmp_path, "a,b,\n1,2,3\n", "unnamed.csv")
    with pytest.raises(DataError, match="line 2, field column 3"):
        read_csv_strict(unnamed)
    assert read_csv_strict(unnamed, lenient_header=True).header == ["a", "b"]


def test_bad_encoding_names_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,2\n3,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        read_csv_strict(path)
    assert err.value.line == 3


def test_empty_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty file"):
        read_csv_strict(write(tmp_path, ""))
    with pytest.raises(DataError, match="file not found"):
        read_csv_strict(tmp_path / "nope.csv")


def test_int_date_bool_parsers(tmp_path: Path) -> None:
    path = write(tmp_path, "n,d,b\n1,2024-01-31,true\n,,0\n")
    table = read_csv_strict(path)
    assert to_int(table, "n").tolist()[0] == 1
    assert to_date(table, "d").tolist() == [dt.date(2024, 1, 31), None]
    assert to_bool(table, "b").tolist() == [True, False]
    bad = read_csv_strict(write(tmp_path, "n,d\n1.5,2024-13-01\n", "bad.csv"))
    with pytest.raises(DataError, match="line 2, field n"):
        to_int(bad, "n")
    with pytest.raises(DataError, match="line 2, field d"):
        to_date(bad, "d")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("72,000", 72000.0),
        ("1,100,000", 1.1e6),
        (" 330 ", 330.0),
        ("\u00a0\u00a0330", 330.0),
        ("-1.5", -1.5),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1,00", "W", "nan", "inf", "1.2.3"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)
