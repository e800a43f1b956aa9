"""Queue figures for `make bench`: GET /api/v1/queue against the same page as raw SQL.

Runs in the bench's child process after the report list figures (Django set up, database
migrated and seeded). It first gives reports what triage adds to them in real life (the generator
already gave most a priority, as scoring would): an assignee for some and the SLA snapshot of every open report
(through `refresh_open_report_slas`, as `vulndesk triage warn-breaches` keeps them). Then it times
the queue endpoint per filter shape and, for the same requests, the raw SQL a hand-written page
would need (the statements of its count, bounded like the API's, and of its page), and
prints the ratios of the two p50s and p95s. Then every order on each view an analyst switches
between (a table of medians, the cells over 50 ms named). Last, the same requests against the
portal's queue page (HTML, signed in, with the state tabs' counts), as an analyst's browser loads it.

Import this module only after Django is set up.
"""

import math
import random
import statistics
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Team
from vulndesk.intake.models import Report
from vulndesk.triage.selectors import QueueFilters, count_queue, list_queue_for_user, queue_page
from vulndesk.triage.sla import refresh_open_report_slas

ENDPOINT = "/api/v1/queue"
PORTAL_PAGE = "/queue/"
PAGE_SIZE = 50
WARM_UP = 10
OPEN = ["new", "triaging", "needs_info", "validating"]
ORDERS = ("priority", "age", "-age", "sla_due", "updated", "title")
SLOW_MS = 50
SEARCH_WORDS = ("overflow", "injection", "bypass", "token", "redirect", "parser", "upload", "xss", "privilege")
# The analyst's day: their product's new reports by priority; everything open by SLA due time;
# what has breached; a search; their own reports.
SHAPES = (
    ("new + product, by priority", 0.35),
    ("open states, by SLA due", 0.20),
    ("SLA breached, by SLA due", 0.15),
    ("full-text search, by priority", 0.15),
    ("assigned to me, by priority", 0.15),
)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile, as bench.measure computes it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]


