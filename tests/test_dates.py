"""Byline, footer and comment dates."""

from __future__ import annotations

from datetime import date

import pytest

from etl.extract.dates import DAY_FIRST, MONTH_FIRST, parse_date

pytestmark = pytest.mark.quick  # pure functions


@pytest.mark.parametrize(("text", "expected"), [
    ("January 9, 2020", date(2020, 1, 9)),
    ("September 07, 2011", date(2011, 9, 7)),
    ("SEPTEMBER 21, 2021", date(2021, 9, 21)),
    ("Apr 5, 2017", date(2017, 4, 5)),
    ("Jan. 9, 2020", date(2020, 1, 9)),
    ("Sept. 7, 2011", date(2011, 9, 7)),
    ("January 9 2020", date(2020, 1, 9)),
    ("January 9th, 2020", date(2020, 1, 9)),
    ("9 January 2020", date(2020, 1, 9)),
    ("Wednesday, January 8, 2020", date(2020, 1, 8)),
    ("August 18, 2022 at 3:41 pm", date(2022, 8, 18)),
    ("15.10.2015", date(2015, 10, 15)),
    ("01.03.2015", date(2015, 3, 1)),  # dotted: day first
    ("10.15.2015", date(2015, 10, 15)),  # ...unless that is impossible
    ("2020-01-09", date(2020, 1, 9)),
    ("15/08/2022", date(2022, 8, 15)),  # only one reading is a date
    ("08/15/2022", date(2022, 8, 15)),
    ("05/05/2022", date(2022, 5, 5)),  # both readings are the same date
])
def test_certain_dates(text, expected):
    assert parse_date(text) == (expected, None)


@pytest.mark.parametrize("text", [
    "", "Press TV", "January 32, 2020", "Febtober 3, 2020", "13/13/2020", "00/00/0000", "2020-13-01",
    "February 30, 2020", "January 9, 2020 and more", "From System Update with Glenn Greenwald, June 7, 2024.",
    "9999-99-99", "January 2020",
])
def test_not_dates(text):
    assert parse_date(text) is None


def test_ambiguous_slash_date_without_footer_reads_month_first():
    assert parse_date("01/07/2020") == (date(2020, 1, 7), MONTH_FIRST)


def test_ambiguous_slash_date_takes_the_reading_nearest_the_footer():
    # The sample's ZeroHedge posts: 01/07/2020 under a post of January 8, 2020.
    assert parse_date("01/07/2020", near=date(2020, 1, 8)) == (date(2020, 1, 7), MONTH_FIRST)
    # The same digits, two outlets: an American one posted June 6, a Belgian one posted May 7.
    assert parse_date("06/05/2011", near=date(2011, 6, 6)) == (date(2011, 6, 5), MONTH_FIRST)
    assert parse_date("06/05/2011", near=date(2011, 5, 7)) == (date(2011, 5, 6), DAY_FIRST)
    assert parse_date("06/09/2011", near=date(2011, 9, 7)) == (date(2011, 9, 6), DAY_FIRST)


def test_a_reading_more_than_two_days_after_the_footer_is_avoided():
    assert parse_date("02/03/2020", near=date(2020, 3, 3)) == (date(2020, 3, 2), DAY_FIRST)
    assert parse_date("03/02/2020", near=date(2020, 3, 3)) == (date(2020, 3, 2), MONTH_FIRST)
    # An outlet cannot publish after the blog reposted it (give or take time zones and
    # two days): March 1 is 4 days after a post of February 26, so January 3 is taken.
    assert parse_date("03/01/2020", near=date(2020, 2, 26)) == (date(2020, 1, 3), DAY_FIRST)
    assert parse_date("03/01/2020", near=date(2020, 2, 28)) == (date(2020, 3, 1), MONTH_FIRST)
