"""The benchmark's data generator and request plan, on the test database, so they cannot rot unnoticed."""

import random

import pytest
from bench import generate
from bench.generate import generate_reports
from bench.measure import SHAPES, percentile, request_plan
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from vulndesk.core.models import StateInterval
from vulndesk.intake.models import Report


def test_generator_writes_reports_across_states_products_and_time(db: None) -> None:
    generated = generate_reports(300, products=15, researchers=10)

    reports = Report.objects.all()
    assert generated.reports == reports.count() == 300
    assert len(set(reports.values_list("state", flat=True))) >= 8
    assert reports.values("product").distinct().count() >= 5
    assert len(set(reports.values_list("title", flat=True))) > 100
    oldest, newest = min(r.created_at for r in reports), max(r.created_at for r in reports)
    assert (newest - oldest).days > 180
    assert all(report.updated_at >= report.created_at for report in reports)


def test_generator_gives_every_report_its_open_state_interval(db: None) -> None:
    generate_reports(50, products=5, researchers=5)

    intervals = StateInterval.objects.filter(target_type=ContentType.objects.get_for_model(Report))
    assert intervals.count() == 50
    assert not intervals.exclude(exited_at=None).exists()
    assert {i.state for i in intervals} == set(Report.objects.values_list("state", flat=True))


def test_generator_leaves_auto_timestamps_working_afterwards(db: None) -> None:
    generate_reports(5, products=2, researchers=2)

    report = Report.objects.first()
    assert report is not None
    before = report.updated_at
    report.save()

    assert report.updated_at > before


def test_request_plan_covers_every_shape_with_the_contract_parameters() -> None:
    plan = request_plan(random.Random(1), ["mail-server", "forms"], 100)  # noqa: S311  # repeatable, not secret

    assert {shape for shape, _params in plan} == {name for name, _share in SHAPES}
    assert all(params["page_size"] == 50 and params["sort"] for _shape, params in plan)
    assert all(set(params) <= {"state", "product", "sort", "page", "page_size"} for _shape, params in plan)


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are rebuilt on PostgreSQL only")
def test_generator_rebuilds_the_report_indexes_it_dropped_for_a_large_load(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'intake_report'")
            return {row[0] for row in cursor.fetchall()}

    before = index_names()
    monkeypatch.setattr(generate, "BUILD_INDEXES_AFTER_LOAD_FROM", 10)

    generate_reports(30, products=3, researchers=3)

    assert index_names() == before
    assert Report.objects.count() == 30
