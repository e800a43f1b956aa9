import datetime as dt

import pytest

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.tests.factories import FixFactory, ReleaseFactory
from vulndesk.lib.calendars import next_second_tuesday, second_tuesday
from vulndesk.releases.models import Release
from vulndesk.releases.services import create_release, transition_release
from vulndesk.remediation.models import Fix


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2024, 6, dt.date(2024, 6, 11)), (2026, 12, dt.date(2026, 12, 8)), (2026, 9, dt.date(2026, 9, 8))],
)
def test_second_tuesday(year: int, month: int, expected: dt.date) -> None:
    assert second_tuesday(year, month) == expected


def test_next_second_tuesday_rolls_over_the_year() -> None:
    assert next_second_tuesday(dt.date(2026, 12, 8)) == dt.date(2027, 1, 12)
    assert next_second_tuesday(dt.date(2026, 12, 7)) == dt.date(2026, 12, 8)


def test_scheduled_release_must_fall_on_the_second_tuesday(release_manager: User) -> None:
    with pytest.raises(RuleViolation, match="2026-12-08"):
        create_release(name="Dec", release_date=dt.date(2026, 12, 9), kind="scheduled", actor=release_manager)


def test_out_of_band_release_takes_any_date(release_manager: User) -> None:
    release = create_release(name="OOB", release_date=dt.date(2026, 12, 9), kind="out_of_band", actor=release_manager)

    assert release.state == Release.State.PLANNED


def test_release_names_are_unique(release_manager: User) -> None:
    create_release(name="2026-12", release_date=dt.date(2026, 12, 8), kind="scheduled", actor=release_manager)

    with pytest.raises(RuleViolation, match="already exists"):
        create_release(name="2026-12", release_date=dt.date(2026, 12, 8), kind="scheduled", actor=release_manager)


def test_release_with_an_unready_fix_cannot_ship(release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    FixFactory.create(target_release=release, state=Fix.State.READY)
    FixFactory.create(target_release=release, state=Fix.State.IN_PROGRESS)

    with pytest.raises(RuleViolation, match="not ready"):
        transition_release(release, Release.State.RELEASED, actor=release_manager)

    release.refresh_from_db()
    assert release.state == Release.State.FROZEN
    assert not Fix.objects.filter(state=Fix.State.RELEASED).exists()


def test_shipping_a_release_releases_its_fixes(release_manager: User) -> None:
    release = ReleaseFactory.create(state=Release.State.FROZEN)
    fixes = FixFactory.create_batch(2, target_release=release, state=Fix.State.READY)

    transition_release(release, Release.State.RELEASED, actor=release_manager)

    release.refresh_from_db()
    assert release.released_at is not None
    assert {Fix.objects.get(pk=fix.pk).state for fix in fixes} == {Fix.State.RELEASED}