def prepare_queue(analyst: User) -> dict[str, float]:
    """Assignees and SLA snapshots, as a live queue has them; returns the seconds each took."""
    print("\nPreparing the queue: assignees, SLA snapshots of open reports…")
    timings = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # One open report in four is the bench analyst's. (Priorities come with the generated reports.)
        cursor.execute(
            "UPDATE intake_report SET assignee_id = %s WHERE state IN ('new','triaging','needs_info','validating') "
            "AND id %% 4 = 0",
            [analyst.pk],
        )
    timings["assignees_s"] = time.perf_counter() - started
    started = time.perf_counter()
    refresh_open_report_slas()
    timings["sla_snapshots_s"] = time.perf_counter() - started
    print(
        f"seconds to prepare: {timings['assignees_s']:.1f} (assignees), "
        f"{timings['sla_snapshots_s']:.1f} (SLA snapshots)"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return timings


def request_plan(rng: random.Random, products: list[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    plan: list[tuple[str, dict[str, Any]]] = []
    for shape, share in SHAPES:
        for _ in range(max(1, round(count * share))):
            params: dict[str, Any] = {"page_size": PAGE_SIZE, "sort": "priority"}
            if shape.startswith("new + product"):
                params |= {"state": ["new"], "product": rng.choice(products)}
            elif shape.startswith("open states"):
                params |= {"state": OPEN, "sort": "sla_due"}
            elif shape.startswith("SLA breached"):
                params |= {"sla": "breached", "sort": "sla_due"}
            elif shape.startswith("full-text"):
                params |= {"q": rng.choice(SEARCH_WORDS), "state": OPEN}
            else:
                params |= {"assignee": "me"}
            plan.append((shape, params))
    rng.shuffle(plan)
    return plan


def _filters(params: dict[str, Any]) -> QueueFilters:
    return QueueFilters(
        states=tuple(params.get("state", ())),
        product=params.get("product"),
        sla=params.get("sla"),
        q=params.get("q"),
        assignee=params.get("assignee"),
    )


class Statements:
    """The statements sent while in use, with their parameters: `with Statements() as sent:`.

    Recorded through an execute wrapper rather than Django's CaptureQueriesContext, whose debug
    cursor formats and logs each statement's SQL: work a server never does, and it was timed
    as the request's (0.1-0.2 ms a statement; bench/README.md).
    """

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self._wrapping: Any = None

    def __enter__(self) -> "Statements":
        self._wrapping = connection.execute_wrapper(self._record)
        self._wrapping.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._wrapping.__exit__(*exc_info)

    def __len__(self) -> int:
        return len(self.sent)

    def _record(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sent.append((sql, params))
        return execute(sql, params, many, context)


def _raw_sql_ms(queryset: QuerySet[Report], filters: QueueFilters, sort: str) -> float:
    """The page's own statements as plain SQL through the driver: those the API's count (bounded
    like its own) and page run, recorded, then timed again on their own."""
    with Statements() as statements:
        count_queue(queryset)
        queue_page(queryset, filters, sort=sort, start=0, stop=PAGE_SIZE)
    return _rerun_ms(statements)


def _rerun_ms(statements: Statements) -> float:
    """Milliseconds to send `statements` again as they were sent, through the cursor, fetching every row."""
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements.sent:
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()
    return (time.perf_counter() - began) * 1000


def run_queue(
    *,
    analyst: User,
    token: str,
    products: list[str],
    requests: int,
    seed: int,
    preparation: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Time the queue; `preparation` is what `prepare_queue` returned when seeding, else it runs here."""
    rng = random.Random(seed)  # repeatable, not secret
    if not preparation:
        preparation = prepare_queue(analyst)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    plan = request_plan(rng, products, requests)
    for _shape, params in plan[:WARM_UP]:
        client.get(ENDPOINT, params)

    print(f"Timing {len(plan)} requests of GET {ENDPOINT}, and the same pages as raw SQL…")
    samples: list[dict[str, Any]] = []
    for shape, params in plan:
        with Statements() as queries:
            began = time.perf_counter()
            response = client.get(ENDPOINT, params)
            api_ms = (time.perf_counter() - began) * 1000
        filters = _filters(params)
        now = timezone.now()
        queryset = list_queue_for_user(analyst, filters, sort=params["sort"], now=now)
        raw_ms = _raw_sql_ms(queryset, filters, params["sort"])
        body = response.json() if response.status_code == 200 else {}
        samples.append(
            {
                "shape": shape,
                "api_ms": api_ms,
                "raw_sql_ms": raw_ms,
                "request_sql_ms": _rerun_ms(queries),
                "queries": len(queries),
                "status": response.status_code,
                "matched": body.get("count", 0),
            }
        )
    return {
        "preparation": preparation,
        "shapes": _table(samples),
        "samples": samples,
        "every_order": _every_order(client, rng.choice(products)),
        "portal": _portal_queue(analyst, plan),
    }


def _every_order(client: Client, product: str) -> dict[str, Any]:
    """Each order of the queue on each view an analyst switches between, beyond the timed mix:
    the median of three requests after one to warm up. Slow cells are what an index would fix."""
    team = Team.objects.filter(products__slug=product).values_list("slug", flat=True).first() or ""
    views: dict[str, dict[str, Any]] = {
        "all states": {},
        "open states": {"state": OPEN},
        "new": {"state": ["new"]},
        "confirmed": {"state": ["confirmed"]},
        "fixed (closed)": {"state": ["fixed"]},
        "open, a product": {"state": OPEN, "product": product},
        "open, a team": {"state": OPEN, "team": team},
        "open, unassigned": {"state": OPEN, "assignee": "none"},
        "assigned to me": {"assignee": "me"},
        "SLA breached": {"sla": "breached"},
        "search, open": {"q": "overflow", "state": OPEN},
    }
    print(f"\nEvery order on {len(views)} views of GET {ENDPOINT} (p50 ms of 3 requests)…")
    header = f"{'view':20}" + "".join(f"{order:>10}" for order in ORDERS)
    print(header)
    print("-" * len(header))
    cells: dict[str, dict[str, float]] = {}
    for view, params in views.items():
        cells[view] = {}
        for order in ORDERS:
            request = {**params, "sort": order, "page_size": PAGE_SIZE}
            client.get(ENDPOINT, request)
            times = []
            for _ in range(3):
                began = time.perf_counter()
                client.get(ENDPOINT, request)
                times.append((time.perf_counter() - began) * 1000)
            cells[view][order] = round(statistics.median(times), 1)
        print(f"{view:20}" + "".join(f"{cells[view][order]:>10.1f}" for order in ORDERS))
    slow = [f"{view} by {order}" for view, row in cells.items() for order, ms in row.items() if ms > SLOW_MS]
    total = len(views) * len(ORDERS)
    print(f"{len(slow)} of {total} over {SLOW_MS} ms" + (f": {', '.join(slow)}" if slow else ""))
    return {"p50_ms": cells, "over_50_ms": slow, "cells": total}


def _portal_params(params: dict[str, Any]) -> dict[str, Any]:
    """The portal form's version of an API request: its state filter takes one state (a tab), so the first."""
    portal = {key: value for key, value in params.items() if key not in {"page_size", "state"}}
    if params.get("state"):
        portal["state"] = params["state"][0]
    return portal


def _portal_queue(analyst: User, plan: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The same requests against the queue page an analyst opens in the browser (HTML, signed in, with tab counts)."""
    client = Client()
    client.force_login(analyst)
    # The page links the stylesheet through the manifest storage, which needs `collectstatic`;
    # plain static storage renders the same page without that step (only the URL differs).
    plain_static = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    samples: list[dict[str, Any]] = []
    with override_settings(STORAGES=settings.STORAGES | plain_static):
        for _shape, params in plan[:WARM_UP]:
            client.get(PORTAL_PAGE, _portal_params(params))
        print(f"\nTiming the same {len(plan)} requests of the queue page {PORTAL_PAGE} (HTML, state tab counts)…")
        for shape, params in plan:
            with Statements() as queries:
                began = time.perf_counter()
                response = client.get(PORTAL_PAGE, _portal_params(params))
                page_ms = (time.perf_counter() - began) * 1000
            samples.append({"shape": shape, "ms": page_ms, "queries": len(queries), "status": response.status_code})
    header = f"{'queue page filters':32}{'requests':>9}{'p50 ms':>8}{'p95 ms':>8}{'queries':>9}"
    print(header)
    print("-" * len(header))
    failed = [sample for sample in samples if sample["status"] != 200]
    if failed:
        print(f"WARNING: {len(failed)} page loads failed (first status {failed[0]['status']}); figures are suspect.")
    rows = []
    for shape in [*(name for name, _share in SHAPES), "all requests"]:
        group = [sample for sample in samples if shape in {sample["shape"], "all requests"}]
        times = [sample["ms"] for sample in group]
        row = {
            "shape": shape,
            "requests": len(group),
            "p50_ms": round(percentile(times, 0.50), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "queries_max": max(sample["queries"] for sample in group),
            "failed": sum(sample["status"] != 200 for sample in group),
        }
        rows.append(row)
        if shape == "all requests":
            print("-" * len(header))
        print(f"{shape:32}{row['requests']:>9}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}{row['queries_max']:>9}")
    return rows


def _table(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per shape: the API's times, and the two raw-SQL yardsticks with the API's ratio to each.

    "page SQL" is the page's own statements (its count and rows); "all SQL" is every statement
    the request sent (with the caller's token lookup and the SLA snapshot check), which a
    hand-written endpoint answering the same request would send too.
    """
    header = (
        f"{'queue filters':32}{'requests':>9}{'p50 ms':>8}{'page SQL':>9}{'ratio':>7}{'all SQL':>8}{'ratio':>7}"
        f"{'p95 ms':>8}{'page SQL':>9}{'ratio':>7}{'all SQL':>8}{'ratio':>7}{'queries':>9}{'matched':>9}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    failed = [sample for sample in samples if sample["status"] != 200]
    if failed:
        print(f"WARNING: {len(failed)} requests failed (first status {failed[0]['status']}); figures are suspect.")
    for shape in [*(name for name, _share in SHAPES), "all requests"]:
        group = [sample for sample in samples if shape in {sample["shape"], "all requests"}]
        api = [sample["api_ms"] for sample in group]
        raw = [sample["raw_sql_ms"] for sample in group]
        request_sql = [sample["request_sql_ms"] for sample in group]
        queries = sorted(sample["queries"] for sample in group)
        row: dict[str, Any] = {
            "shape": shape,
            "requests": len(group),
            "queries_max": queries[-1],
            "matched_median": int(statistics.median(sample["matched"] for sample in group)),
        }
        for name, share in (("p50", 0.50), ("p95", 0.95)):
            api_ms = percentile(api, share)
            row[f"{name}_ms"] = round(api_ms, 2)
            row[f"raw_sql_{name}_ms"] = round(percentile(raw, share), 2)
            row[f"ratio_{name}"] = round(api_ms / max(percentile(raw, share), 0.001), 2)
            row[f"request_sql_{name}_ms"] = round(percentile(request_sql, share), 2)
            row[f"request_ratio_{name}"] = round(api_ms / max(percentile(request_sql, share), 0.001), 2)
        rows.append(row)
        if shape == "all requests":
            print("-" * len(header))
        print(
            f"{shape:32}{row['requests']:>9}"
            + "".join(
                f"{row[f'{name}_ms']:>8.1f}{row[f'raw_sql_{name}_ms']:>9.1f}{row[f'ratio_{name}']:>6.1f}x"
                f"{row[f'request_sql_{name}_ms']:>8.1f}{row[f'request_ratio_{name}']:>6.1f}x"
                for name in ("p50", "p95")
            )
            + f"{row['queries_max']:>9}{row['matched_median']:>9,}"
        )
    return rows
