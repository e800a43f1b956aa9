"""`make bench`: seed a database with many reports and time the report list, the triage queue and duplicate detection.

    python bench/run.py                 # 100,000 reports, SQLite and (when configured) PostgreSQL
    python bench/run.py --reports 20000 --requests 200
    python bench/run.py --quick         # a smoke run: 2,000 reports, 60 requests
    python bench/run.py --databases sqlite
    python bench/run.py --databases postgresql --reports 1000000 --keep-database vd_bench1m \
        --no-scoring --no-intake --no-messaging   # the issue's 1,000,000 reports; seeded once, reused after

Each database runs in its own process, with DATABASE_URL and VULNDESK_DATA_DIR set before
Django starts: SQLite in a temporary folder, PostgreSQL in a database of its own
(`vulndesk_bench`, created on the server of VULNDESK_BENCH_DATABASE_URL, else
VULNDESK_TEST_DATABASE_URL, and dropped afterwards). With --keep-database NAME (PostgreSQL), the
seeded data stays in NAME; a later run with the same --reports, --seed and data version reuses it
(migrating it if needed) and measures on a copy (CREATE DATABASE … TEMPLATE), so the sections that
write leave NAME as it was. Prints figures; never passes or fails on them. The figures are also
written to bench/results/ as JSON.
"""

import argparse
import datetime as dt
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "vulndesk_bench"
POSTGRES_URL_VARIABLES = ("VULNDESK_BENCH_DATABASE_URL", "VULNDESK_TEST_DATABASE_URL")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000, help="Reports to seed (default 100,000).")
    parser.add_argument("--requests", type=int, default=400, help="Timed API requests per database (default 400).")
    parser.add_argument("--quick", action="store_true", help="Smoke run: 2,000 reports and 60 requests.")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql (default both)."
    )
    parser.add_argument("--seed", type=int, default=42, help="Random seed for data and requests.")
    parser.add_argument(
        "--keep-database",
        metavar="NAME",
        help="PostgreSQL: keep the seeded data in database NAME and reuse it on later runs with the same "
        "--reports and --seed (each run measures on a copy of it). Drop it with dropdb when done.",
    )
    parser.add_argument("--thread-messages", type=int, default=2_000, help="Messages in the long case thread (2,000).")
    parser.add_argument("--thread-partners", type=int, default=100, help="Partner organizations on that case (100).")
    parser.add_argument("--no-messaging", action="store_true", help="Leave out the messaging section.")
    # Scoring section (bench/scoring.py): CVSS rate, EPSS import, priority recomputation after a KEV import.
    parser.add_argument("--epss-rows", type=int, default=300_000, help="Synthetic EPSS rows to import (300,000).")
    parser.add_argument(
        "--vulnerabilities", type=int, default=100_000, help="Vulnerabilities to re-prioritize (100,000)."
    )
    parser.add_argument("--no-scoring", action="store_true", help="Leave out the scoring section.")
    # Intake section (bench/intake.py): API submissions per second through gunicorn, 4 clients.
    parser.add_argument("--submissions", type=int, default=2_000, help="API submissions to time (2,000).")
    parser.add_argument("--no-intake", action="store_true", help="Leave out the intake section.")
    # Internal: run.py starts itself with these to run one scenario in a fresh process.
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=("all", "seed", "measure"), default="all", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.reports, arguments.requests = 2_000, 60
        arguments.epss_rows, arguments.vulnerabilities = 20_000, 5_000
        arguments.submissions = 200
    if arguments.reports < 1 or arguments.requests < 1:
        parser.error("--reports and --requests must be at least 1.")
    if arguments.keep_database and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", arguments.keep_database):
        parser.error("--keep-database: a lower-case PostgreSQL name (letters, digits, underscores).")
    if arguments.keep_database == BENCH_DATABASE:
        parser.error(f"--keep-database: {BENCH_DATABASE} is the throwaway copy's name; choose another.")
    return arguments


