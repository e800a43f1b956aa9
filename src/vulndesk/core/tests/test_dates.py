"""`{% load dates %}`: the <time> markup of core/_date.html and triage/_when.html, as filters."""

import datetime as dt

from django.template import Context, Template
from django.test import override_settings


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
