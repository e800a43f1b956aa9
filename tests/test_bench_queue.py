"""The queue benchmark (bench/triage.py) on a small data set, so it cannot rot unnoticed."""

import random

from bench.generate import generate_reports
from bench.triage import SHAPES, request_plan, run_queue

from vulndesk.accounts.models import User
from vulndesk.accounts.services import issue_token
from vulndesk.intake.models import Report
from vulndesk.triage.models import ReportSla


def test_request_plan_covers_every_queue_shape() -> None:
    plan = request_plan(random.Random(3), ["forms"], 40)  # noqa: S311  # repeatable, not secret

    assert {shape for shape, _params in plan} == {name for name, _share in SHAPES}
    assert all(params["sort"] in {"priority", "sla_due"} for _shape, params in plan)


def test_run_queue_prepares_the_data_and_measures_every_shape(analyst: User) -> None:
    generated = generate_reports(200, products=4, researchers=5)
    token = issue_token(analyst, name="bench", actor=None).secret

    figures = run_queue(analyst=analyst, token=token, products=generated.product_slugs, requests=20, seed=1)

    assert [row["shape"] for row in figures["shapes"]] == [*(name for name, _ in SHAPES), "all requests"]
    assert all(sample["status"] == 200 for sample in figures["samples"])
    assert all(row["ratio_p95"] > 0 for row in figures["shapes"])
    assert [row["shape"] for row in figures["portal"]] == [*(name for name, _ in SHAPES), "all requests"]
    assert all(row["failed"] == 0 and row["queries_max"] > 0 for row in figures["portal"])
    assert Report.objects.exclude(priority=None).exists()
    assert ReportSla.objects.exists()
