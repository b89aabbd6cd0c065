"""How numbers read on the page (frontend/format.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from frontend import format as fmt


@pytest.mark.parametrize(
    ("n_bytes", "shown"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (170885120, "163.0 MB"),
        (25276502016, "23.5 GB"),
        (5 * 2**40, "5120.0 GB"),  # GB is the largest unit
    ],
)
def test_size_uses_the_largest_unit_below_1024(n_bytes: int, shown: str):
    assert fmt.size(n_bytes) == shown


def test_size_of_nothing_is_not_available():
    assert fmt.size(None) == "n/a"


@pytest.mark.parametrize(
    ("n_bytes", "shown"),
    [(2**20 - 1, "1.0 MB"), (2**30 - 1, "1.0 GB"), (2**20 - 20, "1.0 MB")],
)
def test_size_just_below_a_unit_reads_as_one_of_the_next_unit(n_bytes: int, shown: str):
    # 1048575 bytes is 1023.999 KB: printed with one decimal it must not read "1024.0 KB".
    assert fmt.size(n_bytes) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00"),
        (5, "0:05"),
        (65, "1:05"),
        (59.6, "1:00"),
        (599, "9:59"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
    ],
)
def test_duration_is_minutes_and_seconds_and_hours_past_an_hour(seconds: float, shown: str):
    assert fmt.duration(seconds) == shown


@pytest.mark.parametrize("seconds", [None, float("nan")])
def test_duration_of_an_unknown_length_is_a_dash(seconds: float | None):
    assert fmt.duration(seconds) == "–"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "under a minute"),
        (59.9, "under a minute"),
        (60, "about 1 min"),
        (4 * 60 + 10, "about 4 min"),
        (59 * 60, "about 59 min"),
        (3600, "about 1 h"),
        (80 * 60, "about 1 h 20 min"),
        (2 * 3600 + 30, "about 2 h"),
    ],
)
def test_time_left_is_rounded_to_minutes(seconds: float, shown: str):
    assert fmt.time_left(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.4, "0 s ago"),
        (12.9, "12 s ago"),  # whole seconds gone by, not rounded up
        (59.9, "59 s ago"),
        (60, "about 1 min ago"),
        (250, "about 4 min ago"),
        (3600 + 20 * 60, "about 1 h 20 min ago"),
        (-3.0, "0 s ago"),  # the other machine's clock runs ahead
    ],
)
def test_ago_is_seconds_under_a_minute_then_rounded_minutes(seconds: float, shown: str):
    assert fmt.ago(seconds) == shown


def test_parse_time_reads_the_servers_iso_stamps():
    parsed = fmt.parse_time("2026-11-21T07:11:53+00:00")

    assert parsed == datetime(2026, 11, 21, 7, 11, 53, tzinfo=UTC)
    assert fmt.parse_time(None) is None
    assert fmt.parse_time("") is None


def test_when_is_the_local_date_and_minute():
    stamp = "2026-11-21T07:11:53+00:00"

    shown = fmt.when(stamp)

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown)
    assert shown == datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def test_when_of_no_time_is_a_dash():
    assert fmt.when(None) == "–"
