"""The one year parser (econsec.domain.years): every accepted form and every error."""

from __future__ import annotations

import numpy as np
import pytest

from econsec.domain.years import (
    ACCEPTED,
    Years,
    YearsError,
    parse_years,
    parse_years_or_none,
    years_list,
)


def test_one_year_as_text_and_int() -> None:
    assert parse_years("2019") == Years((2019,))
    assert parse_years(" 2019 ") == Years((2019,))
    assert parse_years(2019) == Years((2019,))


def test_range_is_inclusive() -> None:
    y = parse_years("2019-2024")
    assert y.as_list() == [2019, 2020, 2021, 2022, 2023, 2024]  # 2024 - 2019 + 1 = 6 years
    assert (y.first, y.last, len(y), y.contiguous) == (2019, 2024, 6, True)
    assert parse_years("2019 - 2021").as_list() == [2019, 2020, 2021]
    assert parse_years("2019-2019").as_list() == [2019]


def test_comma_lists_of_years_and_ranges() -> None:
    y = parse_years("2019,2021")
    assert y.as_list() == [2019, 2021]
    assert (y.first, y.last, y.contiguous) == (2019, 2021, False)
    assert parse_years("2002, 2010-2012").as_list() == [2002, 2010, 2011, 2012]
    # overlaps and order do not matter: the set {2010, 2011, 2012, 2013}
    assert parse_years("2012-2013,2010-2012").as_list() == [2010, 2011, 2012, 2013]


def test_iterables_and_numpy_integers() -> None:
    assert parse_years([2011, 2010, 2011]).as_list() == [2010, 2011]
    assert parse_years((1995,)).as_list() == [1995]
    assert parse_years(range(2000, 2003)).as_list() == [2000, 2001, 2002]
    assert parse_years(np.array([2001, 2000])).as_list() == [2000, 2001]
    y = parse_years("1999")
    assert parse_years(y) is y


def test_none_and_blank_mean_no_selection() -> None:
    assert parse_years_or_none(None) is None
    assert parse_years_or_none("  ") is None
    assert years_list(None) is None
    assert years_list("") is None
    assert years_list("1995-1997") == [1995, 1996, 1997]


def test_str_round_trips() -> None:
    assert str(parse_years("2019-2021")) == "2019-2021"
    assert str(parse_years("2019")) == "2019"
    assert str(parse_years("2021,2019")) == "2019,2021"
    for text in ("2019-2021", "2019", "2019,2021"):
        assert parse_years(str(parse_years(text))) == parse_years(text)


def test_years_is_frozen_and_iterable() -> None:
    y = parse_years("2019-2020")
    assert list(y) == [2019, 2020]
    assert 2020 in y and 2021 not in y
    with pytest.raises(AttributeError):
        y.years = (2000,)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2011-1995", "ends before it starts"),  # reversed range
        ("19x5", "'19x5' is not a year or a range"),  # letters
        ("abc", "'abc' is not a year or a range"),
        ("2019.5", "is not a year or a range"),  # not an integer
        ("1995-", "'1995-' is not a year or a range"),  # open range
        ("-3", "'-3' is not a year or a range"),  # negative
        ("2019,,2021", "empty part"),
        (",", "empty part"),
        ("1899", "year 1899 out of range"),  # below MIN_YEAR
        ("2099-2101", "year 2101 out of range"),  # above MAX_YEAR
        ("\u0661\u0669\u0669\u0665", "is not a year or a range"),  # Arabic-Indic digits
        (True, "not an integer"),
        (2019.0, "not a year, text or list of years"),
        ([2019, 2020.5], "2020.5 is not an integer"),
        (["2019"], "'2019' is not an integer"),
        ([], "no year"),
        (12, "year 12 out of range"),
    ],
)
def test_errors_name_the_text_and_the_accepted_forms(value: object, why: str) -> None:
    with pytest.raises(YearsError) as info:
        parse_years(value)  # type: ignore[arg-type]
    msg = str(info.value)
    assert msg.startswith("years: ")
    assert why in msg
    assert repr(value) in msg  # the bad text is named
    assert ACCEPTED in msg and "1900-2100" in msg
    assert isinstance(info.value, ValueError)


def test_blank_text_is_an_error_for_parse_years() -> None:
    with pytest.raises(YearsError, match="no year"):
        parse_years(" ")


def test_years_validates_directly_built_values() -> None:
    with pytest.raises(YearsError, match="sorted and distinct"):
        Years((2020, 2019))
    with pytest.raises(YearsError, match="no year"):
        Years(())
