"""Indexes for the queue's other orders at scale: open reports by age, one person's reports by age,
any reports by last update or title; on PostgreSQL, statistics of who holds reports in which state.

Open reports are the newest, so a page of them by age (`age`, `-age`) walked the age index
through every closed report first: 0.5-0.9 s at a million reports, for the queue's "open" view;
a partial index of open reports in age order reads 50 rows instead, and one per product serves
a product's open reports (its age index walked the product's closed history: 95-170 ms).
"Assigned to me" by age did the same (0.7 s), and sorting by last update or title (`updated`,
`title`) had no index at all and sorted every match (0.2-1.4 s). The assigned reports' index
costs nothing when a report arrives unassigned.

PostgreSQL estimated "mine and open" as if holding a report said nothing of its state (assigned
reports are mostly open): 5,000 rows for 35,000, and chose to join and sort them all (0.4 s by
SLA due time). Statistics of the two columns together (CREATE STATISTICS … mcv) give it the
real share. RunSQL on intake's table, like 0017; the indexes on both databases.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_OPEN = "('new', 'triaging', 'needs_info', 'validating')"
CREATE = [
    f"CREATE INDEX IF NOT EXISTS report_open_created_idx ON intake_report (created_at, id) WHERE state IN {_OPEN}",
    "CREATE INDEX IF NOT EXISTS report_open_product_created_idx ON intake_report (product_id, created_at, id) "
    f"WHERE state IN {_OPEN}",
    "CREATE INDEX IF NOT EXISTS report_assignee_created_idx ON intake_report (assignee_id, created_at, id) "
    "WHERE assignee_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS report_updated_idx ON intake_report (updated_at, id)",
    "CREATE INDEX IF NOT EXISTS report_title_idx ON intake_report (title, id)",
]
DROP = [
    "DROP INDEX IF EXISTS report_open_created_idx",
    "DROP INDEX IF EXISTS report_open_product_created_idx",
    "DROP INDEX IF EXISTS report_assignee_created_idx",
    "DROP INDEX IF EXISTS report_updated_idx",
    "DROP INDEX IF EXISTS report_title_idx",
]
STATISTICS = "CREATE STATISTICS IF NOT EXISTS report_assignee_state_stats (mcv) ON assignee_id, state FROM intake_report"


def create_statistics(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":  # SQLite has no multi-column statistics
        schema_editor.execute(STATISTICS)


def drop_statistics(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS report_assignee_state_stats")


class Migration(migrations.Migration):
    dependencies = [("triage", "0018_report_search_document")]

    operations = [migrations.RunSQL(CREATE, DROP), migrations.RunPython(create_statistics, drop_statistics)]
