"""Indexes that keep the queue's common pages and duplicate lookups fast at a million reports.

Measured with `make bench` at 1,000,000 reports (bench/README.md, decisions/0004). Like 0004 and
0009 they are raw SQL on intake's table, so intake's model state stays intake's; the report_sla
one is here for the same reason as the rest of the queue's (a partial index on a triage table,
kept next to its siblings). Each serves a page in index order, so a page reads 50 rows instead of
sorting every match:

- a product's reports of some states by priority (the analyst's everyday view);
- someone's assigned reports by priority;
- running SLA clocks by due time (the "breached" and "at risk" views);
- full-text search among open reports only: the partial GIN index is a tenth of the full one, and
  the planner uses it whenever the query names only open states (the search box's default).
  Its expression must stay exactly the one `triage.selectors._search` builds.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_OPEN = "('new', 'triaging', 'needs_info', 'validating')"
POSTGRESQL_CREATE = [
    "CREATE INDEX IF NOT EXISTS report_product_state_priority_idx ON intake_report "
    "(product_id, state, priority ASC NULLS LAST, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_assignee_priority_idx ON intake_report "
    "(assignee_id, priority ASC NULLS LAST, created_at, id) WHERE assignee_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS report_sla_running_due_idx ON triage_reportsla (due_at, report_id) "
    "WHERE clock > '' AND NOT is_paused",
    "CREATE INDEX IF NOT EXISTS report_open_search_idx ON intake_report USING GIN (to_tsvector('english'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(description, '') || ' ' || COALESCE(steps_to_reproduce, ''))) "
    f"WHERE state IN {_OPEN}",
]
# SQLite: the same b-tree orders (it sorts NULLs first; the queue's NULLS LAST still needs a sort there).
SQLITE_CREATE = [
    "CREATE INDEX IF NOT EXISTS report_product_state_priority_idx ON intake_report "
    "(product_id, state, priority, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_assignee_priority_idx ON intake_report (assignee_id, priority, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_sla_running_due_idx ON triage_reportsla (due_at, report_id) "
    "WHERE clock > '' AND NOT is_paused",
]
DROP = [
    "report_product_state_priority_idx",
    "report_assignee_priority_idx",
    "report_sla_running_due_idx",
    "report_open_search_idx",
]


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in POSTGRESQL_CREATE if schema_editor.connection.vendor == "postgresql" else SQLITE_CREATE:
        schema_editor.execute(statement)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name in DROP:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0014_sla_clock_add_release"),
        ("intake", "0004_attachment"),
    ]

    operations = [migrations.RunPython(create, drop)]
