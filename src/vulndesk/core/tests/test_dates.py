"""`{% load dates %}`: the <time> markup of core/_date.html and triage/_when.html, as filters."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils.timesince import timesince

from vulndesk.core.templatetags.dates import age


def _render(source: str, **context: object) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_day_matches_the_date_include() -> None:
    value = dt.datetime(2026, 3, 3, 23, 30, tzinfo=dt.UTC)

    assert _render("{{ value|day }}", value=value) == _render('{% include "core/_date.html" %}', value=value).strip()
    assert _render("{{ value|day }}", value=value) == '<time datetime="2026-03-03T23:30:00+00:00">3 Mar 2026</time>'


def test_day_without_a_date_is_a_muted_dash() -> None:
    assert _render("{{ value|day }}", value=None) == '<span class="muted">—</span>'


@override_settings(TIME_ZONE="Europe/Berlin")
def test_moment_is_in_the_current_time_zone_like_the_when_include() -> None:
    value = dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC)

    rendered = _render("{{ value|moment }}", value=value)

    assert rendered == _render('{% include "triage/_when.html" %}', value=value).strip()
    assert "Tue 3 Mar, 14:00 CET" in rendered


def test_day_of_a_plain_date_matches_the_date_include() -> None:
    value = dt.date(2026, 1, 5)

    assert _render("{{ value|day }}", value=value) == _render('{% include "core/_date.html" %}', value=value).strip()
    assert "5 Jan 2026" in _render("{{ value|day }}", value=value)


@pytest.mark.parametrize(
    "delta",
    [
        dt.timedelta(seconds=30),
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=59, seconds=59),
        dt.timedelta(hours=1, minutes=1),
        dt.timedelta(hours=5),
        dt.timedelta(days=1, hours=3, minutes=10),
        dt.timedelta(days=6, hours=23),
        dt.timedelta(days=15, hours=2),
        dt.timedelta(days=27, hours=23),
        -dt.timedelta(minutes=5),  # a clock a little ahead
    ],
)
def test_age_says_what_timesince_says_within_a_month(delta: dt.timedelta) -> None:
    now = dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC)

    assert age(now - delta, now) == timesince(now - delta, now)


def test_age_says_what_timesince_says_past_a_month_too() -> None:
    now = dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC)

    for days in range(28, 800, 3):
        assert age(now - dt.timedelta(days=days, hours=5), now) == timesince(
            now - dt.timedelta(days=days, hours=5), now
        )
