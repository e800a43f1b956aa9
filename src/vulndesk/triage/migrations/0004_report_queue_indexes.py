"""Indexes on intake's report table that serve the triage queue: full-text search and priority order.

They live here because the queue is triage's; RunSQL keeps them out of intake's model state. The
search expression must stay exactly what `triage.selectors` builds with SearchVector, or
PostgreSQL will not use the index.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

POSTGRESQL_CREATE = [
    "CREATE INDEX IF NOT EXISTS report_search_idx ON intake_report USING GIN "
    "(to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '')))",
    "CREATE INDEX IF NOT EXISTS report_state_priority_idx ON intake_report "
    "(state, priority ASC NULLS LAST, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_priority_idx ON intake_report (priority ASC NULLS LAST, created_at, id)",
]
# SQLite has no full-text index over an expression like this; search falls back to LIKE there.
SQLITE_CREATE = [
    "CREATE INDEX IF NOT EXISTS report_state_priority_idx ON intake_report (state, priority, created_at, id)",
    "CREATE INDEX IF NOT EXISTS report_priority_idx ON intake_report (priority, created_at, id)",
]
DROP = ["report_search_idx", "report_state_priority_idx", "report_priority_idx"]


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    statements = POSTGRESQL_CREATE if schema_editor.connection.vendor == "postgresql" else SQLITE_CREATE
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name in DROP:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0003_report_sla"),
        ("intake", "0002_report_add_disputed_assignee_low_signal_priority"),
    ]

    operations = [migrations.RunPython(create, drop)]