def _postgres_url() -> str:
    return next((os.environ[name] for name in POSTGRES_URL_VARIABLES if os.environ.get(name)), "")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, statement: "sql.Composed") -> None:
    """Run a statement that cannot run inside the target database (CREATE/DROP DATABASE)."""
    import psycopg  # noqa: PLC0415  # only needed when PostgreSQL is benchmarked

    # The maintenance database "postgres" usually exists; else use the one the URL names.
    last_error: Exception | None = None
    for database in ("postgres", urlsplit(url).path.lstrip("/")):
        try:
            with psycopg.connect(_with_database(url, database), autocommit=True) as connection:
                connection.execute(statement)
                return
        except psycopg.OperationalError as error:
            last_error = error
    raise SystemExit(f"Cannot reach PostgreSQL at {urlsplit(url).hostname}: {last_error}")


def _database_exists(url: str, name: str) -> bool:
    import psycopg  # noqa: PLC0415

    try:
        with psycopg.connect(_with_database(url, name), autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def _postgres_database(url: str, *, template: str | None = None) -> Iterator[str]:
    """Create the bench database (empty, or a copy of `template`), yield its URL, drop it afterwards."""
    from psycopg import sql  # noqa: PLC0415

    name = sql.Identifier(BENCH_DATABASE)
    # A run that was killed may have left the database behind; it is ours, so start afresh.
    _admin(url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    if template:
        started = time.perf_counter()
        # FILE_COPY: copying the files beats writing a large database through the WAL (the default).
        _admin(url, sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(name, sql.Identifier(template)))
        print(f"Copied {template} to {BENCH_DATABASE} in {time.perf_counter() - started:.1f} s.")
    else:
        _admin(url, sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield _with_database(url, BENCH_DATABASE)
    finally:
        _admin(url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _kept_database(url: str, name: str) -> str:
    """The URL of the kept database `name`, created empty if it does not exist yet."""
    from psycopg import sql  # noqa: PLC0415

    if not _database_exists(url, name):
        _admin(url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created the database {name} to keep the seeded data in.")
    return _with_database(url, name)


def _run_scenario(
    label: str, database_url: str, arguments: argparse.Namespace, *, phase: str = "all"
) -> dict[str, object] | None:
    """Run one scenario (or one phase of it) in a child process with its own environment; return its figures."""
    with tempfile.TemporaryDirectory(prefix="vulndesk-bench-") as folder:
        result = Path(folder) / "result.json"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "vulndesk.config.settings",
            "VULNDESK_MODE": "embedded",
            "VULNDESK_DEBUG": "false",
            "VULNDESK_DATA_DIR": str(Path(folder) / "data"),
            "VULNDESK_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,  # empty: SQLite in VULNDESK_DATA_DIR
        }
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            *("--scenario", label, "--result", str(result), "--phase", phase),
            *("--reports", str(arguments.reports), "--requests", str(arguments.requests)),
            *("--seed", str(arguments.seed)),
            *("--thread-messages", str(arguments.thread_messages), "--thread-partners", str(arguments.thread_partners)),
            *(["--no-messaging"] if arguments.no_messaging else []),
            *("--epss-rows", str(arguments.epss_rows), "--vulnerabilities", str(arguments.vulnerabilities)),
            *(["--no-scoring"] if arguments.no_scoring else []),
            *("--submissions", str(arguments.submissions)),
            *(["--no-intake"] if arguments.no_intake else []),
        ]
        completed = subprocess.run(command, env=environment, cwd=ROOT, check=False)  # noqa: S603  # our own script
        if phase == "seed":
            return {"seeded": True} if completed.returncode == 0 else None
        if completed.returncode != 0 or not result.exists():
            print(f"{label}: the scenario failed (exit code {completed.returncode}).")
            return None
        figures: dict[str, object] = json.loads(result.read_text())
        return figures


def _postgres_scenario(url: str, arguments: argparse.Namespace) -> dict[str, object] | None:
    if not arguments.keep_database:
        with _postgres_database(url) as database_url:
            return _run_scenario("PostgreSQL", database_url, arguments)
    print(f"\n=== PostgreSQL: seeding or reusing the kept database {arguments.keep_database} ===")
    kept_url = _kept_database(url, arguments.keep_database)
    if _run_scenario("PostgreSQL", kept_url, arguments, phase="seed") is None:
        return None
    with _postgres_database(url, template=arguments.keep_database) as database_url:
        return _run_scenario("PostgreSQL", database_url, arguments, phase="measure")


def _load() -> str:
    """The load average, so figures from a busy machine read as such."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"{os.cpu_count()} CPUs, load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _scenarios(arguments: argparse.Namespace) -> int:
    wanted = {name.strip() for name in arguments.databases.split(",") if name.strip()}
    unknown = wanted - {"sqlite", "postgresql"}
    if unknown:
        raise SystemExit(f"--databases: unknown {', '.join(sorted(unknown))}; use sqlite, postgresql.")
    print(
        f"vulndesk bench: {arguments.reports:,} reports, {arguments.requests} timed requests per database ({_load()})."
    )
    results: list[dict[str, object]] = []
    failed = False
    if "sqlite" in wanted:
        figures = _run_scenario("SQLite", "", arguments)
        failed |= figures is None
        results += [figures] if figures else []
    if "postgresql" in wanted:
        url = _postgres_url()
        if not url:
            print(f"\nPostgreSQL skipped: set {' or '.join(POSTGRES_URL_VARIABLES)} to a server URL.")
        else:
            figures = _postgres_scenario(url, arguments)
            failed |= figures is None
            results += [figures] if figures else []

    print(f"\n=== Summary ({_load()}) ===")
    for figures in results:
        print(figures["summary"])
    if results:
        RESULTS.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"reports-list-{stamp}.json"
        path.write_text(json.dumps({"reports": arguments.reports, "load": _load(), "results": results}, indent=1))
        print(f"Figures written to {path.relative_to(ROOT)}")
    return 1 if failed else 0


def _scenario(arguments: argparse.Namespace) -> int:
    """The child: Django is configured by the environment the parent set, then measured."""
    sys.path.insert(0, str(ROOT))  # `bench` as a package, whatever the working directory
    import django  # noqa: PLC0415  # the parent process never loads Django

    django.setup()
    # Imported by name, after setup: the module imports models at its top.
    measure = importlib.import_module("bench.measure")
    if arguments.phase == "seed":
        measure.seed(reports=arguments.reports, seed=arguments.seed, keep=True)
        return 0
    if arguments.phase == "measure":
        seeded = measure.read_seeded()
    else:
        seeded = measure.seed(reports=arguments.reports, seed=arguments.seed)
    measure.run(label=arguments.scenario, seeded=seeded, requests=arguments.requests, result_path=arguments.result)
    if not arguments.no_scoring:
        scoring = importlib.import_module("bench.scoring")
        figures = scoring.run(
            epss_rows=arguments.epss_rows, vulnerabilities=arguments.vulnerabilities, kev_entries=1_200,
            seed=arguments.seed,
        )  # fmt: skip
        result = json.loads(arguments.result.read_text())
        result["scoring"] = figures
        result["summary"] += (
            f"; EPSS {arguments.epss_rows:,} rows in {figures['epss_first_import_seconds']:.1f} s; "
            f"priority of {figures['vulnerabilities']:,} after KEV in "
            f"{figures['priority_recompute_after_kev_seconds']:.1f} s"
        )
        arguments.result.write_text(json.dumps(result, indent=1))
    if not arguments.no_intake:
        intake = importlib.import_module("bench.intake")
        figures = intake.run(submissions=arguments.submissions, label=arguments.scenario)
        result = json.loads(arguments.result.read_text())
        result["intake"] = figures
        result["summary"] += (
            f"; {figures['submissions']:,} API submissions at {figures['per_second']:.0f}/s "
            f"(p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, 4 clients, gunicorn)"
        )
        arguments.result.write_text(json.dumps(result, indent=1))
    if not arguments.no_messaging:
        messaging = importlib.import_module("bench.messaging")
        figures = messaging.run(
            messages=arguments.thread_messages, partners=arguments.thread_partners, requests=100, seed=arguments.seed
        )
        result = json.loads(arguments.result.read_text())
        result["messaging"] = figures
        pages = figures["figures"]
        thread = pages["case thread page (staff, latest 50)"]
        partners_page = pages[f"partners page ({figures['partners']} organizations)"]
        result["summary"] += (
            f"; case thread of {figures['messages']:,} messages and {figures['partners']} partners: "
            f"p95 {thread['p95_ms']:.0f} ms, partners page p95 {partners_page['p95_ms']:.0f} ms"
        )
        arguments.result.write_text(json.dumps(result, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if arguments.scenario:
        return _scenario(arguments)
    return _scenarios(arguments)


if __name__ == "__main__":
    sys.exit(main())
