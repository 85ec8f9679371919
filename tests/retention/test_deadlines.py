"""Deadline arithmetic: absolute windows, whatever the time zone, DST, leap day or clock skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

ZONES = st.sampled_from(
    [
        "Europe/Oslo",
        "Europe/Copenhagen",
        "Europe/Stockholm",
        "UTC",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
    ]
)
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
PAIRS = st.sampled_from(
    [
        ("customer_audio", "legitimate_interest_temporary"),
        ("customer_audio", "consent"),
        ("agent_audio", "contract"),
        ("transcript", "consent"),
        ("quarantine", "legitimate_interest"),
    ]
)


@given(instant=INSTANTS, zone=ZONES, pair=PAIRS)
def test_deadline_is_the_same_instant_in_every_zone(policy, instant, zone, pair):
    local = instant.astimezone(ZoneInfo(zone))
    assert policy.deadline(*pair, local) == policy.deadline(*pair, instant)
    assert policy.deadline(*pair, local) - instant == policy.window(*pair)


@given(instant=INSTANTS, pair=PAIRS)
def test_window_never_stretches_across_dst(policy, instant, pair):
    # A "day" is 24 h of elapsed time: a window over a DST change is not an hour longer.
    deadline = policy.deadline(*pair, instant)
    assert (deadline.timestamp() - instant.timestamp()) == policy.window(*pair).total_seconds()


@given(
    now=INSTANTS,
    skew=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    pair=PAIRS,
)
def test_clock_skew_never_extends_a_deadline(policy, now, skew, pair):
    created_in_future = now + skew
    assert policy.deadline(*pair, created_in_future, now=now) <= now + policy.window(*pair)


def test_leap_day(policy):
    created = datetime(2028, 2, 28, 12, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    deadline = policy.deadline("agent_audio", "contract", created)
    assert deadline == created + timedelta(days=365)
    assert deadline.astimezone(ZoneInfo("Europe/Oslo")).date().isoformat() == "2029-02-27"
